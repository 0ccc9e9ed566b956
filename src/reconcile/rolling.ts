/**
 * One component's rollout in the reconcile step: observed workloads → the rollout planner's next
 * step, and the progress deadline kept in the stored status (so a restarted or other replica
 * sees the same clock). Pure: time comes in as `now`.
 */
import type { HostState, WorkloadOnHost } from "../lattice/view.js";
import { ROLLOUT_TRAIT, type RolloutProperties, rolloutPropertiesSchema } from "../manifests/rollout.js";
import type { ComponentSpec } from "../manifests/schema.js";
import type { ComponentStatus, RolloutStatus } from "../streams/app-status.js";
import type { ComponentPlan } from "./desired.js";
import { planRollout, type RolloutStep, type Slot } from "./rollout.js";

/** A component as planned: the scaler's placement and, when managed, its rollout step. */
export type PlannedComponent = ComponentPlan & {
  rollout?: ComponentRollout;
  /** Held for a dependency (depends.ts): nothing of it is started or stopped. */
  held?: boolean;
};

export interface ComponentRollout {
  step: RolloutStep;
  properties: RolloutProperties;
  /** What the status keeps while old revisions remain. */
  record?: RolloutStatus;
  /** Set when the progress deadline has passed: why, in one sentence. */
  stalled?: string;
}

export interface RollingInput {
  plan: ComponentPlan;
  component: ComponentSpec;
  /** This component's workloads on live hosts, every revision. */
  workloads: readonly WorkloadOnHost[];
  told: (hostId: string, key: string) => number;
  hostsById: ReadonlyMap<string, HostState>;
  version: string;
  /** The component's status as last stored (carries the rollout's progress clock). */
  previous?: ComponentStatus;
  /** The version the stored status was for, for "rolling v1 → v2". */
  statusVersion?: string | null;
  paused: boolean;
  now: number;
}

/** Parsed once per component object: a stored manifest does not change while it is cached. */
const parsedRollouts = new WeakMap<ComponentSpec, RolloutProperties>();

export function rolloutProperties(component: ComponentSpec): RolloutProperties {
  let props = parsedRollouts.get(component);
  if (!props) {
    const trait = component.traits?.find((t) => t.type === ROLLOUT_TRAIT);
    const parsed = rolloutPropertiesSchema.safeParse(trait?.properties ?? {});
    props = parsed.success ? parsed.data : rolloutPropertiesSchema.parse({});
    parsedRollouts.set(component, props);
  }
  return props;
}

export function rollComponent(input: RollingInput): ComponentRollout {
  const properties = rolloutProperties(input.component);
  const { plan } = input;
  const minReadyMs = properties.minReadySeconds * 1000;
  const slots: Slot[] = input.workloads.map((w) => ({
    hostId: w.host.hostId,
    key: w.key,
    told: input.told(w.host.hostId, w.key),
    running: w.inventory.running,
    ready: w.inventory.ready,
    available: w.key === plan.key ? availableCount(w, input.now - minReadyMs) : w.inventory.ready,
  }));
  const serialBy = properties.serialBy;
  const step = planRollout({
    // What the scaler can place now: instances it cannot place (a spread group with no host)
    // must not hold old ones back forever; the status reports them on their own.
    desired: sumValues(plan.placements),
    target: plan.placements,
    key: plan.key,
    slots,
    properties,
    groupOf: (hostId) => (serialBy ? (input.hostsById.get(hostId)?.record.labels[serialBy] ?? "") : ""),
  });
  if (!step.rolling) return { step, properties };
  const record = progressRecord(input, step, properties.progressDeadlineSeconds * 1000);
  const idleMs = input.now - Date.parse(record.progressAt);
  if (input.paused || idleMs <= properties.progressDeadlineSeconds * 1000)
    return { step, properties, record };
  const why = failureOf(input.workloads.filter((w) => w.key === plan.key));
  const stalled = `${input.version} made no progress for ${seconds(idleMs)}${why ? ` (${why})` : ""}`;
  return { step, properties, record, stalled };
}

/** Ready instances that have been ready since `since` (hosts without `readyAt`: every ready one). */
function availableCount(w: WorkloadOnHost, since: number): number {
  const readyAt = w.inventory.readyAt;
  if (!readyAt) return w.inventory.ready;
  return Math.min(w.inventory.ready, readyAt.filter((t) => t <= since).length);
}

function progressRecord(input: RollingInput, step: RolloutStep, deadlineMs: number): RolloutStatus {
  const prev = input.previous?.rollout;
  const same = prev?.key === input.plan.key;
  const restart = !same || (prev.paused === true && !input.paused);
  const progressed = same && step.availableNew > prev.availableNew;
  const progressAt = restart || progressed ? new Date(input.now).toISOString() : prev.progressAt;
  const from = same
    ? prev.from
    : input.statusVersion !== input.version
      ? (input.statusVersion ?? null)
      : null;
  return {
    from,
    to: input.version,
    key: input.plan.key,
    readyNew: step.readyNew,
    availableNew: step.availableNew,
    available: step.available,
    active: step.active ?? null,
    progressAt,
    deadlineAt: new Date(Date.parse(progressAt) + deadlineMs).toISOString(),
    ...(input.paused ? { paused: true } : {}),
  };
}

/** The newest revision's own failure, the likely reason it makes no progress. */
function failureOf(workloads: readonly WorkloadOnHost[]): string | undefined {
  return workloads.find((w) => w.inventory.lastError)?.inventory.lastError ?? undefined;
}

function seconds(ms: number): string {
  return `${Math.floor(ms / 1000)} s`;
}

function sumValues(m: ReadonlyMap<string, number>): number {
  let total = 0;
  for (const v of m.values()) total += v;
  return total;
}
