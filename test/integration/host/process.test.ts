import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, type TestContext, test } from "node:test";
import { Kvm } from "@nats-io/kv";
import { resolve, resourcesSchema } from "../../../src/config.js";
import { HostAgent, type HostAgentOptions } from "../../../src/host/index.js";
import type { NadmEvent } from "../../../src/streams/events.js";
import { BUILTIN_LABELS, hostRecordSchema } from "../../../src/streams/host-record.js";
import { provision } from "../../../src/streams/provision.js";
import { BUCKETS, keys, subjects } from "../../../src/streams/subjects.js";
import { testNats } from "../../support/nats.js";
import { waitFor } from "../../support/wait.js";
import { control, liveInstancePids, makeCommand, recordEvents } from "./helpers.js";

const nats = await testNats();
const nc = await nats.connect();
// History kept on purpose, so each event's stateRevision can be looked up (production keeps 1).
await new Kvm(nc).create(BUCKETS.hosts, { history: 64 });
const { hosts: kv } = await provision(nc, { resources: resolve(resourcesSchema, {}) });
const dataRoot = mkdtempSync(join(tmpdir(), "nadm-host-test-"));
after(() => rmSync(dataRoot, { recursive: true, force: true }));

const SLEEP = { spec: { command: "sleep", args: ["300"] } };

async function startAgent(
  t: TestContext,
  opts: Partial<HostAgentOptions> & { lattice: string; hostId: string },
) {
  const agent = new HostAgent({
    nc,
    dataDir: mkdtempSync(join(dataRoot, "d-")),
    stopGraceMs: 2_000,
    ...opts,
  });
  t.after(() => agent.stop());
  await agent.start();
  return agent;
}

async function record(lattice: string, hostId: string) {
  const entry = await kv.get(keys.host(lattice, hostId));
  return entry?.operation === "PUT"
    ? { record: hostRecordSchema.parse(entry.json()), revision: entry.revision }
    : null;
}

/** Each event's stateRevision names a KV revision whose record holds exactly the event's counts. */
async function assertEachEventDescribesItsRecord(
  key: string,
  wk: string,
  scaled: Array<Extract<NadmEvent, { type: "workload_scaled" }>>,
) {
  let lastRevision = 0;
  for (const ev of scaled) {
    const rev = ev.data.stateRevision!;
    assert.ok(rev >= lastRevision, "events follow the order of the writes");
    lastRevision = rev;
    const entry = await kv.get(key, { revision: rev });
    const inv = hostRecordSchema.parse(entry!.json()).inventory[wk];
    const data = ev.data;
    assert.deepEqual(
      { desired: inv?.desired, running: inv?.running, ready: inv?.ready },
      { desired: data.desired, running: data.running, ready: data.ready },
      `event at revision ${rev} describes that record`,
    );
    assert.ok(entry!.created.getTime() <= Date.parse(ev.time), "KV write precedes its event");
  }
}

test("scales a process workload 0 → 3 → 1 → 0, checked by pid, with KV written before each event", async (t) => {
  const [lattice, hostId] = ["scale", "h-scale"];
  const events = await recordEvents(nc, lattice);
  t.after(() => events.stop());
  await startAgent(t, { lattice, hostId, labels: { zone: "east" } });
  const ctl = subjects.control(lattice, hostId);
  const wk = "demo.web.r1";
  const first = await record(lattice, hostId);
  assert.equal(first?.record.labels.zone, "east");
  assert.ok(first?.record.labels[BUILTIN_LABELS.hostname]);

  let before: number[] = [];
  for (const n of [3, 3, 1, 0]) {
    const cmd = makeCommand(lattice, hostId, SLEEP, n);
    assert.deepEqual(await control(nc, ctl, cmd), { ok: true, running: n });
    const live = liveInstancePids(hostId);
    assert.equal(live.length, n, `exactly ${n} live processes after count=${n}`);
    const current = await record(lattice, hostId);
    const inv = current?.record.inventory[wk];
    if (n === 0 && inv === undefined) break; // already retired from the inventory: checked below
    assert.equal(inv?.desired, n);
    assert.equal(inv?.lastCommandId, cmd.id);
    assert.deepEqual(
      [...(inv?.pids ?? [])].sort((a, b) => a - b),
      live,
    );
    if (n === 3 && before.length === 3) assert.deepEqual(live, before, "the same count twice starts nothing");
    if (n === 1) assert.deepEqual(inv?.pids, [before[0]], "scale-down stops the newest first");
    before = (inv?.pids ?? []).slice();
  }
  await waitFor(async () => (await record(lattice, hostId))?.record.inventory[wk] === undefined, {
    what: "the idle workload to leave the inventory",
  });

  const scaled = await waitFor(() => {
    const list = events.of("workload_scaled", hostId);
    return list.some((e) => e.data.desired === 0 && e.data.running === 0) ? list : undefined;
  });
  await assertEachEventDescribesItsRecord(keys.host(lattice, hostId), wk, scaled);
  // Writes may also catch intermediate counts (one of two instances already gone): fine, as
  // long as 3, 1 and 0 were each reported, in that order.
  const runs = scaled.map((e) => e.data.running);
  const at3 = runs.indexOf(3);
  const at1 = runs.indexOf(1, at3);
  assert.ok(
    at3 >= 0 && at1 > at3 && runs.indexOf(0, at1) > at1,
    `running went 3 → 1 → 0: ${runs.join(", ")}`,
  );
  const started = events.of("host_started", hostId);
  assert.equal(started.length, 1);
  assert.equal(started[0]!.data.stateRevision, first?.revision);
});

test("a crashing instance is restarted with growing delays and reported as workload_failed", async (t) => {
  const [lattice, hostId] = ["crash", "h-crash"];
  const events = await recordEvents(nc, lattice);
  t.after(() => events.stop());
  await startAgent(t, { lattice, hostId, backoff: { baseMs: 100, maxMs: 10_000 } });
  const crash = { component: "crasher", spec: { command: "sh", args: ["-c", "echo boom >&2; exit 3"] } };
  const reply = await control(nc, subjects.control(lattice, hostId), makeCommand(lattice, hostId, crash, 1));
  assert.equal(reply.ok, true);

  const failed = await waitFor(() => {
    const list = events.of("workload_failed", hostId);
    return list.length >= 5 ? list : undefined;
  });
  for (const ev of failed) {
    assert.equal(ev.data.exitCode, 3);
    assert.equal(ev.data.signal ?? null, null);
    assert.match(ev.data.reason, /code 3: boom/);
  }
  const times = failed.slice(0, 5).map((e) => Date.parse(e.time));
  const gaps = times.slice(1).map((time, i) => time - times[i]!);
  t.diagnostic(`gaps between failures (base 100 ms): ${gaps.join(", ")} ms`);
  // An event's time is when the host saw the exit, not when it was published (after a record
  // write, whose latency varies). The n-th restart waits 100 ms · 2^(n-1); a gap adds the spawn
  // and the crash, which a loaded machine can stretch by more than one doubling, so each gap is
  // held to its own backoff.
  gaps.forEach((gap, i) => {
    assert.ok(gap >= 100 * 2 ** i - 10, `restart ${i + 1} waits its backoff: ${gaps.join(", ")}`);
  });
  assert.ok(gaps.at(-1)! > gaps[0]!, `gaps grow: ${gaps.join(", ")}`);
  const inv = (await record(lattice, hostId))?.record.inventory["demo.crasher.r1"];
  assert.ok((inv?.restarts ?? 0) >= 4);
  assert.match(inv?.lastError ?? "", /boom/);
});

test("a tcp workload with port auto gets PORT, becomes ready when it listens, and logs to its file", async (t) => {
  const [lattice, hostId] = ["tcp", "h-tcp"];
  const dataDir = mkdtempSync(join(dataRoot, "tcp-"));
  await startAgent(t, { lattice, hostId, dataDir });
  const script =
    "const s=require('net').createServer(c=>c.end());" +
    "setTimeout(()=>s.listen(+process.env.PORT,'127.0.0.1',()=>console.log('listening on '+process.env.PORT)),300)";
  const tcp = {
    component: "tcp",
    spec: { command: process.execPath, args: ["-e", script], port: "auto", readiness: { type: "tcp" } },
  };
  const reply = await control(nc, subjects.control(lattice, hostId), makeCommand(lattice, hostId, tcp, 2));
  assert.deepEqual(reply, { ok: true, running: 2 });
  const inv = await waitFor(async () => {
    const i = (await record(lattice, hostId))?.record.inventory["demo.tcp.r1"];
    return i?.ready === 2 ? i : undefined;
  });
  assert.equal(inv.running, 2);
  const log = await waitFor(() => {
    const text = readFileSync(join(dataDir, "logs", "demo.tcp.r1", "0.log"), "utf8");
    return text.includes("listening on") ? text : undefined;
  });
  assert.match(log, /listening on \d+/);
});

test("malformed commands are refused, naming the problem, and change nothing", async (t) => {
  const [lattice, hostId] = ["bad", "h-bad"];
  const events = await recordEvents(nc, lattice);
  t.after(() => events.stop());
  await startAgent(t, { lattice, hostId, heartbeatIntervalMs: 60_000 });
  const ctl = subjects.control(lattice, hostId);
  const before = await record(lattice, hostId);
  const good = makeCommand(lattice, hostId, SLEEP, 2);
  const cases: Array<[unknown, RegExp]> = [
    ["{not json", /not valid JSON/],
    [{ ...good, count: -1 }, /^count: /],
    [{ ...good, id: undefined }, /^id: /],
    [{ ...good, workload: { ...good.workload, spec: { args: ["1"] } } }, /^workload\.spec\.command: /],
    [
      { ...good, workload: { ...good.workload, spec: { command: "x", readiness: { type: "tcp" } } } },
      /readiness\.type/,
    ],
    [{ ...good, workload: { ...good.workload, type: "container" } }, /^workload\.type: unsupported/],
    [{ ...good, hostId: "someone-else" }, /^hostId: /],
    [{ ...good, workload: { ...good.workload, key: "demo.web.r2" } }, /^workload\.key: /],
    [{ op: "explode" }, /^op: /],
  ];
  for (const [body, error] of cases) {
    const reply = await control(nc, ctl, body);
    assert.equal(reply.ok, false);
    assert.match(reply.error ?? "", error);
  }
  assert.deepEqual(liveInstancePids(hostId), []);
  const afterwards = await record(lattice, hostId);
  assert.equal(afterwards?.revision, before?.revision, "no KV write");
  assert.deepEqual(afterwards?.record.inventory, {});
  assert.deepEqual(await control(nc, ctl, { op: "inventory" }), { ok: true, inventory: {} });
  assert.deepEqual(
    events.events.map((e) => e.type),
    ["host_started"],
  );
});

test("graceful stop kills stubborn instances after the grace, deletes the key and publishes host_stopped", async (t) => {
  const [lattice, hostId] = ["stop", "h-stop"];
  const events = await recordEvents(nc, lattice);
  t.after(() => events.stop());
  const agent = await startAgent(t, { lattice, hostId, stopGraceMs: 300 });
  const stubborn = { spec: { command: "sh", args: ["-c", "trap '' TERM; sleep 300 & wait"] } };
  await control(nc, subjects.control(lattice, hostId), makeCommand(lattice, hostId, stubborn, 2));
  assert.ok(liveInstancePids(hostId).length >= 2);
  const t0 = Date.now();
  await agent.stop();
  assert.ok(Date.now() - t0 >= 250, "waited for the grace period");
  assert.deepEqual(liveInstancePids(hostId), []);
  const entry = await kv.get(keys.host(lattice, hostId));
  assert.notEqual(entry?.operation, "PUT");
  const stopped = await waitFor(() => events.of("host_stopped", hostId)[0]);
  assert.equal(stopped.data.stateRevision, entry?.revision);
  await agent.stop(); // idempotent
});

test("scaling down drains: an instance leaves the endpoints others see before it stops", async (t) => {
  const [lattice, hostId] = ["drain", "h-drain"];
  await startAgent(t, { lattice, hostId, drainMs: 1_500 });
  const ctl = subjects.control(lattice, hostId);
  const server = {
    spec: {
      command: process.execPath,
      args: [
        "-e",
        "require('node:http').createServer((q, r) => r.end('ok')).listen(Number(process.env.PORT))",
      ],
      port: "auto",
      readiness: { type: "tcp" },
    },
  };
  assert.equal((await control(nc, ctl, makeCommand(lattice, hostId, server, 2))).ok, true);
  const wk = "demo.web.r1";
  await waitFor(
    async () =>
      (await record(lattice, hostId))?.record.inventory[wk]?.endpoints?.length === 2 ? true : undefined,
    {
      what: "2 endpoints reported",
    },
  );
  const scaling = control(nc, ctl, makeCommand(lattice, hostId, server, 1));
  // While the command is in progress: one endpoint left, both processes still alive.
  await waitFor(
    async () =>
      (await record(lattice, hostId))?.record.inventory[wk]?.endpoints?.length === 1 ? true : undefined,
    {
      what: "the drained endpoint gone from the record",
    },
  );
  assert.equal(
    liveInstancePids(hostId).length,
    2,
    "the drained instance still runs while it leaves the endpoints",
  );
  assert.deepEqual(await scaling, { ok: true, running: 1 });
  assert.equal(liveInstancePids(hostId).length, 1);
});
