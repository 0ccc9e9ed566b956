/**
 * Liveness carried by `nadm_liveness` (docs/ARCHITECTURE.md, "Liveness"): hosts beat there
 * while their record stays unwritten, replicas take the beats on a core subscription, and the
 * sweep declares a host lost only once the bucket agrees it is silent — deleting its heartbeat
 * key first, so a host declared lost while alive finds out at its next beat and reports again.
 */
import assert from "node:assert/strict";
import { type TestContext, test } from "node:test";
import { jetstream } from "@nats-io/jetstream";
import { resolve, resourcesSchema } from "../../../src/config.js";
import { HostAgent } from "../../../src/host/index.js";
import { livenessValue } from "../../../src/host/liveness-writer.js";
import { HeartbeatFeed } from "../../../src/lattice/heartbeats.js";
import { HostRecordDecoder } from "../../../src/lattice/host-decoder.js";
import { KvCache } from "../../../src/lattice/kv-cache.js";
import { sweepLattice } from "../../../src/lattice/liveness.js";
import { LatticeView } from "../../../src/lattice/view.js";
import { silentLogger } from "../../../src/log.js";
import type { HostRecord } from "../../../src/streams/host-record.js";
import { provision } from "../../../src/streams/provision.js";
import { keys } from "../../../src/streams/subjects.js";
import { testNats } from "../../support/nats.js";
import { waitFor } from "../../support/wait.js";
import { recordEvents } from "../host/helpers.js";

const nats = await testNats();
const nc = await nats.connect();
const buckets = await provision(nc, { resources: resolve(resourcesSchema, {}) });
const js = jetstream(nc);
const log = silentLogger();
const INTERVAL = 300;

/** A replica's view of the lattice: the record cache, the view and its heartbeat feed. */
async function replica(t: TestContext) {
  const decoder = new HostRecordDecoder();
  const cache = new KvCache(buckets.hosts, (e) => decoder.decode(e), log);
  await cache.start();
  const view = new LatticeView(cache, log);
  const feed = new HeartbeatFeed(nc, buckets.liveness, view, log);
  await feed.start();
  t.after(() => {
    feed.stop();
    cache.stop();
  });
  return { cache, view, feed };
}

/** A host written by hand: its record and, optionally, a beat. */
async function handHost(lattice: string, hostId: string) {
  const key = keys.host(lattice, hostId);
  const record: HostRecord = {
    hostId,
    lattice,
    labels: {},
    driver: "sim",
    version: "t",
    startedAt: new Date().toISOString(),
    updatedAt: new Date().toISOString(),
    heartbeatIntervalMs: INTERVAL,
    heartbeatSeq: 0,
    inventory: {},
  };
  const revision = await buckets.hosts.put(key, JSON.stringify(record));
  return {
    key,
    revision,
    beat: (seq: number) => buckets.liveness.put(key, livenessValue(record.startedAt, seq)),
  };
}

test("a host beats without rewriting its record; every replica sees it", async (t) => {
  const lattice = "beats";
  const { view } = await replica(t);
  const agent = new HostAgent({ nc, lattice, hostId: "h1", driver: "sim", heartbeatIntervalMs: INTERVAL });
  await agent.start();
  t.after(() => agent.stop());
  const key = keys.host(lattice, "h1");
  await waitFor(() => view.host(lattice, "h1") !== undefined, { what: "the record in the view" });
  const revision = agent.revision;
  const firstSeen = view.seenAt(key)!.getTime();
  await waitFor(
    async () => {
      const entry = await buckets.liveness.get(key);
      return entry !== null && (JSON.parse(entry.string()) as { seq: number }).seq >= 3;
    },
    { what: "three heartbeats" },
  );
  await waitFor(() => view.seenAt(key)!.getTime() > firstSeen, { what: "the view sees the beats" });
  assert.equal(agent.revision, revision, "the record was not written again");
  assert.equal((await buckets.hosts.get(key))?.revision, revision);
});

test("the sweep declares a silent host lost: heartbeat key, record, host_lost", async (t) => {
  const lattice = "silent";
  const { view } = await replica(t);
  const events = await recordEvents(nc, lattice);
  t.after(() => events.stop());
  const host = await handHost(lattice, "gone");
  // A beat that arrives before the record is ignored (the record's write counts as seen).
  await waitFor(() => view.host(lattice, "gone") !== undefined, { what: "the record in the view" });
  await host.beat(1);
  await waitFor(() => view.host(lattice, "gone")?.beat !== undefined, { what: "the beat in the view" });
  assert.deepEqual(
    await sweepLattice(view, buckets.liveness, js, lattice, Date.now(), log),
    [],
    "not silent yet",
  );
  const later = Date.now() + 10 * INTERVAL;
  assert.deepEqual(await sweepLattice(view, buckets.liveness, js, lattice, later, log), ["gone"]);
  assert.equal((await buckets.liveness.get(host.key))?.operation, "DEL");
  assert.equal((await buckets.hosts.get(host.key))?.operation, "DEL");
  await waitFor(() => events.of("host_lost", "gone").length === 1, { what: "host_lost" });
});

test("a beat this replica missed keeps the host alive, and is taken from the bucket", async (t) => {
  const lattice = "missed";
  const { view, feed } = await replica(t);
  const host = await handHost(lattice, "h1");
  await waitFor(() => view.host(lattice, "h1") !== undefined, { what: "the record in the view" });
  await host.beat(1);
  await waitFor(() => view.host(lattice, "h1")?.beat !== undefined, { what: "the beat in the view" });
  feed.stop(); // this replica hears nothing more
  await host.beat(2);
  const written = (await buckets.liveness.get(host.key))!;
  const later = Date.now() + 10 * INTERVAL;
  assert.deepEqual(await sweepLattice(view, buckets.liveness, js, lattice, later, log), []);
  assert.equal(view.host(lattice, "h1")?.beat, written.string());
  assert.equal(view.seenAt(host.key)?.getTime(), written.created.getTime());
  assert.equal((await buckets.hosts.get(host.key))?.revision, host.revision, "the record stays");
});

test("a host never heard by this replica is judged by its beat's server time", async (t) => {
  const lattice = "unheard";
  const host = await handHost(lattice, "h1");
  await host.beat(1);
  const { view } = await replica(t); // started after the beat: reads it at start
  assert.equal(view.host(lattice, "h1")?.beat, (await buckets.liveness.get(host.key))!.string());
  view.host(lattice, "h1")!.beat = undefined; // as if the start had not read it
  assert.deepEqual(await sweepLattice(view, buckets.liveness, js, lattice, Date.now() + 10 * INTERVAL, log), [
    "h1",
  ]);
});

test("a host with no heartbeat key is judged by its record alone", async (t) => {
  const lattice = "recordonly";
  const { view } = await replica(t);
  const host = await handHost(lattice, "old");
  await waitFor(() => view.host(lattice, "old") !== undefined, { what: "the record in the view" });
  assert.deepEqual(await sweepLattice(view, buckets.liveness, js, lattice, Date.now(), log), []);
  assert.deepEqual(await sweepLattice(view, buckets.liveness, js, lattice, Date.now() + 10 * INTERVAL, log), [
    "old",
  ]);
  assert.equal((await buckets.hosts.get(host.key))?.operation, "DEL");
});

test("a host declared lost while alive writes its record again and says host_started", async (t) => {
  const lattice = "comeback";
  const events = await recordEvents(nc, lattice);
  t.after(() => events.stop());
  const agent = new HostAgent({ nc, lattice, hostId: "h1", driver: "sim", heartbeatIntervalMs: INTERVAL });
  await agent.start();
  t.after(() => agent.stop());
  const key = keys.host(lattice, "h1");
  await waitFor(async () => (await buckets.liveness.get(key)) !== null, { what: "a first beat" });
  // What a sweep does to it (it was silent, say, through a long pause).
  const beat = (await buckets.liveness.get(key))!;
  await buckets.liveness.delete(key, { previousSeq: beat.revision });
  await buckets.hosts.delete(key, { previousSeq: agent.revision });
  await waitFor(async () => (await buckets.hosts.get(key))?.operation === "PUT", {
    what: "the record written again",
  });
  await waitFor(() => events.of("host_started", "h1").length === 2, { what: "host_started again" });
  const record = (await buckets.hosts.get(key))!.json<{ incarnation: number }>();
  assert.equal(record.incarnation, 1);
  await waitFor(async () => (await buckets.liveness.get(key))?.operation === "PUT", {
    what: "beats again",
  });
});

test("a graceful stop deletes the heartbeat key with the record", async () => {
  const lattice = "graceful";
  const agent = new HostAgent({ nc, lattice, hostId: "h1", driver: "sim", heartbeatIntervalMs: INTERVAL });
  await agent.start();
  const key = keys.host(lattice, "h1");
  await waitFor(async () => (await buckets.liveness.get(key)) !== null, { what: "a first beat" });
  await agent.stop();
  assert.equal((await buckets.liveness.get(key))?.operation, "DEL");
  assert.equal((await buckets.hosts.get(key))?.operation, "DEL");
});
