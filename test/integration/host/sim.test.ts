import assert from "node:assert/strict";
import { type TestContext, test } from "node:test";
import { jetstreamManager } from "@nats-io/jetstream";
import { resolve, resourcesSchema } from "../../../src/config.js";
import { listHosts, runSimFleet, type SimFleetOptions } from "../../../src/host/index.js";
import { hostRecordSchema } from "../../../src/streams/host-record.js";
import { provision } from "../../../src/streams/provision.js";
import { keys, subjects } from "../../../src/streams/subjects.js";
import { testNats } from "../../support/nats.js";
import { waitFor } from "../../support/wait.js";
import { control, makeCommand, recordEvents } from "./helpers.js";

const nats = await testNats();
const nc = await nats.connect();
const { hosts: kv, liveness } = await provision(nc, { resources: resolve(resourcesSchema, {}) });

/** Hosts of `lattice` whose heartbeat key has said at least `seq`, as the beats are written. */
async function beatsOf(t: TestContext, lattice: string, seq = 1) {
  const first = new Map<string, number>();
  const watch = await liveness.watch({ key: keys.latticePrefix(lattice) });
  const watching = (async () => {
    for await (const e of watch) {
      if (e.operation !== "PUT" || (JSON.parse(e.string()) as { seq: number }).seq < seq) continue;
      const hostId = keys.parse(e.key)!.name;
      if (!first.has(hostId)) first.set(hostId, Date.now());
    }
  })();
  t.after(async () => {
    watch.stop();
    await watching;
  });
  return first;
}
const jsm = await jetstreamManager(nc);

async function fleet(t: TestContext, opts: Omit<SimFleetOptions, "nc">) {
  const f = await runSimFleet({ nc, ...opts });
  t.after(() => f.stop());
  return f;
}

test("a small sim fleet registers with zones round-robin and staggers its heartbeats", async (t) => {
  const lattice = "simsmall";
  const interval = 1_200;
  const count = 12;
  const firstBeat = await beatsOf(t, lattice);
  const t0 = Date.now();
  const f = await fleet(t, { lattice, count, heartbeatIntervalMs: interval });
  const hosts = await listHosts(kv, jsm, lattice);
  assert.equal(hosts.length, count);
  assert.deepEqual(f.hostIds.slice(0, 4), ["sim-0", "sim-1", "sim-2", "sim-3"]);
  const zoneOf = new Map(hosts.map((h) => [h.hostId, h.labels.zone]));
  assert.deepEqual(
    ["sim-0", "sim-1", "sim-2", "sim-3"].map((id) => zoneOf.get(id)),
    ["a", "b", "c", "a"],
  );
  await waitFor(() => firstBeat.size === count, {
    timeoutMs: 3 * interval,
    what: "a heartbeat from every host",
  });
  // Host i (i ≥ 1) first beats at i·interval/count: one after the other, spread over the interval.
  const offsets = f.hostIds.slice(1).map((id) => firstBeat.get(id)! - t0);
  for (let i = 1; i < offsets.length; i++) {
    assert.ok(offsets[i]! > offsets[i - 1]!, `staggered: ${offsets.join(", ")}`);
  }
  const spread = offsets.at(-1)! - offsets[0]!;
  assert.ok(spread >= 0.6 * interval, `spread ${spread} ms over a ${interval} ms interval`);
});

test("a sim host scales on command, its instances become ready, failed starts back off and retry", async (t) => {
  const lattice = "simcmd";
  const events = await recordEvents(nc, lattice);
  t.after(() => events.stop());
  await fleet(t, {
    lattice,
    count: 3,
    simStartMs: 30,
    simFailRate: 0.5,
    seed: 7,
    backoff: { baseMs: 20, maxMs: 200 },
  });
  const hostId = "sim-1";
  const cmd = makeCommand(lattice, hostId, { type: "process", spec: { command: "ignored" } }, 5);
  const reply = await control(nc, subjects.control(lattice, hostId), cmd);
  assert.equal(reply.ok, true);
  const inv = await waitFor(async () => {
    const entry = await kv.get(keys.host(lattice, hostId));
    const i = entry ? hostRecordSchema.parse(entry.json()).inventory["demo.web.r1"] : undefined;
    return i?.ready === 5 ? i : undefined;
  });
  assert.equal(inv.running, 5);
  assert.equal(inv.pids, undefined, "sim instances have no pids");
  assert.ok(inv.restarts > 0, "some simulated starts failed and were retried");
  const failed = events.of("workload_failed", hostId);
  assert.ok(failed.length > 0);
  assert.match(failed[0]!.data.reason, /simulated start failure/);

  const down = makeCommand(lattice, hostId, { type: "process", spec: { command: "ignored" } }, 0);
  assert.deepEqual(await control(nc, subjects.control(lattice, hostId), down), { ok: true, running: 0 });
});

test("1,000 sim hosts register and all heartbeat within one interval", async (t) => {
  // Their idle CPU is measured by `npm run bench` (bench/sim-idle.ts), not asserted here.
  const lattice = "simbig";
  const beaten = await beatsOf(t, lattice);
  const f = await fleet(t, { lattice, count: 1_000 });
  assert.equal((await listHosts(kv, jsm, lattice)).length, 1_000);
  await waitFor(() => beaten.size === 1_000, {
    timeoutMs: 10_000,
    what: "every host's first heartbeat (interval 5 s)",
  });
  const written = await listHosts(kv, jsm, lattice, liveness);
  assert.ok(
    written.every((h) => h.heartbeatSeq === 0 && h.lastSeen > h.updatedAt),
    "heartbeats leave the records alone, and count as seen",
  );
  await f.stop();
  assert.equal((await listHosts(kv, jsm, lattice)).length, 0, "records deleted on stop");
});

test("a host whose record was swept while it was alive writes it back and announces itself again", async (t) => {
  const lattice = "revived";
  const events = await recordEvents(nc, lattice);
  t.after(() => events.stop());
  const f = await fleet(t, { lattice, count: 1, heartbeatIntervalMs: 200 });
  const key = keys.host(lattice, f.hostIds[0]!);
  await waitFor(() => events.of("host_started").length === 1, { what: "first host_started" });
  await waitFor(async () => (await liveness.get(key)) !== null, { what: "a first heartbeat" });
  // What the liveness sweep does to a host it believes dead: its heartbeat key, then its record.
  await liveness.delete(key, { previousSeq: (await liveness.get(key))!.revision });
  await kv.delete(key);
  await waitFor(async () => (await kv.get(key))?.operation === "PUT", { what: "record written back" });
  await waitFor(() => events.of("host_started").length === 2, { what: "a second host_started" });
});
