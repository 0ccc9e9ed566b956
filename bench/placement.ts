/**
 * M2 placement floor and burst (`npm run bench -- placement`), every role its own process.
 *
 * Floor: only the NATS operations one placement needs in this design — publish the command and
 *   await its PubAck; consume it, request/reply to the host, ack; the host's KV compare-and-set
 *   and its event publish; consume and ack the event — for PLACEMENTS commands over HOSTS
 *   responders (three processes: driver, responders, nats-server).
 * Burst: HOSTS sim hosts (3 zones, two sim processes; instances ready as soon as started, so
 *   one record write and one event per placement, as in the floor), one controller, APPS apps ×
 *   INSTANCES put and deployed at once through the API by a load-generator process → placements
 *   per second until every app is `deployed`; commands ÷ the minimum ((host, workload) pairs).
 * Params (env): BENCH_HOSTS (1000), BENCH_APPS (1000), BENCH_INSTANCES (10), BENCH_PLACEMENTS (10000),
 * BENCH_API_CONCURRENCY (64: apps the load generator puts and deploys at a time).
 */
import type { NatsConnection } from "@nats-io/transport-node";
import { connectNats } from "../src/streams/connection.js";
import { STREAMS } from "../src/streams/subjects.js";
import { freePort } from "../src/system.js";
import { provisionFloor } from "./lib/floor.js";
import { commandsStored, LATTICE, LatticeObserver, lastSeq } from "./lib/lattice.js";
import {
  cpuTicks,
  finished,
  type Proc,
  scrapeMetrics,
  spawnNadm,
  spawnScript,
  spawnSims,
  startBenchNats,
  until,
} from "./lib/processes.js";
import { emit, type Metric, progress } from "./lib/report.js";

export interface PlacementParams {
  hosts: number;
  apps: number;
  instances: number;
  placements: number;
}

export interface PlacementResult {
  metrics: Metric[];
  commands: number;
  minimum: number;
  deployed: number;
}

export async function placement(p: PlacementParams): Promise<PlacementResult> {
  const nats = await startBenchNats();
  const procs: Proc[] = [];
  const env = { NATS_URL: nats.url };
  let nc: NatsConnection | undefined;
  try {
    nc = await connectNats({ natsUrl: nats.url, lattice: LATTICE });
    await provisionFloor(nc);
    const obs = await LatticeObserver.open(nc);

    const responders = spawnScript("responders", "lib/agents.ts", ["responders", String(p.hosts)], env);
    procs.push(responders);
    await until(() => responders.output().includes('"ready"'), "floor responders", 120_000);
    const t0 = performance.now();
    await finished(
      spawnScript(
        "driver",
        "lib/agents.ts",
        ["placement-driver", String(p.placements), String(p.hosts)],
        env,
      ),
    );
    const floorRate = (p.placements * 1000) / (performance.now() - t0);
    await responders.kill();
    progress(`placement floor: ${floorRate.toFixed(0)} placements/s`);

    const port = await freePort();
    procs.push(
      spawnNadm("controller", ["controller", "--http-port", String(port)], env),
      // Ready as soon as started, like the floor's host: one record write and one event per
      // placement (a start delay would add a second write and event per placement, and time).
      ...spawnSims(p.hosts, 2, env, { startMs: 0 }),
    );
    await obs.waitHosts(p.hosts);
    const names = Array.from({ length: p.apps }, (_, i) => `app-${i}`);
    const commands0 = await commandsStored(nc);
    const events0 = await lastSeq(nc, STREAMS.events);
    progress(`${p.hosts} hosts up; burst of ${p.apps} apps × ${p.instances}`);
    const cpuPids = {
      controller: procs[procs.length - 3]!.pid,
      sims: [procs[procs.length - 2]!.pid, procs[procs.length - 1]!.pid],
      nats: nats.server.pid,
    };
    const ticks0 = cpuSnapshot(cpuPids);
    const counters0 = await counters(port);
    const t1 = performance.now();
    const burst = spawnScript(
      "burst",
      "lib/agents.ts",
      ["api-burst", String(p.apps), String(p.instances), "app"],
      env,
    );
    await obs.waitDeployed(names, 900_000);
    const ms = performance.now() - t1;
    const cpu = cpuShare(cpuPids, ticks0, ms);
    await finished(burst);
    // The load generator's own time: every put and deploy answered by the API.
    const lines = burst.output().trim().split("\n");
    const apiSeconds = (JSON.parse(lines.at(-1) ?? "{}") as { ms?: number }).ms ?? Number.NaN;
    // Per request (put or deploy) while the controller also places: ms at p50 / p99, retries.
    const apiRequests = (JSON.parse(lines.find((l) => l.startsWith('{"api"')) ?? "{}") as { api?: unknown })
      .api;
    const placements = p.apps * p.instances;
    const rate = (placements * 1000) / ms;
    const commands = (await commandsStored(nc)) - commands0;
    const events = (await lastSeq(nc, STREAMS.events)) - events0;
    const counters1 = await counters(port);
    const runs = counters1.reconciles - counters0.reconciles;
    const perPlacement = (n: number) => Math.round((n * 100) / placements) / 100;
    const minimum = obs.placedPairs();
    const params = { hosts: p.hosts, apps: p.apps, instances: p.instances, floorPlacements: p.placements };
    const metrics = [
      emit({ metric: "placement_floor_per_s", value: floorRate, unit: "placements/s", params }),
      emit({
        metric: "burst_placements_per_s",
        value: rate,
        unit: "placements/s",
        baseline: floorRate,
        ratio: rate / floorRate,
        target: "ratio >= 0.6",
        params: {
          ...params,
          seconds: ms / 1000,
          cpuPercentOfOneCore: cpu,
          events,
          reconciles: runs,
          controllerCpuMsPerPlacement: ((cpu.controller ?? 0) * ms) / 100 / placements,
          // Everything it received and sent meanwhile: the API's requests and the heartbeats too.
          controllerNatsMsgsPerPlacement: {
            in: perPlacement(counters1.inMsgs - counters0.inMsgs),
            out: perPlacement(counters1.outMsgs - counters0.outMsgs),
          },
          apiSeconds: apiSeconds / 1000,
          apiRequests,
        },
      }),
      emit({
        metric: "burst_commands_per_minimum",
        value: commands / minimum,
        unit: "ratio",
        baseline: minimum,
        target: "1.00",
        params: { ...params, commands },
      }),
    ];
    const deployed = obs.deployedCount(names);
    obs.stop();
    return { metrics, commands, minimum, deployed };
  } finally {
    await nc?.close();
    await Promise.all(procs.map((pr) => pr.kill()));
    await nats.stop();
  }
}

/**
 * Reconciles the controller has run (the count of its `nadm_reconcile_seconds` histogram) and
 * NATS messages it has received and sent, so far.
 */
async function counters(port: number): Promise<{ reconciles: number; inMsgs: number; outMsgs: number }> {
  return until(
    () =>
      scrapeMetrics(port).then(
        (m) => {
          const reconciles = m.get("nadm_reconcile_seconds_count");
          if (reconciles === undefined) return undefined;
          return {
            reconciles,
            inMsgs: m.get('nadm_nats_messages_total{direction="in"}') ?? Number.NaN,
            outMsgs: m.get('nadm_nats_messages_total{direction="out"}') ?? Number.NaN,
          };
        },
        () => undefined,
      ),
    "controller /metrics",
    60_000,
  );
}

type CpuPids = { controller: number; sims: number[]; nats: number };

function cpuSnapshot(p: CpuPids): number[] {
  return [p.controller, ...p.sims, p.nats].map(cpuTicks);
}

/** Percent of one core each role used since `before`, over `ms`. */
function cpuShare(p: CpuPids, before: number[], ms: number): Record<string, number> {
  const now = cpuSnapshot(p);
  const pct = (i: number) => Math.round(((now[i]! - before[i]!) / (ms / 10)) * 100);
  return { controller: pct(0), sims: pct(1) + pct(2), natsServer: pct(3) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const env = (k: string, d: number) => Number(process.env[k] ?? d);
  await placement({
    hosts: env("BENCH_HOSTS", 1000),
    apps: env("BENCH_APPS", 1000),
    instances: env("BENCH_INSTANCES", 10),
    placements: env("BENCH_PLACEMENTS", 10_000),
  });
}
