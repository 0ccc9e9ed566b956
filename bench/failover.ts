/**
 * M3 failover (`npm run bench -- failover`). Every part runs nats-server, controllers and sim
 * fleets as separate processes, driven through the API as a user would.
 *
 * (b) heal: HOSTS sim hosts in two sim processes (3 zones), APPS apps × INSTANCES; one sim process
 *     (half the hosts) is SIGKILLed → ms until every app is `deployed` again with every instance
 *     on a live host (target ≤ 3 × heartbeat + 2 s), ms until the first `host_lost`, commands
 *     sent to a host after it was declared lost (target 0), and commands ÷ the minimum the heal
 *     needs.
 * (a) replica: two controllers, a burst of KILL_APPS apps put and deployed by a load generator; one
 *     replica SIGKILLed mid-burst → for the events stored before the kill whose command came
 *     only after it, the longest wait from the kill to that command (target ≤ 3 s): how long the
 *     killed replica's events were stuck.
 * (c) `--large`: (b) with 5,000 hosts and 1,000 apps.
 * Params (env): BENCH_HOSTS (1000), BENCH_APPS (200), BENCH_INSTANCES (10), BENCH_HEARTBEAT_MS
 * (5000), BENCH_KILL_APPS (300).
 */
import type { NatsConnection } from "@nats-io/transport-node";
import { connectNats } from "../src/streams/connection.js";
import { BUCKETS, STREAMS, subjects } from "../src/streams/subjects.js";
import { spreadApp } from "../test/support/manifests.js";
import {
  apiClient,
  commandsStored,
  LATTICE,
  LatticeObserver,
  lastSeq,
  putAndDeploy,
  readAfter,
  waitForApi,
} from "./lib/lattice.js";
import {
  finished,
  type Proc,
  spawnNadm,
  spawnScript,
  spawnSims,
  startBenchNats,
  until,
} from "./lib/processes.js";
import { emit, type Metric, percentile, progress } from "./lib/report.js";

export interface HealParams {
  hosts: number;
  apps: number;
  instances: number;
  heartbeatMs: number;
}

export interface HealResult {
  metrics: Metric[];
  healMs: number;
  boundMs: number;
  sentToLost: number;
  commands: number;
  minimum: number;
  /** Apps not placed in full on live hosts at the end (must be 0). */
  misplaced: string[];
}

export async function heal(p: HealParams): Promise<HealResult> {
  const nats = await startBenchNats();
  const procs: Proc[] = [];
  let nc: NatsConnection | undefined;
  try {
    const env = { NATS_URL: nats.url };
    procs.push(spawnNadm("controller", ["controller"], env));
    const half = Math.floor(p.hosts / 2);
    const sims = spawnSims(p.hosts, 2, env, { heartbeatMs: p.heartbeatMs });
    procs.push(...sims);
    nc = await connectNats({ natsUrl: nats.url, lattice: LATTICE });
    const obs = await LatticeObserver.open(nc);
    // When each host's last heartbeat arrived here (for how late verdicts come, below).
    const beatAt = new Map<string, number>();
    const skip = subjects.kvPrefix(BUCKETS.liveness).length;
    const beatSub = nc.subscribe(subjects.kvWrites(BUCKETS.liveness), {
      callback: (_e, m) => {
        if (m.data.length > 0) beatAt.set(m.subject.slice(skip), Date.now());
      },
    });
    await obs.waitHosts(p.hosts);
    const api = apiClient(nc);
    await waitForApi(api);
    const names = Array.from({ length: p.apps }, (_, i) => `app-${i}`);
    progress(`${p.hosts} hosts up; deploying ${p.apps} apps × ${p.instances}`);
    await putAndDeploy(
      api,
      names.map((n) => spreadApp(n, { instances: p.instances })),
    );
    await obs.waitDeployed(names);
    await until(
      () => [...obs.running().values()].reduce((a, e) => a + e.total, 0) === p.apps * p.instances,
      "every instance running",
    );
    const before = obs.desiredByHost();
    const commands0 = await commandsStored(nc);

    const lostAt = new Map<string, number>();
    let sentToLost = 0;
    const lostSub = nc.subscribe(subjects.event(LATTICE, "host_lost"), {
      callback: (_e, m) => {
        const id = m.json<{ data: { hostId: string } }>().data.hostId;
        if (!lostAt.has(id)) lostAt.set(id, performance.now());
      },
    });
    const ctlPrefix = subjects.control(LATTICE, "");
    const ctlSub = nc.subscribe(`${ctlPrefix}*`, {
      callback: (_e, m) => {
        if (lostAt.has(m.subject.slice(ctlPrefix.length))) sentToLost++;
      },
    });
    await nc.flush();
    const killed = sims[1]!;
    const killedIds = new Set(Array.from({ length: half }, (_, i) => `s1-${i}`)); // spawnSims: process 1 has ⌊hosts/2⌋
    // How late each killed host's record was deleted, after it was last seen (its last heartbeat
    // as received here, or its record's last write) + 3 heartbeats.
    const verdictLate: number[] = [];
    obs.hosts.onChange((key, next, prev) => {
      if (!next && prev && killedIds.has(key.slice(LATTICE.length + 1))) {
        const seen = Math.max(beatAt.get(key) ?? 0, prev.created.getTime());
        verdictLate.push(Date.now() - (seen + 3 * p.heartbeatMs));
      }
    });
    progress(`SIGKILL ${killed.name} (${killedIds.size} hosts)`);
    const t0 = performance.now();
    await killed.kill();
    const misplacedNow = () => {
      const running = obs.running();
      return names.filter((n) => {
        const r = running.get(n);
        return !r || r.total !== p.instances || [...r.hosts].some((h) => killedIds.has(h));
      });
    };
    await until(
      () => {
        for (const id of killedIds) if (obs.hosts.get(`${LATTICE}.${id}`)) return false;
        return obs.deployedCount(names) === names.length && misplacedNow().length === 0;
      },
      "every app healed",
      300_000,
      20,
    );
    const healMs = performance.now() - t0;
    const noticedMs = Math.min(...lostAt.values()) - t0;
    // Let stragglers (retries, late commands) show before counting.
    await nc.flush();
    const commands = (await commandsStored(nc)) - commands0;
    const minimum = healMinimum(before, obs.desiredByHost(), killedIds);
    lostSub.unsubscribe();
    ctlSub.unsubscribe();
    beatSub.unsubscribe();
    const boundMs = 3 * p.heartbeatMs + 2_000;
    const params = { ...p, killed: killedIds.size };
    // When the last killed host was declared lost: the heal cannot end before it.
    const lastHostLostMs = Math.round(Math.max(...lostAt.values()) - t0);
    const metrics = [
      emit({
        metric: "failover_heal_ms",
        value: healMs,
        unit: "ms",
        target: `<= ${boundMs}`,
        params: { ...params, lastHostLostMs, verdictLateMs: spread(verdictLate) },
      }),
      emit({ metric: "failover_first_host_lost_ms", value: noticedMs, unit: "ms", params }),
      emit({
        metric: "failover_commands_to_lost_hosts",
        value: sentToLost,
        unit: "commands",
        target: "0",
        params,
      }),
      emit({
        metric: "failover_commands_per_minimum",
        value: commands / minimum,
        unit: "ratio",
        baseline: minimum,
        target: "<= 1.05",
        params: { ...params, commands },
      }),
    ];
    obs.stop();
    return { metrics, healMs, boundMs, sentToLost, commands, minimum, misplaced: misplacedNow() };
  } finally {
    await nc?.close();
    await Promise.all(procs.map((pr) => pr.kill()));
    await nats.stop();
  }
}

/** Commands the heal needs at least: (host, workload) pairs on surviving hosts whose count changed. */
function healMinimum(
  before: Map<string, Map<string, number>>,
  after: Map<string, Map<string, number>>,
  killed: ReadonlySet<string>,
): number {
  let n = 0;
  for (const [host, workloads] of after) {
    if (killed.has(host)) continue;
    const prev = before.get(host) ?? new Map<string, number>();
    for (const key of new Set([...workloads.keys(), ...prev.keys()]))
      if ((workloads.get(key) ?? 0) !== (prev.get(key) ?? 0)) n++;
  }
  return n;
}

export interface ReplicaKillResult {
  metrics: Metric[];
  /** Longest ms from the kill to the first command of an event stored before it. */
  stuckMs: number;
  deployed: number;
}

export async function replicaKill(p: { hosts: number; apps: number }): Promise<ReplicaKillResult> {
  const nats = await startBenchNats();
  const procs: Proc[] = [];
  let nc: NatsConnection | undefined;
  try {
    const env = { NATS_URL: nats.url };
    const [a, b] = ["a", "b"].map((n) => spawnNadm(`controller-${n}`, ["controller"], env));
    procs.push(a!, b!, spawnNadm("sim", ["host", "--driver", "sim", "--sim-hosts", String(p.hosts)], env));
    nc = await connectNats({ natsUrl: nats.url, lattice: LATTICE });
    const obs = await LatticeObserver.open(nc);
    await obs.waitHosts(p.hosts);
    const names = Array.from({ length: p.apps }, (_, i) => `app-${i}`);
    const events0 = await lastSeq(nc, STREAMS.events);
    const commands0 = await lastSeq(nc, STREAMS.commands);
    const burst = spawnScript("burst", "lib/agents.ts", ["api-burst", String(p.apps), "2", "app"], env);
    await until(() => obs.deployedCount(names) >= p.apps / 4, "a quarter of the burst deployed", 300_000, 10);
    const killedAt = Date.now();
    await a!.kill();
    progress(`SIGKILLed controller-a mid-burst (${obs.deployedCount(names)}/${p.apps} deployed)`);
    await finished(burst);
    await obs.waitDeployed(names);
    const events = await readAfter(nc, STREAMS.events, subjects.event(LATTICE, "app_deployed"), events0);
    const firstCommand = new Map<string, number>();
    for (const m of await readAfter(nc, STREAMS.commands, subjects.commandsAll, commands0)) {
      const cause = (JSON.parse(new TextDecoder().decode(m.data)) as { causationId: string }).causationId;
      if (!firstCommand.has(cause)) firstCommand.set(cause, m.time);
    }
    let stuckMs = 0;
    for (const e of events) {
      if (e.time >= killedAt) continue;
      const id = (JSON.parse(new TextDecoder().decode(e.data)) as { id: string }).id;
      const first = firstCommand.get(id);
      if (first !== undefined && first > killedAt) stuckMs = Math.max(stuckMs, first - killedAt);
    }
    const metrics = [
      emit({
        metric: "failover_replica_kill_stuck_ms",
        value: stuckMs,
        unit: "ms",
        target: "<= 3000",
        params: { replicas: 2, hosts: p.hosts, apps: p.apps },
      }),
    ];
    const deployed = obs.deployedCount(names);
    obs.stop();
    return { metrics, stuckMs, deployed };
  } finally {
    await nc?.close();
    await Promise.all(procs.map((pr) => pr.kill()));
    await nats.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const env = (k: string, d: number) => Number(process.env[k] ?? d);
  const large = process.argv.includes("--large");
  if (!large) await replicaKill({ hosts: 200, apps: env("BENCH_KILL_APPS", 300) });
  await heal({
    hosts: env("BENCH_HOSTS", large ? 5000 : 1000),
    apps: env("BENCH_APPS", large ? 1000 : 200),
    instances: env("BENCH_INSTANCES", 10),
    heartbeatMs: env("BENCH_HEARTBEAT_MS", 5000),
  });
}

/** p50, p99 and max of a list of ms (the liveness verdicts' lateness); zeros when empty. */
function spread(ms: readonly number[]): { p50: number; p99: number; max: number } {
  const at = (p: number) => (ms.length === 0 ? 0 : Math.round(percentile(ms, p)));
  return { p50: at(50), p99: at(99), max: at(100) };
}
