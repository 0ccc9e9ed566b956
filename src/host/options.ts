/**
 * The host agent's options: a typed, documented object with defaults, validated once in the
 * constructor into a frozen `ResolvedHostAgentOptions` (STYLE §9).
 */
import { arch, hostname, platform } from "node:os";
import type { JetStreamClient } from "@nats-io/jetstream";
import type { KV } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { z } from "zod";
import { componentTypes } from "../components/catalog.js";
import { DEFAULT_LATTICE, type ResourcesConfig, resolve, resourcesSchema } from "../config.js";
import { type Logger, silentLogger } from "../log.js";
import type { HostMetrics } from "../metrics.js";
import { BUILTIN_LABELS, DRIVERS } from "../streams/host-record.js";
import { isToken } from "../streams/subjects.js";
import { defaultAdvertiseAddress } from "./address.js";
import { resolveRunAs } from "./drivers/process-policy.js";
import { SimDriver, type SimDriverOptions } from "./drivers/sim.js";
import { TypedDriver } from "./drivers/typed.js";
import type { Driver } from "./drivers/types.js";
import { InvalidHostOptionsError } from "./errors.js";
import { type HeartbeatScheduler, ownTimer } from "./heartbeat.js";
import { type BackoffPolicy, DEFAULT_BACKOFF } from "./supervisor.js";

export interface HostAgentOptions {
  /** The NATS connection. The agent closes it on `stop()` only when `ownsConnection` is true. */
  nc: NatsConnection;
  /** Default false. */
  ownsConnection?: boolean;
  /** Default "default". */
  lattice?: string;
  /** A subject token, stable across restarts (see `resolveHostId`). */
  hostId: string;
  /** Extra labels; they may override the built-ins (`nadm.io/hostname`, `nadm.io/os`, `nadm.io/arch`). */
  labels?: Record<string, string>;
  /** "process" (default), "sim", or a driver instance. */
  driver?: (typeof DRIVERS)[number] | Driver<unknown>;
  /** Heartbeat period, also reported in the record for the liveness sweep. Default 5000 ms. */
  heartbeatIntervalMs?: number;
  /**
   * Delay of the first heartbeat (then every interval); 0 means one interval. Lets many hosts
   * in one process spread their heartbeats over the interval. Default 0.
   */
  heartbeatOffsetMs?: number;
  /** Who triggers heartbeats. Default: a timer of this host's own; a fleet shares a CoalescingScheduler. */
  heartbeat?: HeartbeatScheduler;
  /**
   * Host part of the endpoints this host reports (`host:port` of ready instances). Default: the
   * first non-loopback IPv4 address, else 127.0.0.1.
   */
  advertiseAddress?: string;
  /** Largest artifact this host fetches (downloaded, and unpacked). Default 1 GiB. */
  maxArtifactBytes?: number;
  /** How long an artifact no workload uses stays cached. Default 1 h. */
  artifactCacheKeepMs?: number;
  /** Data directory of the process driver (logs, instances.json). Default ".nadm". */
  dataDir?: string;
  /**
   * Process driver: globs of the commands this host runs (`*` within a path segment, `**`
   * across, `?` one character); any other is refused. Default: every command (warned at start).
   */
  allowCommands?: string[];
  /** Process driver: the user instances run as; the agent must run as root. Default: the agent's. */
  runAs?: string;
  /**
   * Process driver: instances outlive the agent, so that `stop({ handOver: true })` leaves them
   * running for the next agent with the same host id and data dir, which adopts them
   * (docs/operations.md "Upgrading"). Default false: instances die with the agent.
   */
  keepInstances?: boolean;
  /** nadm version reported in the record. Default "0.0.0-dev". */
  version?: string;
  /** Time between SIGTERM and SIGKILL when stopping an instance. Default 5000 ms. */
  stopGraceMs?: number;
  /**
   * When a command scales a workload down, how long its ready instances leave the endpoints
   * others see before they are stopped, so linked components stop calling them first.
   * Default 1000 ms; 0 stops at once.
   */
  drainMs?: number;
  /** Restart backoff (defaults: 1 s doubling to 60 s, reset after 10 s ready). */
  backoff?: Partial<BackoffPolicy>;
  /** Options of the sim driver, when `driver` is "sim". */
  sim?: SimDriverOptions;
  /** Bucket `nadm_hosts`, when the caller has it open already (e.g. a sim fleet). */
  kv?: KV;
  /** Bucket `nadm_liveness` (heartbeats), likewise. */
  livenessKv?: KV;
  /** JetStream client for events, when the caller has one. */
  js?: JetStreamClient;
  /** Settings used to create the buckets if they do not exist yet. Default: resourcesSchema defaults. */
  resources?: ResourcesConfig;
  /** Default: silent. */
  logger?: Logger;
  /** Where command latency and record writes are counted (instances: see host/observe.ts). */
  metrics?: HostMetrics;
}

export interface ResolvedHostAgentOptions {
  nc: NatsConnection;
  ownsConnection: boolean;
  lattice: string;
  hostId: string;
  labels: Readonly<Record<string, string>>;
  driver: Driver<unknown>;
  heartbeatIntervalMs: number;
  heartbeatOffsetMs: number;
  heartbeat: HeartbeatScheduler;
  dataDir: string;
  keepInstances: boolean;
  advertiseAddress: string;
  maxArtifactBytes: number;
  artifactCacheKeepMs: number;
  version: string;
  stopGraceMs: number;
  drainMs: number;
  backoff: Readonly<BackoffPolicy>;
  kv: KV | undefined;
  livenessKv: KV | undefined;
  js: JetStreamClient | undefined;
  resources: ResourcesConfig;
  logger: Logger;
  metrics: HostMetrics | undefined;
}

const token = z
  .string()
  .refine(isToken, "must be letters, digits, '-' or '_' (≤ 63), starting with a letter or digit");
const ms = z.number().int().min(0);

const plainSchema = z.object({
  lattice: token.default(DEFAULT_LATTICE),
  hostId: token,
  labels: z.record(z.string().min(1), z.string()).default({}),
  driver: z.union([z.enum(DRIVERS), z.custom<Driver>((d) => typeof (d as Driver)?.start === "function")]),
  heartbeatIntervalMs: z.number().int().min(50).default(5_000),
  heartbeatOffsetMs: ms.default(0),
  dataDir: z.string().min(1).default(".nadm"),
  allowCommands: z.array(z.string().min(1)).optional(),
  runAs: z.string().min(1).optional(),
  keepInstances: z.boolean().default(false),
  maxArtifactBytes: z
    .number()
    .int()
    .positive()
    .default(1024 ** 3),
  artifactCacheKeepMs: ms.default(3_600_000),
  advertiseAddress: z
    .string()
    .regex(/^[^\s/]+$/, "must be a host name or an IP address")
    .optional(),
  version: z.string().min(1).default("0.0.0-dev"),
  stopGraceMs: ms.default(5_000),
  drainMs: ms.default(1_000),
  backoff: z
    .object({ baseMs: z.number().int().min(1), maxMs: z.number().int().min(1), resetAfterMs: ms })
    .partial()
    .default({}),
  sim: z
    .object({ startMs: ms, failRate: z.number().min(0).max(1), seed: z.number().int() })
    .partial()
    .default({}),
});

let builtins: Record<string, string> | undefined;

/** Computed once per process: a fleet of sim hosts shares them. */
export function builtinLabels(): Record<string, string> {
  builtins ??= {
    [BUILTIN_LABELS.hostname]: hostname(),
    [BUILTIN_LABELS.os]: platform(),
    [BUILTIN_LABELS.arch]: arch(),
  };
  return builtins;
}

export function resolveHostAgentOptions(options: HostAgentOptions): ResolvedHostAgentOptions {
  if (!options?.nc) throw new InvalidHostOptionsError("nc: a NATS connection is required");
  const parsed = plainSchema.safeParse({ ...options, driver: options.driver ?? "process" });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "options"}: ${i.message}`);
    throw new InvalidHostOptionsError(`invalid host agent options: ${problems.join("; ")}`);
  }
  const p = parsed.data;
  const logger = (options.logger ?? silentLogger()).child({ lattice: p.lattice, hostId: p.hostId });
  const driver =
    p.driver === "process"
      ? new TypedDriver(componentTypes, {
          dataDir: p.dataDir,
          logger,
          allowCommands: p.allowCommands,
          runAs: p.runAs === undefined ? undefined : resolveRunAs(p.runAs, process.getuid?.()),
          keepInstances: p.keepInstances,
        })
      : p.driver === "sim"
        ? new SimDriver(p.sim)
        : (p.driver as Driver<unknown>);
  return Object.freeze({
    nc: options.nc,
    ownsConnection: options.ownsConnection ?? false,
    lattice: p.lattice,
    hostId: p.hostId,
    labels: Object.freeze({ ...builtinLabels(), ...p.labels }),
    driver,
    heartbeatIntervalMs: p.heartbeatIntervalMs,
    heartbeatOffsetMs: p.heartbeatOffsetMs,
    heartbeat: options.heartbeat ?? ownTimer,
    dataDir: p.dataDir,
    keepInstances: p.keepInstances,
    advertiseAddress: p.advertiseAddress ?? defaultAdvertiseAddress(),
    maxArtifactBytes: p.maxArtifactBytes,
    artifactCacheKeepMs: p.artifactCacheKeepMs,
    version: p.version,
    stopGraceMs: p.stopGraceMs,
    drainMs: p.drainMs,
    backoff: Object.freeze({ ...DEFAULT_BACKOFF, ...p.backoff }),
    kv: options.kv,
    livenessKv: options.livenessKv,
    js: options.js,
    resources: options.resources ?? resolve(resourcesSchema, {}),
    logger,
    metrics: options.metrics,
  });
}
