/**
 * Many simulated hosts in one process (`nadm host --driver sim --sim-hosts N`), sharing one
 * NATS connection, one KV handle and one JetStream client: for tests and benchmarks at fleet
 * scale. Host i (counting from 0) is `{prefix}-{i}` with label `zone` = zones[i mod zones].
 */
import { type JetStreamClient, jetstream } from "@nats-io/jetstream";
import type { KV } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { DEFAULT_LATTICE, type ResourcesConfig, resolve, resourcesSchema } from "../config.js";
import { type Logger, silentLogger } from "../log.js";
import type { HostMetrics } from "../metrics.js";
import { openBucketsWhenAvailable } from "../streams/provision.js";
import { HostAgent } from "./agent.js";
import { CoalescingScheduler } from "./heartbeat.js";
import type { HostAgentOptions } from "./options.js";
import type { BackoffPolicy } from "./supervisor.js";

export interface SimFleetOptions {
  nc: NatsConnection;
  /** Number of hosts. */
  count: number;
  /** Default "default". */
  lattice?: string;
  /** Host ids are `{prefix}-0` … `{prefix}-{count-1}`. Default "sim". */
  hostIdPrefix?: string;
  /** Labels of every host (plus `zone`). */
  labels?: Record<string, string>;
  /** Values of the `zone` label, assigned round-robin. Default ["a", "b", "c"]. */
  zones?: string[];
  /** Default 5000 ms. Heartbeats are staggered: host i first beats at i·interval/count. */
  heartbeatIntervalMs?: number;
  /** Time from instance start to ready. Default 50 ms. */
  simStartMs?: number;
  /** Fraction of instance starts that fail. Default 0. */
  simFailRate?: number;
  /** Base PRNG seed; host i uses seed + i. Default 1. */
  seed?: number;
  version?: string;
  backoff?: Partial<BackoffPolicy>;
  resources?: ResourcesConfig;
  logger?: Logger;
  /** Command latency and record writes of every simulated host (`nadm host --http-port`). */
  metrics?: HostMetrics;
  /** Hosts starting (or stopping) at the same time. Default 100. */
  startConcurrency?: number;
}

export interface SimFleet {
  readonly agents: readonly HostAgent[];
  readonly hostIds: readonly string[];
  /** Stops every host (records deleted, host_stopped published). */
  stop(): Promise<void>;
}

export async function runSimFleet(opts: SimFleetOptions): Promise<SimFleet> {
  if (!Number.isInteger(opts.count) || opts.count < 1) {
    throw new RangeError(`count must be a positive integer, got ${opts.count}`);
  }
  const interval = opts.heartbeatIntervalMs ?? 5_000;
  const resources = opts.resources ?? resolve(resourcesSchema, {});
  const buckets = await openBucketsWhenAvailable(opts.nc, resources, opts.logger ?? silentLogger());
  const shared: Shared = {
    kv: buckets.hosts,
    livenessKv: buckets.liveness,
    js: jetstream(opts.nc),
    resources,
    interval,
    // Slack of 1/50 of the interval (≤ 100 ms): batches stay small and evenly spread.
    heartbeat: new CoalescingScheduler(Math.min(100, Math.max(1, Math.floor(interval / 50)))),
  };
  const agents = Array.from({ length: opts.count }, (_, i) => new HostAgent(simHostOptions(opts, i, shared)));
  const concurrency = opts.startConcurrency ?? 100;
  const stop = () => inBatches(agents, concurrency, (a) => a.stop());
  try {
    await inBatches(agents, concurrency, (a) => a.start());
  } catch (err) {
    await stop();
    throw err;
  }
  return { agents, hostIds: agents.map((a) => a.hostId), stop };
}

/** What all hosts of a fleet share: one handle per bucket, one JetStream client, one heartbeat timer. */
interface Shared {
  kv: KV;
  livenessKv: KV;
  js: JetStreamClient;
  resources: ResourcesConfig;
  interval: number;
  heartbeat: CoalescingScheduler;
}

function simHostOptions(opts: SimFleetOptions, i: number, shared: Shared): HostAgentOptions {
  const zones = opts.zones ?? ["a", "b", "c"];
  return {
    nc: opts.nc,
    kv: shared.kv,
    livenessKv: shared.livenessKv,
    js: shared.js,
    resources: shared.resources,
    lattice: opts.lattice ?? DEFAULT_LATTICE,
    hostId: `${opts.hostIdPrefix ?? "sim"}-${i}`,
    labels: zones.length > 0 ? { ...opts.labels, zone: zones[i % zones.length]! } : { ...opts.labels },
    driver: "sim",
    sim: { startMs: opts.simStartMs, failRate: opts.simFailRate, seed: (opts.seed ?? 1) + i },
    heartbeatIntervalMs: shared.interval,
    // Staggered: host i first beats at i·interval/count, so the fleet's writes are spread evenly.
    heartbeatOffsetMs: Math.floor((i * shared.interval) / opts.count),
    heartbeat: shared.heartbeat,
    version: opts.version,
    backoff: opts.backoff,
    logger: opts.logger,
    metrics: opts.metrics,
  };
}

/** Runs `task` over `items` with at most `limit` in flight (pipelined, not one burst). */
async function inBatches<T>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await task(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
