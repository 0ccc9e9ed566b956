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

/** A writer whose cache follows the bucket, as a replica that has seen every write so far. */
async function following(): Promise<{ writer: StatusWriter; cache: KvCache<AppStatus> }> {
  const cache = new KvCache(kv, decodeAppStatus, silentLogger());
  await cache.start();
  return { writer: new StatusWriter(kv, cache), cache };
}

test("a writer whose cache holds the current status writes over it, and the staleness check still holds", async () => {
  const { writer, cache } = await following();
  try {
    assert.equal(await writer.write("default", "cached", status("2/3 ready"), 10), true);
    await cache.reach((await kv.get("default.cached"))!.revision, 5_000);
    assert.equal(await writer.write("default", "cached", status("3/3 ready"), 20), true);
    await cache.reach((await kv.get("default.cached"))!.revision, 5_000);
    // Computed from older host reports than the stored status: kept out.
    assert.equal(await writer.write("default", "cached", status("1/3 ready"), 15), false);
    assert.equal(decodeAppStatus((await kv.get("default.cached"))!).message, "3/3 ready");
  } finally {
    cache.stop();
  }
});

test("a writer whose cache is behind falls back to reading the key, and an older view still loses", async () => {
  const behind = await following();
  try {
    await behind.writer.write("default", "behind", status("2/3 ready"), 10);
    await behind.cache.reach((await kv.get("default.behind"))!.revision, 5_000);
    behind.cache.stop(); // from here its copy (2/3 at 10) is stale
    await (await replica()).write("default", "behind", status("3/3 ready"), 30);
    assert.equal(await behind.writer.write("default", "behind", status("1/3 ready"), 20), false);
    assert.equal(decodeAppStatus((await kv.get("default.behind"))!).message, "3/3 ready");
    assert.equal(await behind.writer.write("default", "behind", status("0/3 ready"), 40), true);
    assert.equal(decodeAppStatus((await kv.get("default.behind"))!).message, "0/3 ready");
  } finally {
    behind.cache.stop();
  }
});
