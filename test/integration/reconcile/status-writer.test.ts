/**
 * Two replicas reconcile one app at once and both write its status: the one computed from an
 * older view (an older generation, or the same generation and older host reports) must never
 * replace the newer one, whatever order the writes land in (the NATS-restart test caught a
 * stale "2/3 ready" left behind for good).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Kvm } from "@nats-io/kv";
import { KvCache } from "../../../src/lattice/kv-cache.js";
import { silentLogger } from "../../../src/log.js";
import { decodeAppStatus, StatusWriter } from "../../../src/reconcile/status-writer.js";
import type { AppStatus } from "../../../src/streams/app-status.js";
import { testNats } from "../../support/nats.js";

const nats = await testNats();
const nc = await nats.connect();
const kv = await new Kvm(nc).create("status_writer_test", { history: 10 });

function status(message: string, generation = 1): AppStatus {
  return {
    name: "shop",
    version: "v1",
    phase: message.startsWith("3/3") ? "deployed" : "reconciling",
    message,
    observedGeneration: generation,
    updatedAt: new Date().toISOString(),
    components: [],
  };
}

/** A writer with its own (empty) cache, as a second replica that has not seen the other's write. */
async function replica(): Promise<StatusWriter> {
  const cache = new KvCache(kv, decodeAppStatus, silentLogger());
  await cache.start();
  cache.stop();
  return new StatusWriter(kv, cache);
}

const rows: Array<{
  name: string;
  first: [string, number, number];
  second: [string, number, number];
  stored: string;
}> = [
  {
    name: "older host reports lose",
    first: ["3/3 ready", 1, 20],
    second: ["2/3 ready", 1, 10],
    stored: "3/3 ready",
  },
  {
    name: "newer host reports win",
    first: ["2/3 ready", 1, 10],
    second: ["3/3 ready", 1, 20],
    stored: "3/3 ready",
  },
  {
    name: "same host reports: the later write wins",
    first: ["2/3 ready", 1, 10],
    second: ["1/3 ready", 1, 10],
    stored: "1/3 ready",
  },
  {
    name: "an older generation loses",
    first: ["0/3 ready", 2, 5],
    second: ["3/3 ready", 1, 30],
    stored: "0/3 ready",
  },
  {
    name: "a newer generation wins",
    first: ["3/3 ready", 1, 30],
    second: ["0/3 ready", 2, 5],
    stored: "0/3 ready",
  },
];

for (const [i, row] of rows.entries()) {
  test(row.name, async () => {
    const app = `app${i}`;
    const [m1, g1, r1] = row.first;
    const [m2, g2, r2] = row.second;
    await (await replica()).write("default", app, status(m1, g1), r1);
    await (await replica()).write("default", app, status(m2, g2), r2);
    const stored = decodeAppStatus((await kv.get(`default.${app}`))!);
    assert.equal(stored.message, row.stored);
  });
}
