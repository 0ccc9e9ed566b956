/**
 * The reconcile step for one app, as a pure function (controller-runtime's Reconcile, without
 * the I/O): desired placements → diff against what each host was told (its reported `desired`,
 * or a command still in flight: ARCHITECTURE §2 rules 5–6) → the commands to send, and the
 * app's status with a one-sentence reason.
 */

import type { HostState, WorkloadOnHost } from "../lattice/view.js";
import type { ExternalOutcome, ScalerLookup } from "../scalers/index.js";
import type { AppStatus } from "../streams/app-status.js";
import type { WorkloadSpec } from "../streams/commands.js";
import { holdForDependencies } from "./depends.js";
import { type ExternalCall, planComponent } from "./desired.js";
import { applyRefusals, type RefusalSource, withoutRefusedPending } from "./refusals.js";
import { type PlannedComponent, rollComponent } from "./rolling.js";
import { slotId } from "./rollout.js";
import { appStatus, type Observed } from "./status.js";
import type { AppState } from "./types.js";

export interface Pending {
  id: string;
  count: number;
}

export interface PlanInput {
  lattice: string;
  app: string;
  /** undefined: the app was deleted. */
  stored: AppState | undefined;
  hosts: readonly HostState[];
  /** The same hosts by id, when the caller has such an index (else it is built here). */
  hostsById?: ReadonlyMap<string, HostState>;
  workloads: readonly WorkloadOnHost[];
  registry: ScalerLookup;
  pending: (hostId: string, key: string) => Pending | undefined;
  now: number;
  /** Why this reconcile runs, when worth telling in the status (e.g. "host east-2 was lost"). */
  cause?: string;
  /** The app's status as last stored: a rollout's progress clock lives there. */
  previous?: AppStatus;
  /** Stored refusals of commands (absent: none known); see refusals.ts. */
  refusals?: RefusalSource;
  /** Hosts that missed a heartbeat: nothing new is placed on them (liveness.ts suspectHosts). */
  suspect?: ReadonlySet<string>;
  /** Outcomes of the external scaler calls a previous pass asked for (`Plan.calls`), by component. */
  external?: ReadonlyMap<string, ExternalOutcome>;
  /** Scaler type → why replicas disagree on its version (scaler-versions.ts). */
  scalerWarnings?: ReadonlyMap<string, string>;
}

export interface PlannedCommand {
  hostId: string;
  component: string;
  workload: WorkloadSpec;
  count: number;
  /** Revision of the host record the command was computed from. */
  basedOnRevision: number;
  /** The host's state of the workload it was computed from: what its dedupe id is hashed on. */
  basis?: string;
  /** The life of the host it was planned for (the record's `startedAt`); absent: host unknown. */
  hostStartedAt?: string;
  reason: string;
  /** Set by applyRefusals: the app generation, the attempt after refusals, the refusal it follows. */
  generation?: number;
  attempt?: number;
  after?: string;
}

export interface Plan {
  commands: PlannedCommand[];
  /** null: nothing of the app is left anywhere and it no longer exists (delete its status). */
  status: AppStatus | null;
  /** A rollout passed its progress deadline with `autoRevert`: deploy `to` again instead of `from`. */
  revert?: Revert;
  /**
   * External scaler calls this plan could not make (it is pure and synchronous): the caller
   * evaluates them and plans again with `external` set. Their components are left alone here.
   */
  calls?: ExternalCall[];
}

export interface Revert {
  app: string;
  from: string;
  to: string;
  reason: string;
}

export function plan(input: PlanInput): Plan {
  // The lattice view yields workloads in index order, which moves with every heartbeat: sort so
  // commands and status (compared as JSON by the status writer) do not depend on it.
  input = withoutRefusedPending({ ...input, workloads: [...input.workloads].sort(byHostThenKey) });
  const deployed = input.stored?.deployed;
  const told = toldIndex(input);
  const hostsById = input.hostsById ?? new Map(input.hosts.map((h) => [h.hostId, h]));
  const paused = input.stored?.paused === true && deployed !== undefined;
  const components = planComponents(input, told, hostsById, paused);
  const proposed = paused ? [] : diff(input, components, told, hostsById);
  const { commands, refused } = applyRefusals(proposed, components, input, hostsById);
  const observed: Observed = { workloads: input.workloads, told, commands, refused };
  const revert = paused ? undefined : revertOf(input, components);
  const status = appStatus(input, deployed?.version ?? null, components, observed, paused);
  const calls = components.flatMap((c) => (c.call ? [c.call] : []));
  return { commands, status, ...(revert && { revert }), ...(calls.length > 0 && { calls }) };
}

/**
 * Each component of the deployed version: its scaler's placement, held while a dependency is
 * not ready (depends.ts), else moved toward that placement by the rollout planner (rolling.ts).
 */
function planComponents(
  input: PlanInput,
  told: Map<string, number>,
  hostsById: ReadonlyMap<string, HostState>,
  paused: boolean,
): PlannedComponent[] {
  const deployed = input.stored?.deployed;
  const byTold = (h: string, k: string) => told.get(slotId(h, k)) ?? 0;
  const planned = deployed
    ? deployed.manifest.spec.components.map((c) =>
        planComponent(
          {
            lattice: input.lattice,
            app: input.app,
            version: deployed.version,
            manifest: deployed.manifest,
            hosts: input.hosts,
            hostsById,
            workloads: input.workloads,
            registry: input.registry,
            told: byTold,
            now: input.now,
            suspect: input.suspect,
            external: input.external,
            scalerWarnings: input.scalerWarnings,
          },
          c,
        ),
      )
    : [];
  const held = holdForDependencies(deployed?.manifest, planned, input.workloads, byTold);
  return held.map((p, i) => {
    const c = deployed?.manifest.spec.components[i];
    // Held for a dependency: what runs stays as it is, old revisions included (depends.ts).
    if (p !== planned[i]) return { ...p, held: true };
    if (p.unmanaged || !c || !deployed) return p;
    const rollout = rollComponent({
      plan: p,
      component: c,
      workloads: input.workloads.filter((w) => w.inventory.component === c.name),
      told: (h, k) => told.get(slotId(h, k)) ?? input.pending(h, k)?.count ?? 0,
      hostsById,
      version: deployed.version,
      previous: input.previous?.components.find((s) => s.name === c.name),
      statusVersion: input.previous?.version,
      paused,
      now: input.now,
    });
    return { ...p, rollout };
  });
}

/** The first stalled component with `autoRevert` sends the app back to the version deployed before. */
function revertOf(input: PlanInput, components: PlannedComponent[]): Revert | undefined {
  const from = input.stored?.deployed?.version;
  const to = input.stored?.previousVersion;
  const stalled = components.find((c) => c.rollout?.stalled && c.rollout.properties.autoRevert);
  if (!stalled?.rollout?.stalled || !from || !to || to === from) return undefined;
  return { app: input.app, from, to, reason: stalled.rollout.stalled };
}

/**
 * What a command's dedupe id is hashed on (ARCHITECTURE §2 rule 2, deviation 35): the life of
 * the host and its own state of the workload (last count accepted and the command that set it,
 * or the last command before the workload retired), not the record's revision. Two replicas
 * planning the same step from the same host state, one record write apart (a heartbeat, another
 * workload), compute the same id, and the stream keeps one. A real retry still differs: the host
 * took a command since, restarted, or came back after the liveness sweep (`incarnation`).
 */
export function hostBasis(host: HostState | undefined, key: string): string {
  if (!host) return "gone";
  const r = host.record;
  const inv = r.inventory[key];
  const state = inv ? `${inv.desired}/${inv.lastCommandId ?? ""}` : `retired/${r.retired?.[key] ?? ""}`;
  return `${r.startedAt}/${r.incarnation ?? 0}/${state}`;
}

function byHostThenKey(a: WorkloadOnHost, b: WorkloadOnHost): number {
  const [x, y] = [`${a.host.hostId}\n${a.key}`, `${b.host.hostId}\n${b.key}`];
  return x < y ? -1 : x > y ? 1 : 0;
}

/** What each host was last told per workload: a pending command wins over its report (rule 6). */
function toldIndex(input: PlanInput): Map<string, number> {
  const told = new Map<string, number>();
  for (const w of input.workloads) {
    told.set(slotId(w.host.hostId, w.key), input.pending(w.host.hostId, w.key)?.count ?? w.inventory.desired);
  }
  return told;
}

function diff(
  input: PlanInput,
  components: PlannedComponent[],
  told: Map<string, number>,
  hostsById: ReadonlyMap<string, HostState>,
): PlannedCommand[] {
  const out: PlannedCommand[] = [];
  const covered = new Set<string>();
  // Left alone: components this replica cannot place, and those held for a dependency.
  const unmanaged = new Set(components.filter((c) => c.unmanaged || c.held).map((c) => c.name));
  const revs = new Map(input.workloads.map((w) => [w.key, w.inventory.rev]));
  for (const c of components) {
    if (!c.rollout) continue;
    const rolling = c.rollout.step.rolling;
    for (const [id, count] of c.rollout.step.counts) {
      covered.add(id);
      const [hostId = "", key = ""] = id.split("\n");
      const have = told.get(id) ?? input.pending(hostId, key)?.count ?? 0;
      if (have === count) continue;
      const current = key === c.key;
      const host = hostsById.get(hostId);
      out.push({
        hostId,
        component: c.name,
        workload: current ? c.workload : { key, rev: revs.get(key) ?? "", type: c.workload.type, spec: {} },
        count,
        basedOnRevision: host?.revision ?? 0,
        basis: hostBasis(host, key),
        hostStartedAt: host?.record.startedAt,
        reason: rolling
          ? `rollout to ${input.stored?.deployed?.version}: ${current ? "new" : "old"} revision ${have} → ${count} on ${hostId}`
          : count === 0
            ? `${c.scaler ?? "no scaler"}: none on ${hostId}`
            : `${c.scaler}: ${count} on ${hostId}`,
      });
    }
  }
  const current = new Map(components.map((c) => [c.name, c]));
  for (const w of input.workloads) {
    const id = slotId(w.host.hostId, w.key);
    if (covered.has(id) || unmanaged.has(w.inventory.component) || (told.get(id) ?? 0) === 0) continue;
    const now = current.get(w.inventory.component);
    const reason = !input.stored?.deployedVersion
      ? "app not deployed"
      : !now
        ? "component removed"
        : now.key === w.key
          ? `${now.scaler ?? "no scaler"}: none on ${w.host.hostId}`
          : "old revision";
    out.push({
      hostId: w.host.hostId,
      component: w.inventory.component,
      workload: { key: w.key, rev: w.inventory.rev, type: now?.workload.type ?? "process", spec: {} },
      count: 0,
      basedOnRevision: w.host.revision,
      basis: hostBasis(w.host, w.key),
      hostStartedAt: w.host.record.startedAt,
      reason,
    });
  }
  return out;
}
