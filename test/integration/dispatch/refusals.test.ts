/**
 * The dispatcher's refusal log on a real nats-server: a failure is stored once per command
 * (redeliveries change nothing), a late redelivery of an older attempt never sets the chain
 * back, a new chain (another generation) replaces it, and a success removes it.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { resolve, resourcesSchema } from "../../../src/config.js";
import { RefusalLog } from "../../../src/dispatch/refusals.js";
import { KvCache } from "../../../src/lattice/kv-cache.js";
import { decodeHostRecord, LatticeView } from "../../../src/lattice/view.js";
import { silentLogger } from "../../../src/log.js";
import type { Command } from "../../../src/streams/commands.js";
import { provision } from "../../../src/streams/provision.js";
import { decodeRefusal } from "../../../src/streams/refusal-record.js";
import { keys } from "../../../src/streams/subjects.js";
import { testNats } from "../../support/nats.js";

const nats = await testNats();
const nc = await nats.connect();
const buckets = await provision(nc, { resources: resolve(resourcesSchema, {}) });
const hosts = new KvCache(buckets.hosts, decodeHostRecord, silentLogger());
const cache = new KvCache(buckets.refusals, decodeRefusal, silentLogger());
await Promise.all([hosts.start(), cache.start()]);
const log = new RefusalLog(buckets.refusals, cache, new LatticeView(hosts, silentLogger()));
const KEY = keys.refusal("default", "h1", "shop.web.r1");

function command(id: string, over: Partial<Command> = {}): Command {
  return {
    id,
    lattice: "default",
    hostId: "h1",
    app: "shop",
    component: "web",
    workload: { key: "shop.web.r1", rev: "r1", type: "process", spec: {} },
    count: 1,
    reason: "test",
    causationId: "test",
    basedOnRevision: 3,
    issuedAt: new Date().toISOString(),
    generation: 1,
    ...over,
  };
}

async function stored() {
  const e = await buckets.refusals.get(KEY);
  return e?.operation === "PUT" ? { ...decodeRefusal(e), revision: e.revision } : undefined;
}

test("stored once per command, never set back, replaced by a new chain, removed by a success", async () => {
  const first = await log.record(command("c1"), "refused", "too big");
  assert.equal((await stored())?.attempt, 1);
  assert.equal(await log.record(command("c1"), "refused", "too big"), first, "a redelivery writes nothing");

  await log.record(command("c3", { attempt: 3 }), "refused", "too big");
  await log.record(command("c2", { attempt: 2 }), "refused", "too big"); // late, older
  assert.deepEqual([(await stored())?.commandId, (await stored())?.attempt], ["c3", 3]);

  await log.record(command("c9", { generation: 2 }), "unanswered", "no reply after 6 deliveries");
  const fresh = await stored();
  assert.deepEqual(
    [fresh?.commandId, fresh?.attempt, fresh?.kind, fresh?.generation],
    ["c9", 1, "unanswered", 2],
  );

  assert.equal(await cache.reach(fresh!.revision, 5_000), true);
  await log.clear(command("c10", { generation: 2, attempt: 2 }));
  assert.equal(await stored(), undefined);
  cache.stop();
  hosts.stop();
});
