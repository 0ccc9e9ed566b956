/**
 * M3 failover (`npm run bench -- failover`). Every part runs nats-server, controllers and sim
 * fleets as separate processes, driven through the API as a user would.
 *
 * (b) heal: HOSTS sim hosts in two sim processes (3 zones), APPS apps × INSTANCES; one sim process
 *     (half the hosts) is SIGKILLed → ms until every app is `deployed` again with every instance
 *     on a live host (target ≤ 3 × heartbeat + 2 s), ms until the first `host_lost`, commands
 *     sent to a host after it was declared lost (target 0), and commands ÷ the minimum the heal
 *     needs.
 * Params (env): BENCH_HOSTS (1000), BENCH_APPS (200), BENCH_INSTANCES (10), BENCH_HEARTBEAT_MS (5000).
 */
import type { NatsConnection } from "@nats-io/transport-node";
import { connectNats } from "../src/streams/connection.js";
import { subjects } from "../src/streams/subjects.js";
import { spreadApp } from "../test/support/manifests.js";
import { apiClient, commandsStored, LATTICE, LatticeObserver, putAndDeploy } from "./lib/lattice.js";
import { type Proc, spawnNadm, startBenchNats, until } from "./lib/processes.js";
import { emit, type Metric, progress } from "./lib/report.js";

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
    const sims = [half, p.hosts - half].map((n, i) =>
      spawnNadm(
        `sim-${i}`,
        [
          "host",
          "--driver",
          "sim",
          "--sim-hosts",
          String(n),
          "--host-id",
          `s${i}`,
          "--heartbeat-interval",
          `${p.heartbeatMs}ms`,
          "--sim-zones",
          "a,b,c",
        ],
        env,
      ),
    );
    procs.push(...sims);
    nc = await connectNats({ natsUrl: nats.url, lattice: LATTICE });
    const obs = await LatticeObserver.open(nc);
    await obs.waitHosts(p.hosts);
    const api = apiClient(nc);
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
    const killedIds = new Set(Array.from({ length: p.hosts - half }, (_, i) => `s1-${i}`));
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
    const boundMs = 3 * p.heartbeatMs + 2_000;
    const params = { ...p, killed: killedIds.size };
    const metrics = [
      emit({ metric: "failover_heal_ms", value: healMs, unit: "ms", target: `<= ${boundMs}`, params }),
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

if (import.meta.url === `file://${process.argv[1]}`) {
  const env = (k: string, d: number) => Number(process.env[k] ?? d);
  await heal({
    hosts: env("BENCH_HOSTS", 1000),
    apps: env("BENCH_APPS", 200),
    instances: env("BENCH_INSTANCES", 10),
    heartbeatMs: env("BENCH_HEARTBEAT_MS", 5000),
  });
}
