/**
 * Smoke variants of the benchmarks (`npm run bench`): each at tiny sizes, so they keep working,
 * with the correctness their numbers rest on asserted here rather than only printed — commands
 * at the minimum, every app deployed, nothing sent to a host already declared lost, nothing
 * issued when nothing changes.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { heal, replicaKill } from "../../bench/failover.js";
import { fleet } from "../../bench/fleet.js";
import { pipeline } from "../../bench/pipeline.js";
import { placement } from "../../bench/placement.js";

test("failover (M3b): half the hosts SIGKILLed → every app placed in full on live hosts, nothing sent to lost hosts", async () => {
  const r = await heal({ hosts: 12, apps: 6, instances: 3, heartbeatMs: 1000 });
  assert.deepEqual(r.misplaced, []);
  assert.equal(r.sentToLost, 0);
  assert.ok(
    r.commands <= Math.ceil(1.05 * r.minimum),
    `${r.commands} commands for a minimum of ${r.minimum}`,
  );
  assert.ok(r.metrics.every((m) => Number.isFinite(m.value)));
});

test("failover (M3a): a replica SIGKILLed mid-burst; the other deploys every app", async () => {
  const r = await replicaKill({ hosts: 6, apps: 24 });
  assert.equal(r.deployed, 24);
  assert.ok(Number.isFinite(r.stuckMs));
});

test("placement (M2): the floor loop runs and a burst deploys every app with commands = minimum", async () => {
  const r = await placement({ hosts: 12, apps: 8, instances: 3, placements: 300 });
  assert.equal(r.deployed, 8);
  assert.equal(r.commands, r.minimum);
  assert.ok(r.metrics.every((m) => Number.isFinite(m.value)));
  const burst = r.metrics.find((m) => m.metric === "burst_placements_per_s");
  const msgs = burst?.params?.controllerNatsMsgsPerPlacement as { in: number; out: number } | undefined;
  assert.ok(msgs && msgs.in > 0 && msgs.out > 0, JSON.stringify(burst?.params));
});

test("pipeline (M1, M6): one command per event, a latency sample per event", async () => {
  const r = await pipeline({ events: 60, latencyEvents: 40, simHosts: 4 });
  assert.equal(r.commands, 60);
  assert.equal(r.sustainedCommands, 60);
  assert.equal(r.latencySamples, 40);
  assert.ok(r.metrics.every((m) => Number.isFinite(m.value)));
  // What an event costs in NATS messages and CPU, beside the floor's (bench/README.md, M1). M1's
  // few events here may be drained before the first sample, so only M6's must be positive.
  for (const prefix of ["pipeline", "latency"]) {
    for (const what of ["nats_msgs", "cpu_us"]) {
      const m = r.metrics.find((x) => x.metric === `${prefix}_${what}_per_event`);
      assert.ok(m && m.value >= 0 && m.baseline! > 0, `${prefix}_${what}: ${JSON.stringify(m)}`);
      if (prefix === "latency") assert.ok(m.value > 0, JSON.stringify(m));
    }
  }
  // The controller's collections in the window come from its /metrics (bench/README.md, M6), and
  // the p99 of each second shows where in the run the tail falls.
  const work = r.metrics.find((x) => x.metric === "latency_cpu_us_per_event");
  const gc = work?.params.nadm as { gcUsPerEvent?: number; scavengesPer1000Events?: number } | undefined;
  assert.ok(gc && gc.gcUsPerEvent! >= 0 && gc.scavengesPer1000Events! >= 0, JSON.stringify(work?.params));
  const p99 = r.metrics.find((x) => x.metric === "latency_p99_ms");
  const bySecond = p99?.params.p99BySecondMs as { nadm?: number[]; floor?: number[] } | undefined;
  assert.ok(bySecond?.nadm?.length && bySecond.floor?.length, JSON.stringify(p99?.params));
});

test("fleet (M4, M5): memory measured; no command while nothing changes", async () => {
  const r = await fleet({ hosts: 6, apps: 3, steadyHosts: 9, windowS: 2, sims: 1, settleMs: 500 });
  assert.equal(r.steadyCommands, 0);
  // M5's floor (bare processes receiving the host record writes) is measured beside it.
  for (const name of ["steady_floor_watch_cpu_percent", "steady_floor_subscribe_cpu_percent"]) {
    const floor = r.metrics.find((m) => m.metric === name);
    assert.ok(floor && floor.value >= 0, name);
  }
  // Each memory sample says where V8's young-generation cycle was (bench/README.md, M4).
  const perHosts = r.metrics.find((m) => m.metric === "controller_rss_per_1000_hosts_mb");
  const young = perHosts?.params?.youngMb as { empty?: number; hosts?: number } | undefined;
  assert.ok(young && young.empty! > 0 && young.hosts! > 0, JSON.stringify(perHosts?.params));
  assert.ok(r.metrics.every((m) => Number.isFinite(m.value)));
});
