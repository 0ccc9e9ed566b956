/**
 * M1 pipeline and M6 latency (`npm run bench -- pipeline`), every role its own process.
 *
 * M1: a backlog of N `app_deployed` events, each for a new one-instance app, so each needs
 *   exactly one command; one controller replica drains it → commands persisted per second,
 *   between the first and last command's server timestamps. The hosts are QUIET hosts (another
 *   process, `agents.ts quiet-hosts`): they accept every command and report nothing, so the
 *   stream holds only events that each need exactly one command, as the floor's does (the
 *   controller still dispatches every command to its host). Floor: the same number of messages
 *   drained by the bare loop consume → publish(msgID) → PubAck → ackAck (64 in flight),
 *   measured the same way on the same nats-server.
 * M6: events at 50 % of the M1 rate nadm reached → event stored → command stored (server
 *   timestamps of both streams), p50/p99/p99.9, beside the floor loop at the same rate.
 * Work per event (reported, no target; what limits M1 and M6): NATS messages the controller
 *   received and sent, and its CPU time, per event of the M1 drain and of the M6 run, beside the
 *   floor loop's (from its first message to its last), so a run shows how much more traffic an
 *   event costs nadm than the floor, and what each of those messages costs.
 * Sustained (reported, no target): the same backlog in lattice `sim` whose SIM sim hosts report
 *   each new instance (started, then ready) → deploys per second until every follow-up event was
 *   handled too, and the latency at half that rate. What a deploy's reports cost is M2's subject.
 * Params (env): BENCH_EVENTS (5000), BENCH_LATENCY_EVENTS (3000), BENCH_SIM_HOSTS (100).
 */
import type { NatsConnection } from "@nats-io/transport-node";
import { builtinTraitCatalog } from "../src/catalog.js";
import { resolve, resourcesSchema } from "../src/config.js";
import { parseManifestText } from "../src/manifests/index.js";
import { ManifestStore } from "../src/manifests/store.js";
import { connectNats } from "../src/streams/connection.js";
import { openBuckets } from "../src/streams/provision.js";
import { CONSUMERS, STREAMS, subjects } from "../src/streams/subjects.js";
import { freePort } from "../src/system.js";
import { spreadApp } from "../test/support/manifests.js";
import { FLOOR, provisionFloor } from "./lib/floor.js";
import { consumerIdle, LATTICE, LatticeObserver, lastSeq, readAfter, reconcileIdle } from "./lib/lattice.js";
import {
  cpuTicks,
  finished,
  type Proc,
  scrapeMetrics,
  spawnNadm,
  spawnScript,
  startBenchNats,
  until,
} from "./lib/processes.js";
import { emit, type Metric, type ProcessWork, percentile, progress } from "./lib/report.js";

export interface PipelineParams {
  events: number;
  latencyEvents: number;
  simHosts: number;
}

export interface PipelineResult {
  metrics: Metric[];
  /** Commands the M1 backlog produced (must equal `events`: exactly one each). */
  commands: number;
  /** Commands the sustained backlog (sim hosts) produced (must equal `events` too). */
  sustainedCommands: number;
  /** Events of the M6 run whose command was found. */
  latencySamples: number;
}

/** Hosts that report nothing (M1, M6). */
const QUIET_HOSTS = 100;
/** The lattice of the sustained run, whose sim hosts report like real ones. */
const SIM_LATTICE = "sim";

export async function pipeline(p: PipelineParams): Promise<PipelineResult> {
  const nats = await startBenchNats();
  const procs: Proc[] = [];
  const env = { NATS_URL: nats.url };
  let nc: NatsConnection | undefined;
  try {
    nc = await connectNats({ natsUrl: nats.url, lattice: LATTICE });
    await provisionFloor(nc);
    const obs = await LatticeObserver.open(nc); // provisions nadm's streams and buckets

    // Floor, M1: a backlog, then the loop drains it.
    await finished(spawnScript("publish", "lib/agents.ts", ["publish", String(p.events), "0"], env));
    const server0 = cpuTicks(nats.server.pid);
    const floorLoop = spawnScript("floor-loop", "lib/agents.ts", ["pipeline-loop", String(p.events)], env);
    await finished(floorLoop);
    const floorWork = perEvent(loopWork(floorLoop, cpuTicks(nats.server.pid) - server0), p.events);
    const floorOut = await readAfter(nc, FLOOR.out, "bench.out.>", 0);
    const floorRate = ratePerS(floorOut.map((m) => m.time));
    progress(`floor loop: ${floorRate.toFixed(0)} msg/s`);

    // nadm, M1: stored apps, a backlog of their deploys, then one controller drains it.
    const quiet = spawnScript("quiet-hosts", "lib/agents.ts", ["quiet-hosts", String(QUIET_HOSTS)], env);
    procs.push(quiet);
    await until(() => quiet.output().includes('"ready"'), "quiet hosts", 60_000);
    await storeApps(nc, LATTICE, "m1", p.events);
    await storeApps(nc, LATTICE, "m6", p.latencyEvents);
    const cmdSeq0 = await lastSeq(nc, STREAMS.commands);
    await finished(spawnScript("deploy", "lib/agents.ts", ["deploy", String(p.events), "m1", "0"], env));
    progress(`${p.events} app_deployed events waiting; starting the controller`);
    // Quiet hosts never confirm a command, so their apps never settle: without a long in-flight
    // timeout a tick would send the M1 commands again 30 s later, and every resync would re-plan
    // all of those apps (apps whose hosts report settle, and a resync skips them), both in the
    // middle of M6.
    const port = await freePort();
    const controller = spawnNadm(
      "controller",
      ["controller", "--inflight-timeout", "1h", "--resync-interval", "1h", "--http-port", String(port)],
      env,
    );
    procs.push(controller);
    // Its work per event is counted from its first command on: before it, the controller
    // starts and loads the 8,000 stored apps' indexes, which no event causes.
    const conn = nc;
    await until(
      async () => (await lastSeq(conn, STREAMS.commands)) > cmdSeq0,
      "the first M1 command",
      120_000,
      20,
    );
    const m1Done = (await lastSeq(nc, STREAMS.commands)) - cmdSeq0; // not counted: their events came before
    const pids = { port, pid: controller.pid, serverPid: nats.server.pid };
    const m1Start = await nadmWork(pids);
    const m1 = await commandsFor(nc, cmdSeq0, p.events, "M1 commands");
    const nadmRate = ratePerS(m1.map((m) => m.time));
    const params = { events: p.events, quietHosts: QUIET_HOSTS, inFlight: 64 };
    const metrics = [
      emit({
        metric: "pipeline_events_per_s",
        value: nadmRate,
        unit: "events/s",
        baseline: floorRate,
        ratio: nadmRate / floorRate,
        target: "ratio >= 0.70",
        params,
      }),
    ];
    await settled(nc);
    const m1Work = perEvent(since(m1Start, await nadmWork(pids)), p.events - m1Done);
    metrics.push(...workMetrics("pipeline", m1Work, floorWork, params));

    // M6: the same rate into both, half of what M1 reached.
    const m6 = await halfRateLatency(nc, env, {
      of: nadmRate,
      label: "M1",
      metric: "latency",
      lattice: LATTICE,
      prefix: "m6",
      events: p.latencyEvents,
      idOffset: p.events,
      work: pids,
    });
    metrics.push(...m6.metrics);

    const sustained = await sustainedRun(nc, obs, env, p, procs, p.events + p.latencyEvents);
    obs.stop();
    metrics.push(...sustained.metrics);
    return {
      metrics,
      commands: m1.length,
      sustainedCommands: sustained.commands,
      latencySamples: m6.samples,
    };
  } finally {
    await nc?.close();
    await Promise.all(procs.map((pr) => pr.kill()));
    await nats.stop();
  }
}

/**
 * Deploys followed by their hosts' reports: a backlog of one-instance deploys in lattice `sim`,
 * whose sim hosts start each instance and report it (started, ready) → deploys per second until
 * the reconcile consumer is idle again, then the latency at half that rate.
 */
async function sustainedRun(
  nc: NatsConnection,
  obs: LatticeObserver,
  env: Record<string, string>,
  p: PipelineParams,
  procs: Proc[],
  idOffset: number,
): Promise<{ metrics: Metric[]; commands: number }> {
  procs.push(
    spawnNadm(
      "sim",
      [
        "host",
        "--lattice",
        SIM_LATTICE,
        "--driver",
        "sim",
        "--sim-hosts",
        String(p.simHosts),
        "--heartbeat-interval",
        "5s",
      ],
      env,
    ),
  );
  await storeApps(nc, SIM_LATTICE, "s", p.events);
  await storeApps(nc, SIM_LATTICE, "s6", p.latencyEvents);
  await obs.waitHosts(QUIET_HOSTS + p.simHosts);
  const cmdSeq0 = await lastSeq(nc, STREAMS.commands);
  const deployer = spawnScript(
    "deploy",
    "lib/agents.ts",
    ["deploy", String(p.events), "s", "0", SIM_LATTICE],
    env,
  );
  const cmds = await commandsFor(nc, cmdSeq0, p.events, "sustained commands");
  await finished(deployer);
  await reconcileIdle(nc);
  const first = Math.min(...cmds.map((m) => m.time));
  const sustained = ((cmds.length - 1) * 1000) / Math.max(1, Date.now() - first);
  const params = { events: p.events, simHosts: p.simHosts };
  const metrics = [
    emit({
      metric: "pipeline_deploys_sustained_per_s",
      value: sustained,
      unit: "events/s",
      params: { ...params, note: "deploys per second until every follow-up event was handled too" },
    }),
  ];
  const latency = await halfRateLatency(nc, env, {
    of: sustained,
    label: "sustained",
    metric: "latency_sustained",
    lattice: SIM_LATTICE,
    prefix: "s6",
    events: p.latencyEvents,
    idOffset,
    params: { simHosts: p.simHosts },
  });
  metrics.push(...latency.metrics);
  return { metrics, commands: cmds.length };
}

/**
 * Latency at half of `of` events per second: the floor loop at that rate, then deploys of the
 * stored apps PREFIX-0… of `lattice` at that rate into the running controller.
 */
async function halfRateLatency(
  nc: NatsConnection,
  env: Record<string, string>,
  o: {
    of: number;
    label: string;
    metric: string;
    lattice: string;
    prefix: string;
    events: number;
    idOffset: number;
    params?: Record<string, unknown>;
    /** The controller's /metrics port and pid: also report its work per event at this rate. */
    work?: Pids;
  },
): Promise<{ metrics: Metric[]; samples: number }> {
  // BENCH_LATENCY_RATE fixes the rate (for A/B runs: otherwise it follows each run's M1 rate).
  const fixed = Number(process.env.BENCH_LATENCY_RATE ?? 0);
  const rate = fixed || Math.max(10, Math.round(o.of / 2));
  const rateIs = fixed ? "BENCH_LATENCY_RATE" : `half the ${o.label} rate`;
  progress(`latency at ${rate} events/s (${rateIs})`);
  const floor = await floorLatency(nc, env, o.events, rate, o.idOffset, o.work?.serverPid);
  const start = o.work && (await nadmWork(o.work));
  const nadm = await nadmLatency(nc, env, o.lattice, o.prefix, o.events, rate);
  const params = { rate, rateIs, events: o.events, ...o.params };
  const metrics = latencyMetrics(
    o.metric,
    nadm.map((x) => x.ms),
    floor.latencies.map((x) => x.ms),
    // Where in the run the tail falls: a start-up transient shows as high first seconds.
    { ...params, p99BySecondMs: { nadm: p99BySecond(nadm), floor: p99BySecond(floor.latencies) } },
  );
  if (o.work && start) {
    await settled(nc);
    const work = perEvent(since(start, await nadmWork(o.work)), o.events);
    metrics.push(...workMetrics(o.metric, work, perEvent(floor.work, o.events), params));
  }
  return { metrics, samples: nadm.length };
}

/** A process's work (report.ts) and nats-server's CPU time (µs) meanwhile. */
interface Work extends ProcessWork {
  serverCpuUs: number;
  /** The controller's garbage collections (its /metrics); the floor loops have none. */
  gc?: Gc;
}

/** Young-generation collections (scavenges: whole pauses) and the time of all the others. */
interface Gc {
  minorCount: number;
  minorMs: number;
  otherMs: number;
}

/** The controller's /metrics port, its pid and nats-server's. */
interface Pids {
  port: number;
  pid: number;
  serverPid: number;
}

/** The controller's CPU time (/proc) and NATS messages (its /metrics) so far, and nats-server's CPU. */
async function nadmWork({ port, pid, serverPid }: Pids): Promise<Work> {
  const m = await scrapeMetrics(port);
  const gcSeries = (kind: string, part: "sum" | "count") =>
    m.get(`nadm_nodejs_gc_duration_seconds_${part}{kind="${kind}"}`) ?? 0;
  return {
    gc: {
      minorCount: gcSeries("minor", "count"),
      minorMs: gcSeries("minor", "sum") * 1000,
      otherMs: ["major", "incremental", "weakcb"].reduce((t, k) => t + gcSeries(k, "sum") * 1000, 0),
    },
    cpuUs: cpuTicks(pid) * 10_000,
    inMsgs: m.get('nadm_nats_messages_total{direction="in"}') ?? Number.NaN,
    outMsgs: m.get('nadm_nats_messages_total{direction="out"}') ?? Number.NaN,
    serverCpuUs: cpuTicks(serverPid) * 10_000,
  };
}

function since(a: Work, b: Work): Work {
  return {
    cpuUs: b.cpuUs - a.cpuUs,
    inMsgs: b.inMsgs - a.inMsgs,
    outMsgs: b.outMsgs - a.outMsgs,
    serverCpuUs: b.serverCpuUs - a.serverCpuUs,
    gc: a.gc &&
      b.gc && {
        minorCount: b.gc.minorCount - a.gc.minorCount,
        minorMs: b.gc.minorMs - a.gc.minorMs,
        otherMs: b.gc.otherMs - a.gc.otherMs,
      },
  };
}

function perEvent(w: Work, events: number): Work {
  const n = Math.max(1, events);
  return {
    cpuUs: w.cpuUs / n,
    inMsgs: w.inMsgs / n,
    outMsgs: w.outMsgs / n,
    serverCpuUs: w.serverCpuUs / n,
    gc: w.gc && { minorCount: w.gc.minorCount / n, minorMs: w.gc.minorMs / n, otherMs: w.gc.otherMs / n },
  };
}

/**
 * The work a floor loop printed at its end (agents.ts, `drainConsumer`), with nats-server's CPU
 * ticks over the loop's run (and, in M6, its publisher's: nadm's M6 window has the deploys too).
 */
function loopWork(loop: Proc, serverTicks: number): Work {
  const last = loop.output().trim().split("\n").at(-1) ?? "{}";
  const work = (JSON.parse(last) as { work?: ProcessWork }).work;
  if (!work) throw new Error(`${loop.name} printed no work: ${last}`);
  return { ...work, serverCpuUs: serverTicks * 10_000 };
}

/** Until the controller has handled everything so far: its events and the commands they made. */
async function settled(nc: NatsConnection): Promise<void> {
  await reconcileIdle(nc);
  await consumerIdle(nc, STREAMS.commands, CONSUMERS.dispatch);
}

/**
 * NATS messages (received + sent) and CPU time per event, the controller's beside the floor
 * loop's: what limits M1 and M6 (bench/README.md).
 */
function workMetrics(prefix: string, nadm: Work, floor: Work, params: Record<string, unknown>): Metric[] {
  const msgs = (w: Work) => w.inMsgs + w.outMsgs;
  const round = (w: Work) => ({
    inMsgs: Math.round(w.inMsgs * 100) / 100,
    outMsgs: Math.round(w.outMsgs * 100) / 100,
    cpuUsPerMsg: Math.round(w.cpuUs / Math.max(msgs(w), 1e-9)),
    natsServerCpuUs: Math.round(w.serverCpuUs),
    // Each scavenge stops the event loop whole: its mean is a pause every event behind it waits.
    ...(w.gc && {
      gcUsPerEvent: Math.round((w.gc.minorMs + w.gc.otherMs) * 1000),
      scavengeMeanMs: Math.round((w.gc.minorMs / Math.max(w.gc.minorCount, 1e-9)) * 100) / 100,
      scavengesPer1000Events: Math.round(w.gc.minorCount * 1000 * 10) / 10,
    }),
  });
  const detail = { ...params, nadm: round(nadm), floor: round(floor) };
  return [
    emit({
      metric: `${prefix}_nats_msgs_per_event`,
      value: msgs(nadm),
      unit: "messages",
      baseline: msgs(floor),
      ratio: msgs(nadm) / Math.max(msgs(floor), 1e-9),
      params: {
        ...detail,
        note: "NATS messages the controller received and sent per event; baseline: the floor loop's",
      },
    }),
    emit({
      metric: `${prefix}_cpu_us_per_event`,
      value: nadm.cpuUs,
      unit: "µs",
      baseline: floor.cpuUs,
      ratio: nadm.cpuUs / Math.max(floor.cpuUs, 1e-9),
      params: {
        ...detail,
        note: "the controller's CPU time (user + system) per event; baseline: the floor loop's",
      },
    }),
  ];
}

/** Waits for `n` commands after `seq0` and reads them. */
async function commandsFor(nc: NatsConnection, seq0: number, n: number, what: string) {
  await until(async () => (await lastSeq(nc, STREAMS.commands)) - seq0 >= n, what, 600_000, 50);
  return readAfter(nc, STREAMS.commands, subjects.commandsAll, seq0);
}

function latencyMetrics(
  prefix: string,
  nadm: number[],
  floor: number[],
  params: Record<string, unknown>,
): Metric[] {
  return [50, 99, 99.9].map((q) => {
    const v = percentile(nadm, q);
    const f = percentile(floor, q);
    return emit({
      metric: `${prefix}_p${q}_ms`,
      value: v,
      unit: "ms",
      baseline: f,
      ratio: v / Math.max(f, 0.001),
      target: q === 99 && prefix === "latency" ? "ratio <= 1.5" : undefined,
      params,
    });
  });
}

/** Floor loop at `rate`: ms from each message stored to its output stored, and its work. */
async function floorLatency(
  nc: NatsConnection,
  env: Record<string, string>,
  n: number,
  rate: number,
  offset: number,
  serverPid?: number,
) {
  const server0 = serverPid === undefined ? Number.NaN : cpuTicks(serverPid);
  const loop = spawnScript("floor-loop", "lib/agents.ts", ["pipeline-loop", String(n)], env);
  const inSeq0 = await lastSeq(nc, FLOOR.in);
  const outSeq0 = await lastSeq(nc, FLOOR.out);
  await finished(
    spawnScript("publish", "lib/agents.ts", ["publish", String(n), String(rate)], {
      ...env,
      BENCH_ID_OFFSET: String(offset),
    }),
  );
  await finished(loop);
  const key = (data: Uint8Array) => String((JSON.parse(new TextDecoder().decode(data)) as { i: number }).i);
  const latencies = joinLatency(
    await readAfter(nc, FLOOR.in, "bench.in.>", inSeq0),
    await readAfter(nc, FLOOR.out, "bench.out.>", outSeq0),
    key,
    key,
  );
  const serverTicks = serverPid === undefined ? Number.NaN : cpuTicks(serverPid) - server0;
  return { latencies, work: loopWork(loop, serverTicks) };
}

/** nadm at `rate`: ms from each `app_deployed` stored to the command it caused stored. */
async function nadmLatency(
  nc: NatsConnection,
  env: Record<string, string>,
  lattice: string,
  prefix: string,
  n: number,
  rate: number,
) {
  const evtSeq0 = await lastSeq(nc, STREAMS.events);
  const cmdSeq0 = await lastSeq(nc, STREAMS.commands);
  await finished(
    spawnScript("deploy", "lib/agents.ts", ["deploy", String(n), prefix, String(rate), lattice], env),
  );
  await until(async () => (await lastSeq(nc, STREAMS.commands)) - cmdSeq0 >= n, "M6 commands", 600_000, 50);
  const latencies = joinLatency(
    await readAfter(nc, STREAMS.events, subjects.event(lattice, "app_deployed"), evtSeq0),
    await readAfter(nc, STREAMS.commands, subjects.commandsAll, cmdSeq0),
    (data) => (JSON.parse(new TextDecoder().decode(data)) as { id: string }).id,
    (data) => (JSON.parse(new TextDecoder().decode(data)) as { causationId: string }).causationId,
  );
  await reconcileIdle(nc);
  return latencies;
}

/** The p99 latency of the inputs stored in each second of the run, from its first input on. */
function p99BySecond(samples: readonly Sample[]): number[] {
  const t0 = samples.reduce((min, x) => Math.min(min, x.at), Number.POSITIVE_INFINITY);
  const seconds: number[][] = [];
  for (const x of samples) {
    const second = Math.floor((x.at - t0) / 1000);
    const bucket = seconds[second] ?? [];
    bucket.push(x.ms);
    seconds[second] = bucket;
  }
  return Array.from(seconds, (ms) => (ms ? Math.round(percentile(ms, 99) * 10) / 10 : Number.NaN));
}

/** Messages per second between the first and the last timestamp. */
function ratePerS(times: number[]): number {
  if (times.length < 2) return Number.NaN;
  const span = Math.max(...times) - Math.min(...times);
  return ((times.length - 1) * 1000) / Math.max(1, span);
}

/** One input's latency: when it was stored (epoch ms) and ms from then to its output stored. */
interface Sample {
  at: number;
  ms: number;
}

/** Per input message, ms from its store time to the store time of the output it caused. */
function joinLatency(
  inputs: Array<{ time: number; data: Uint8Array }>,
  outputs: Array<{ time: number; data: Uint8Array }>,
  inKey: (d: Uint8Array) => string,
  outKey: (d: Uint8Array) => string,
): Sample[] {
  const stored = new Map(inputs.map((m) => [inKey(m.data), m.time]));
  const out: Sample[] = [];
  for (const m of outputs) {
    const at = stored.get(outKey(m.data));
    if (at !== undefined) out.push({ at, ms: m.time - at });
  }
  return out;
}

/** Stores PREFIX-0…count-1 (one instance each), not deployed: the deploys are the load. */
async function storeApps(nc: NatsConnection, lattice: string, prefix: string, count: number): Promise<void> {
  const buckets = await openBuckets(nc, resolve(resourcesSchema, {}));
  const store = new ManifestStore(buckets.manifests, {});
  const catalog = builtinTraitCatalog();
  for (let i = 0; i < count; i += 64) {
    await Promise.all(
      Array.from({ length: Math.min(64, count - i) }, (_, j) =>
        store.put(
          lattice,
          parseManifestText(spreadApp(`${prefix}-${i + j}`, { instances: 1 }), catalog),
          new Date(),
        ),
      ),
    );
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const env = (k: string, d: number) => Number(process.env[k] ?? d);
  await pipeline({
    events: env("BENCH_EVENTS", 5000),
    latencyEvents: env("BENCH_LATENCY_EVENTS", 3000),
    simHosts: env("BENCH_SIM_HOSTS", 100),
  });
}
