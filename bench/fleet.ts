/**
 * M4 memory and M5 steady state (`npm run bench -- fleet`): one controller process, sim hosts in
 * SIMS processes, apps through the API.
 *
 * M4: RSS of a controller replica started into the lattice (and its V8 heap retained after a
 *   full collection, from its /metrics): empty, then with HOSTS hosts, then
 *   with APPS deployed apps of HOSTS×10/APPS instances each (10 instances per host) → MB per
 *   1,000 hosts and per 100 apps above the previous step (targets ≤ 10 MB, ≤ 5 MB). Hosts come in
 *   two halves, with a sample between: the second half's cost is reported beside (marginal).
 * M5: STEADY_HOSTS hosts heartbeating every 5 s with those apps deployed and nothing to change
 *   → controller and nats-server CPU (% of one core) over WINDOW_S, and commands sent (must be 0).
 * Params (env): BENCH_HOSTS (1000), BENCH_APPS (1000: 10 instances each, 10 per host), BENCH_STEADY_HOSTS (5000),
 *   BENCH_WINDOW_S (30: one resync of every app falls in it), BENCH_SIMS (2).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { NatsConnection } from "@nats-io/transport-node";
import { connectNats } from "../src/streams/connection.js";
import { freePort } from "../src/system.js";
import { spreadApp } from "../test/support/manifests.js";
import {
  apiClient,
  commandsStored,
  LATTICE,
  LatticeObserver,
  putAndDeploy,
  reconcileIdle,
  waitForApi,
} from "./lib/lattice.js";
import {
  cpuPercent,
  fullGc,
  heapSnapshotArgs,
  type Proc,
  rssBytes,
  scrapeMetrics,
  sleep,
  spawnNadm,
  spawnNodeScript,
  spawnSims,
  startBenchNats,
  threadSplit,
  threadTicks,
  until,
} from "./lib/processes.js";
import { emit, type Metric, progress } from "./lib/report.js";

export interface FleetParams {
  hosts: number;
  apps: number;
  steadyHosts: number;
  windowS: number;
  sims: number;
  /** Pause before each memory sample and before the CPU window (default 3 s / 5 s). */
  settleMs?: number;
}

export interface FleetResult {
  metrics: Metric[];
  steadyCommands: number;
}

const MB = 1024 * 1024;

export async function fleet(p: FleetParams): Promise<FleetResult> {
  const nats = await startBenchNats();
  const procs: Proc[] = [];
  const env = { NATS_URL: nats.url };
  let nc: NatsConnection | undefined;
  const snapshots = mkdtempSync(join(tmpdir(), "nadm-bench-heap-"));
  try {
    nc = await connectNats({ natsUrl: nats.url, lattice: LATTICE });
    const obs = await LatticeObserver.open(nc);
    const port = await freePort();
    const controller = spawnNadm("controller", ["controller", "--http-port", String(port)], env);
    procs.push(controller);
    await until(() => heapUsed(port).catch(() => undefined), "controller /metrics", 60_000);
    /**
     * A replica started into the lattice as it is now: its RSS once it has loaded every cache
     * (what a replica needs for this state, without the peaks of getting there), then its V8
     * heap after a full collection (what it retains). A fresh process each time, because the
     * heap snapshot that forces the collection inflates the RSS of the process it runs in.
     */
    const memory = async () => {
      const port2 = await freePort();
      const replica = spawnNadm(
        "measured",
        ["controller", "--http-port", String(port2)],
        env,
        heapSnapshotArgs(snapshots),
      );
      try {
        await until(() => heapUsed(port2).catch(() => undefined), "measured replica /metrics", 60_000);
        await sleep(p.settleMs ?? 5_000); // caches loaded, consumers bound
        const rss = rssBytes(replica.pid);
        // Where V8's young-generation cycle was at the sample (README, M4): its committed size.
        const young = await youngGeneration(port2);
        await fullGc(replica, snapshots);
        return { rss, heap: await heapUsed(port2), young };
      } finally {
        await replica.kill();
      }
    };
    const empty = await memory();
    const sims = (count: number, prefix: string) => spawnSims(count, p.sims, env, { prefix });
    // Half the hosts first: what the second half adds is the cost of hosts alone, without the
    // one-time growth of V8's young generation that the first load causes (README, M4).
    const half = Math.floor(p.hosts / 2);
    procs.push(...sims(half, "m"));
    await obs.waitHosts(half);
    const withHalf = await memory();
    procs.push(...sims(p.hosts - half, "h"));
    await obs.waitHosts(p.hosts);
    const withHosts = await memory();
    const instances = Math.max(1, Math.round((p.hosts * 10) / p.apps));
    const names = Array.from({ length: p.apps }, (_, i) => `app-${i}`);
    progress(`${p.hosts} hosts; deploying ${p.apps} apps × ${instances}`);
    const api = apiClient(nc);
    await waitForApi(api);
    await putAndDeploy(
      api,
      names.map((n) => spreadApp(n, { instances })),
    );
    await obs.waitDeployed(names);
    const deployedAt = Date.now();
    const withApps = await memory();
    const params = { hosts: p.hosts, apps: p.apps, instancesPerApp: instances };
    const metrics = [
      emit({
        metric: "controller_rss_empty_mb",
        value: empty.rss / MB,
        unit: "MB",
        params: { heapMb: empty.heap / MB, youngMb: empty.young / MB },
      }),
      emit({
        metric: "controller_rss_per_1000_hosts_mb",
        value: ((withHosts.rss - empty.rss) / MB) * (1000 / p.hosts),
        unit: "MB",
        target: "<= 10",
        params: {
          ...params,
          heapMb: ((withHosts.heap - empty.heap) / MB) * (1000 / p.hosts),
          youngMb: { empty: empty.young / MB, hosts: withHosts.young / MB },
        },
      }),
      emit({
        metric: "controller_rss_marginal_per_1000_hosts_mb",
        value: ((withHosts.rss - withHalf.rss) / MB) * (1000 / (p.hosts - half)),
        unit: "MB",
        params: {
          from: half,
          to: p.hosts,
          note: "the second half of the hosts only",
          heapMb: ((withHosts.heap - withHalf.heap) / MB) * (1000 / (p.hosts - half)),
          youngMb: { from: withHalf.young / MB, to: withHosts.young / MB },
        },
      }),
      emit({
        metric: "controller_rss_per_100_apps_mb",
        value: ((withApps.rss - withHosts.rss) / MB) * (100 / p.apps),
        unit: "MB",
        target: "<= 5",
        params: {
          ...params,
          heapMb: ((withApps.heap - withHosts.heap) / MB) * (100 / p.apps),
          youngMb: { hosts: withHosts.young / MB, apps: withApps.young / MB },
        },
      }),
    ];

    // M5: more hosts, the same apps, nothing to change.
    const more = p.steadyHosts - p.hosts;
    if (more > 0) procs.push(...sims(more, "n"));
    await obs.waitHosts(p.steadyHosts, 300_000);
    progress(`${p.steadyHosts} hosts heartbeating; settling, then measuring ${p.windowS} s`);
    await reconcileIdle(nc); // every host_started handled
    await sleep(p.settleMs ?? 5_000); // and a full round of heartbeats since
    const commands0 = await commandsStored(nc);
    const work0 = await reconcileWork(port);
    const sinceDeployedS = Math.round((Date.now() - deployedAt) / 1000);
    const threads0 = threadTicks(controller.pid);
    const [ctl, srv] = await cpuPercent([controller.pid, nats.server.pid], p.windowS * 1000);
    const controllerThreads = threadSplit(controller.pid, threads0, threadTicks(controller.pid), p.windowS);
    const steadyCommands = (await commandsStored(nc)) - commands0;
    const work1 = await reconcileWork(port);
    // What the window held: apps planned, and re-plans a resync skipped (resync-skip.ts).
    const planned = work1.planned - work0.planned;
    const skipped = work1.skipped - work0.skipped;
    const sp = {
      hosts: p.steadyHosts,
      heartbeatMs: 5000,
      apps: p.apps,
      windowS: p.windowS,
      sinceDeployedS,
      planned,
      skipped,
    };
    const floor = await receiveFloor(env, p);
    metrics.push(
      emit({
        metric: "steady_controller_cpu_percent",
        value: ctl!,
        unit: "% of one core",
        // The bare core subscription to every heartbeat: what any replica receives.
        baseline: floor.subscribe,
        ratio: ctl! / floor.subscribe,
        target: "<= 5",
        params: { ...sp, controllerThreads },
      }),
      emit({
        metric: "steady_floor_watch_cpu_percent",
        value: floor.watch,
        unit: "% of one core",
        params: { ...sp, windowS: floor.windowS, messagesPerS: floor.watchPerS },
      }),
      emit({
        metric: "steady_floor_subscribe_cpu_percent",
        value: floor.subscribe,
        unit: "% of one core",
        params: { ...sp, windowS: floor.windowS, messagesPerS: floor.subscribePerS },
      }),
      emit({ metric: "steady_nats_server_cpu_percent", value: srv!, unit: "% of one core", params: sp }),
      emit({ metric: "steady_commands", value: steadyCommands, unit: "commands", target: "0", params: sp }),
    );
    obs.stop();
    return { metrics, steadyCommands };
  } finally {
    await nc?.close();
    await Promise.all(procs.map((pr) => pr.kill()));
    await nats.stop();
    rmSync(snapshots, { recursive: true, force: true });
  }
}

/**
 * M5's floor, measured after the controller's window with the same hosts heartbeating: two bare
 * processes (lib/receive-floor.mjs, plain node) that only read and count every heartbeat (every
 * write of `nadm_liveness`), one through a core subscription to the bucket's subjects as
 * replicas receive them, one through a KV watch (how replicas received heartbeats before, as
 * writes of the full records). Half the controller's window, both at once.
 */
async function receiveFloor(
  env: Record<string, string>,
  p: FleetParams,
): Promise<{ watch: number; subscribe: number; watchPerS: number; subscribePerS: number; windowS: number }> {
  const windowS = Math.max(1, Math.round(p.windowS / 2));
  progress(`M5 floor: bare processes receiving every heartbeat, ${windowS} s`);
  const procs = (["watch", "subscribe"] as const).map((mode) =>
    spawnNodeScript(`floor-${mode}`, "lib/receive-floor.mjs", [mode], env),
  );
  try {
    await until(() => procs.every((pr) => pr.output().includes('"ready"')), "floor processes ready", 60_000);
    await sleep(p.settleMs ?? 5_000); // the watch's initial values delivered, a round of heartbeats since
    const t0 = Date.now();
    const [watch, subscribe] = await cpuPercent(
      procs.map((pr) => pr.pid),
      windowS * 1000,
    );
    const t1 = Date.now();
    await sleep(1_100); // the count that closes the window
    const [watchPerS, subscribePerS] = procs.map((pr) => ratePerS(pr.output(), t0, t1));
    return {
      watch: watch!,
      subscribe: subscribe!,
      watchPerS: watchPerS!,
      subscribePerS: subscribePerS!,
      windowS,
    };
  } finally {
    await Promise.all(procs.map((pr) => pr.kill()));
  }
}

/** Messages per second between the floor process's counts nearest to `from` and `to`. */
function ratePerS(output: string, from: number, to: number): number {
  const counts = output
    .split("\n")
    .filter((l) => l.startsWith('{"at"'))
    .map((l) => JSON.parse(l) as { at: number; received: number });
  const first = counts.find((c) => c.at >= from);
  const last = counts.findLast((c) => c.at <= to + 1_000);
  if (!first || !last || last.at <= first.at) return 0;
  return Math.round(((last.received - first.received) / (last.at - first.at)) * 1000);
}

/** Reconciles that planned, and tick re-plans skipped, so far (the controller's /metrics). */
async function reconcileWork(port: number): Promise<{ planned: number; skipped: number }> {
  const m = await scrapeMetrics(port);
  return {
    planned: m.get("nadm_reconcile_seconds_count") ?? 0,
    skipped: m.get("nadm_reconcile_skipped_total") ?? 0,
  };
}

/** Bytes V8's young generation (new space) has committed, from the replica's /metrics. */
async function youngGeneration(port: number): Promise<number> {
  const size = (await scrapeMetrics(port)).get('nadm_nodejs_heap_space_size_total_bytes{space="new"}');
  if (size === undefined) throw new Error("no new-space metric");
  return size;
}

async function heapUsed(port: number): Promise<number> {
  const used = (await scrapeMetrics(port)).get("nadm_nodejs_heap_size_used_bytes");
  if (used === undefined) throw new Error("no heap metric");
  return used;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const env = (k: string, d: number) => Number(process.env[k] ?? d);
  await fleet({
    hosts: env("BENCH_HOSTS", 1000),
    apps: env("BENCH_APPS", 1000),
    steadyHosts: env("BENCH_STEADY_HOSTS", 5000),
    windowS: env("BENCH_WINDOW_S", 30),
    sims: env("BENCH_SIMS", 2),
  });
}
