/**
 * The Scaler contract (ARCHITECTURE §6). A scaler is a pure, synchronous function of
 * (component, trait properties, lattice snapshot) → desired placement + status.
 * No I/O, no clock (time comes in the input), no imports of node:* or NATS.
 */
import type { z } from "zod";

export interface AppRef {
  lattice: string;
  name: string;
  version: string;
}

export interface ComponentRef {
  name: string;
  /** Component type, e.g. "process". */
  type: string;
  /** Revision hash of the component's properties. */
  rev: string;
  properties: Readonly<Record<string, unknown>>;
}

/** One eligible, live host as a scaler sees it. */
export interface HostView {
  hostId: string;
  labels: Readonly<Record<string, string>>;
  /** Instances of this component (any revision) the host was last told to run. */
  instances: number;
}

export interface Placement {
  hostId: string;
  count: number;
}

/** `ok`: the placement is satisfiable; `waiting`: nothing to place on yet; `failed`: cannot be met. */
export type ScalerPhase = "ok" | "waiting" | "failed";

export interface ScalerStatus {
  phase: ScalerPhase;
  /** One human sentence saying why, e.g. "no host matches zone=west (spread group west)". */
  message: string;
}

export interface ScalerInput<P> {
  app: AppRef;
  component: ComponentRef;
  properties: P;
  hosts: readonly HostView[];
  /** Milliseconds since the epoch, supplied by the caller (scalers never read a clock). */
  now: number;
}

export interface ScalerResult {
  /** Hosts absent from the list get 0 instances. */
  placements: Placement[] | Map<string, number>;
  status: ScalerStatus;
}

export interface Scaler<P = unknown> {
  /** Trait `type` in manifests, e.g. "spreadscaler". */
  readonly type: string;
  /**
   * The scaler's own version (e.g. "1.2.0"), required of custom scalers: replicas publish the
   * versions they run and status warns when they differ. Built-ins go with nadm's version.
   */
  readonly version?: string;
  /** Validated at put time; errors point at the field. */
  readonly properties: z.ZodType<P>;
  /** The total number of instances the properties ask for (for status "2/5 ready"), if known. */
  desiredTotal?(properties: P, hosts: readonly HostView[]): number;
  reconcile(input: ScalerInput<P>): ScalerResult;
}

/**
 * A scaler whose `reconcile` runs outside the planner — in a worker thread (an in-process
 * module that must be stoppable) or behind a NATS subject (a remote scaler). The planner never
 * calls it: the reconcile path awaits {@link ExternalScaler.evaluate} for every call a plan
 * asks for (`Plan.calls`) and plans again with the outcomes (reconcile/external.ts).
 */
export interface ExternalScaler<P = unknown> {
  readonly type: string;
  /** Published per replica, so status can warn when replicas run different builds. */
  readonly version: string;
  /** Where it runs, e.g. "worker" or "nats": for logs and metrics only. */
  readonly kind: string;
  readonly properties: z.ZodType<P>;
  /**
   * The untrusted reply for `input`, checked by the planner like an in-process result; rejects
   * when the call fails or runs past `deadlineMs`.
   */
  evaluate(input: ScalerInput<P>, deadlineMs: number): Promise<ExternalReply>;
  /** Releases what it runs on (a worker thread, a subscription). */
  close?(): Promise<void>;
}

/** What an external scaler answered: its `reconcile` result and, optionally, its `desiredTotal`. */
export interface ExternalReply {
  result: unknown;
  desired?: unknown;
}

/** One external call's outcome as handed to the pure planner, keyed by component name. */
export type ExternalOutcome = ({ ok: true } & ExternalReply) | { ok: false; error: string };

/**
 * Identity helper that gives custom scalers type inference: `export default defineScaler({...})`.
 * `version` is required: two replicas running different builds of one scaler would place
 * differently, and the version is how that is seen.
 */
export function defineScaler<P>(scaler: Scaler<P> & { version: string }): Scaler<P> & { version: string } {
  return scaler;
}
