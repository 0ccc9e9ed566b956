/**
 * A command in flight to a host whose life ends before it answers (SIGKILLed after receiving it)
 * is never answered. The dispatcher stops waiting as soon as its view shows the life ended, and
 * the command is moot: the new life under the same id is told afresh from its own record, and a
 * deleted record needs nothing. Waiting out the command timeout instead held up every later
 * command for that host (they go out in stream order), the new life's first ones among them; and
 * sending the old life's command to the new one ran instances the plan had since put elsewhere.
 * The "host" here is the test: records written into `nadm_hosts`, `host_started` published, and
 * a subscription on its control subject.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { Msg } from "@nats-io/transport-node";
import { ApiClient } from "../../../src/api/client.js";
import { resolve, resourcesSchema } from "../../../src/config.js";
import { HostLives, LIFE_ENDED } from "../../../src/dispatch/host-lives.js";
import { KvCache } from "../../../src/lattice/kv-cache.js";
import { decodeHostRecord } from "../../../src/lattice/view.js";
import { silentLogger } from "../../../src/log.js";
import { eventSource, publishEvent } from "../../../src/streams/events.js";
import type { HostRecord } from "../../../src/streams/host-record.js";
import { provision } from "../../../src/streams/provision.js";
import { CONSUMERS, keys, STREAMS, subjects } from "../../../src/streams/subjects.js";
import { startController } from "../../support/controller.js";
import { spreadApp } from "../../support/manifests.js";
import { testNats } from "../../support/nats.js";
import { waitFor } from "../../support/wait.js";

/** Far beyond every deadline below: a command that waited it out would fail the test. */
const COMMAND_TIMEOUT_MS = 120_000;

const nats = await testNats();
const nc = await nats.connect();
const buckets = await provision(nc, { resources: resolve(resourcesSchema, {}) });
await startController(nc, { commandTimeoutMs: COMMAND_TIMEOUT_MS });
const api = new ApiClient(nc, "default", 5_000);
const js = jetstream(nc);

function life(hostId: string, startedAt: string, heartbeatSeq = 0): HostRecord {
  return {
    hostId,
    lattice: "default",
    labels: { zone: hostId },
    driver: "sim",
    version: "test",
    startedAt,
    updatedAt: new Date().toISOString(),
    heartbeatIntervalMs: 60_000,
    heartbeatSeq,
    inventory: {},
  };
}

async function write(record: HostRecord): Promise<number> {
  return buckets.hosts.put(keys.host("default", record.hostId), JSON.stringify(record));
}

/** Subscribes as a life of `hostId` that keeps every command it gets, and answers only if told. */
function listen(hostId: string, answer: boolean) {
  const got: Array<{ id: string; at: number }> = [];
  const sub = nc.subscribe(subjects.control("default", hostId), {
    callback: (_err, m: Msg) => {
      got.push({ id: m.json<{ id: string }>().id, at: Date.now() });
      if (answer) m.respond(JSON.stringify({ ok: true, running: 1 }));
    },
  });
  return { got, sub };
}

async function deployOn(app: string, zone: string): Promise<void> {
  await api.put(spreadApp(app, { instances: 1, spread: [{ name: zone, requirements: { zone } }] }));
  await api.deploy(app);
}

async function unacked(): Promise<number> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.consumers.info(STREAMS.commands, CONSUMERS.dispatch);
  return info.num_ack_pending + info.num_pending;
}

/** Writes a new life's first record and announces it, as a starting host does. */
async function start(record: HostRecord): Promise<void> {
  const stateRevision = await write(record);
  await publishEvent(js, "default", "host_started", eventSource("default", { hostId: record.hostId }), {
    hostId: record.hostId,
    stateRevision,
  });
}

test("a command in flight to a killed life is dropped at once; the new life is told afresh", async () => {
  await write(life("h1", "2026-01-01T00:00:00.000Z"));
  const dead = listen("h1", false);
  await deployOn("web1", "h1");
  const first = await waitFor(() => dead.got[0], {
    timeoutMs: 20_000,
    what: "the command to the first life",
  });
  // The life dies with the command unanswered; a new one subscribes and registers.
  dead.sub.unsubscribe();
  const fresh = listen("h1", true);
  await nc.flush();
  const restartedAt = Date.now();
  await start(life("h1", new Date().toISOString()));
  const told = await waitFor(() => fresh.got[0], { timeoutMs: 20_000, what: "a command to the new life" });
  assert.notEqual(told.id, first.id, "the new life gets a command planned from its own record");
  assert.ok(told.at - restartedAt < COMMAND_TIMEOUT_MS / 4, `told after ${told.at - restartedAt} ms`);
  await waitFor(async () => (await unacked()) === 0, { timeoutMs: 20_000, what: "every command acked" });
  assert.deepEqual(
    fresh.got.map((g) => g.id).filter((id) => id === first.id),
    [],
    "the first life's command never reaches the new one",
  );
});

test("a command in flight to a host declared lost is moot at once", async () => {
  await write(life("h2", "2026-01-01T00:00:00.000Z"));
  const dead = listen("h2", false);
  await deployOn("web2", "h2");
  await waitFor(() => dead.got[0], { timeoutMs: 20_000, what: "the command to the host" });
  dead.sub.unsubscribe();
  await buckets.hosts.delete(keys.host("default", "h2"));
  await waitFor(async () => (await unacked()) === 0, { timeoutMs: 20_000, what: "the command settled" });
});

test("a heartbeat of the same life leaves the wait alone; a new life or a deletion ends it", async (t) => {
  const cache = new KvCache(buckets.hosts, decodeHostRecord, silentLogger());
  await cache.start();
  const lives = new HostLives(cache);
  t.after(() => cache.stop());
  const never = new Promise<never>(() => {});
  const startedAt = new Date().toISOString();
  let result: unknown = "waiting";
  // The wait starts on a life the cache has seen: a record it learns of later is a new life.
  assert.equal(await cache.reach(await write(life("h3", startedAt)), 5_000), true);
  void lives.race("default", "h3", never).then((r) => {
    result = r;
  });
  assert.equal(await cache.reach(await write(life("h3", startedAt, 1)), 5_000), true);
  await new Promise((r) => setImmediate(r));
  assert.equal(result, "waiting", "a heartbeat is the same life");
  await write(life("h3", new Date(Date.now() + 1).toISOString()));
  await waitFor(() => result === LIFE_ENDED, { timeoutMs: 5_000, what: "the end of the life" });

  result = "waiting";
  void lives.race("default", "h3", never).then((r) => {
    result = r;
  });
  await buckets.hosts.delete(keys.host("default", "h3"));
  await waitFor(() => result === LIFE_ENDED, { timeoutMs: 5_000, what: "the end by deletion" });
});
