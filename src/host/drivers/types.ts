/**
 * The contract between the host agent and whatever runs instances (OS processes, simulated
 * instances, later containers). A driver starts and stops *one* instance at a time and reports
 * what happens to it; the agent owns counts, restarts, backoff and the inventory, so a new
 * driver is one file implementing `Driver`.
 */
import type { DriverName } from "../../streams/host-record.js";

/** A workload as the control protocol delivers it (`command.workload` + its names). */
export interface WorkloadRef {
  app: string;
  component: string;
  rev: string;
  key: string;
  /** Component type from the manifest, e.g. "process". */
  type: string;
  /** The component's properties, not yet validated. */
  spec: Record<string, unknown>;
}

/** What the driver needs to start one instance of a prepared workload. */
export interface InstanceSpec<P = unknown> {
  hostId: string;
  workload: WorkloadRef;
  /** The driver's own parsed properties, as returned by `prepare`. */
  properties: P;
  /** Slot number within the workload on this host (0, 1, …); reused after a scale-down. */
  index: number;
  /** Environment the host adds for this start (linked endpoints, `NADM_ENDPOINTS_FILE`, …). */
  env?: Readonly<Record<string, string>>;
  /** Where the workload's artifact is unpacked, when it has one: the driver resolves inside it. */
  artifactDir?: string;
}

/** What a workload needs the host to provide before its instances start (see `Driver.needs`). */
export interface WorkloadNeeds {
  /** Components whose endpoints go into these variables. */
  links?: ReadonlyArray<{ component: string; env: string }>;
  /** The artifact to fetch and unpack; `digest` is always pinned by the controller. */
  artifact?: { name: string; digest?: string | undefined };
}

/** How an instance ended. Exactly one of `exitCode` / `signal` is usually set. */
export interface InstanceExit {
  exitCode: number | null;
  signal: string | null;
  /** Last line the instance wrote to stderr, if any (for error messages). */
  lastStderr?: string;
  /** Why the driver itself ended the instance (e.g. a failing liveness probe). */
  reason?: string;
}

/** One probe answer that matters to the inventory: a failure, or a success after one. */
export interface ProbeReport {
  probe: "readiness" | "liveness";
  ok: boolean;
  /** "readiness probe GET :4312/ready: HTTP 503" */
  message: string;
}

/** Callbacks a driver calls for one started instance. */
export interface InstanceEvents {
  /** The instance passed its readiness check (again, after `onUnready`). */
  onReady(): void;
  /** A ready instance failed its readiness probe `failureThreshold` times in a row. */
  onUnready?(): void;
  /** A probe answered; drivers without probes never call it. */
  onProbe?(report: ProbeReport): void;
  /** The instance ended, expectedly (after `stop`) or not. Called exactly once. */
  onExit(exit: InstanceExit): void;
}

/** An instance the previous life of this agent left running for this one (`--keep-instances`). */
export interface HandedInstance {
  index: number;
  pid: number;
  port?: number | undefined;
  /** It was ready when handed over; `readyAt` is when it became so (ms since the epoch). */
  ready: boolean;
  readyAt?: number | undefined;
}

/** A started instance. */
export interface InstanceHandle {
  /** OS pid, for drivers that run processes (reported in the inventory). */
  readonly pid?: number;
  /** The port the instance listens on (`PORT`), when it has one: what endpoints advertise. */
  readonly port?: number;
  /** Asks the instance to end; forces it after `graceMs`. Resolves once it is gone. */
  stop(graceMs: number): Promise<void>;
  /** Leaves the instance running, unwatched, for the next agent (drivers that can hand over). */
  detach?(): void;
}

/** Thrown by `prepare` when a workload cannot run on this driver; `path` names the field. */
export class UnsupportedWorkloadError extends Error {
  override name = "UnsupportedWorkloadError";
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
  }
}

export interface Driver<P = unknown> {
  readonly name: DriverName;
  /**
   * Validates a workload's type and properties once, at the control boundary, before anything
   * changes. Throws `UnsupportedWorkloadError` naming the offending field.
   */
  prepare(workload: WorkloadRef): P;
  /** What the host must provide for a prepared workload (links, artifact). Default: nothing. */
  needs?(properties: P): WorkloadNeeds;
  /**
   * Starts one instance. Resolves when it has been launched (not necessarily ready); rejects
   * when it could not be launched (the supervisor treats that like a crash).
   */
  start(spec: InstanceSpec<P>, events: InstanceEvents): Promise<InstanceHandle>;
  /** Loads what `prepare` needs (e.g. the drivers of component types); the first step of `start()`. */
  load?(): Promise<void>;
  /**
   * Cleans up leftovers of a previous life of this host (stale processes); called by `start()`.
   * Instances whose pid is in `keep` are left running for `adopt`, if they are still the same.
   */
  recover?(keep?: ReadonlySet<number>): Promise<void>;
  /**
   * Takes over an instance `recover` kept: watches it, reports its exit, stops it on request.
   * Undefined when it is gone (or was never kept): the slot starts afresh.
   */
  adopt?(spec: InstanceSpec<P>, instance: HandedInstance, events: InstanceEvents): InstanceHandle | undefined;
  /**
   * Called once when the agent has stopped every instance, or with `keepInstances` when it
   * leaves them running for its next life (their records must survive).
   */
  close?(opts?: { keepInstances?: boolean }): Promise<void>;
}
