/**
 * The host record in KV `nadm_hosts` at `{lattice}.{hostId}`: written only by that host
 * (ARCHITECTURE §3), read by every controller replica.
 */
import { z } from "zod";

export const DRIVERS = ["process", "sim"] as const;
export type DriverName = (typeof DRIVERS)[number];

/** A workload's artifact on this host: being fetched (bytes of size), ready, or failed (why). */
export const artifactStateSchema = z.object({
  name: z.string(),
  digest: z.string(),
  state: z.enum(["fetching", "ready", "failed"]),
  bytes: z.number().int().min(0),
  size: z.number().int().min(0),
  error: z.string().optional(),
});
export type ArtifactState = z.infer<typeof artifactStateSchema>;

/** What one host knows about one workload (`{app}.{component}.{rev}`). */
export const workloadInventorySchema = z.object({
  app: z.string(),
  component: z.string(),
  rev: z.string(),
  /** The count of the last command this host accepted for the workload. */
  desired: z.number().int().min(0),
  running: z.number().int().min(0),
  ready: z.number().int().min(0),
  /** Instances currently down after a failure (waiting for their backoff to end). */
  failed: z.number().int().min(0),
  restarts: z.number().int().min(0),
  lastError: z.string().nullable(),
  /** Id of the last command applied; lets the controller tell its in-flight commands apart. */
  lastCommandId: z.string().nullable().optional(),
  /**
   * When each ready instance became ready (ms since the epoch, host clock), oldest first: a
   * rollout counts a new instance as available only after `minReadySeconds` of it.
   */
  readyAt: z.array(z.number().int().min(0)).optional(),
  /** OS pids of the instances (process driver only). */
  pids: z.array(z.number().int()).optional(),
  /** A failing probe's last answer, e.g. "readiness probe GET :4312/ready: HTTP 503". */
  probe: z.string().optional(),
  /** `address:port` of each ready instance that has a port (process driver). */
  endpoints: z.array(z.string()).optional(),
  artifact: artifactStateSchema.optional(),
});
export type WorkloadInventory = z.infer<typeof workloadInventorySchema>;

export const hostRecordSchema = z.object({
  hostId: z.string(),
  lattice: z.string(),
  labels: z.record(z.string(), z.string()),
  driver: z.enum(DRIVERS),
  version: z.string(),
  startedAt: z.string(),
  /** When this record was written; liveness compares it with `heartbeatIntervalMs`. */
  updatedAt: z.string(),
  heartbeatIntervalMs: z.number().int().positive(),
  heartbeatSeq: z.number().int().min(0),
  /**
   * Bumped each time the host finds its record deleted while it runs (the liveness sweep) and
   * writes it again: with `startedAt`, which life of the host a command was computed for.
   */
  incarnation: z.number().int().min(0).optional(),
  /**
   * Workloads retired lately (key → the last command id applied to them), for as long as
   * commands are deduplicated: a command computed for a retired workload is told apart from one
   * computed before it ever ran.
   */
  retired: z.record(z.string(), z.string().nullable()).optional(),
  /** Where other hosts reach this host's instances (`--advertise-address`). */
  address: z.string().optional(),
  inventory: z.record(z.string(), workloadInventorySchema),
});
export type HostRecord = z.infer<typeof hostRecordSchema>;

export const BUILTIN_LABELS = {
  hostname: "nadm.io/hostname",
  os: "nadm.io/os",
  arch: "nadm.io/arch",
} as const;
