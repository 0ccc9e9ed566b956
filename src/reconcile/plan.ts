/**
 * The reconcile step for one app, as a pure function (controller-runtime's Reconcile, without
 * the I/O): desired placements → diff against what each host was told (its reported `desired`,
 * or a command still in flight: ARCHITECTURE §2 rules 5–6) → the commands to send, and the
 * app's status with a one-sentence reason.
 */

import type { HostState, WorkloadOnHost } from "../lattice/view.js";
import type { ScalerRegistry } from "../scalers/index.js";
import type { AppStatus } from "../streams/app-status.js";
import type { WorkloadSpec } from "../streams/commands.js";
import { holdForDependencies } from "./depends.js";
import { type ComponentPlan, planComponent } from "./desired.js";
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
  registry: ScalerRegistry;
  pending: (hostId: string, key: string) => Pending | undefined;
  now: number;
  /** Why this reconcile runs, when worth telling in the status (e.g. "host east-2 was lost"). */
  cause?: string;
}

export interface PlannedCommand {
  hostId: string;
  component: string;
  workload: WorkloadSpec;
  count: number;
  /** Revision of the host record the command was computed from. */
  basedOnRevision: number;
  reason: string;
}

export interface Plan {
  commands: PlannedCommand[];
  /** null: nothing of the app is left anywhere and it no longer exists (delete its status). */
  status: AppStatus | null;
}

export function plan(input: PlanInput): Plan {
  // The lattice view yields workloads in index order, which moves with every heartbeat: sort so
  // commands and status (compared as JSON by the status writer) do not depend on it.
  input = { ...input, workloads: [...input.workloads].sort(byHostThenKey) };
  const deployed = input.stored?.deployed;
  const told = toldIndex(input);
  const hostsById = input.hostsById ?? new Map(input.hosts.map((h) => [h.hostId, h]));
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
            told: (h, k) => told.get(`${h}\n${k}`) ?? 0,
            now: input.now,
          },
          c,
        ),
      )
    : [];
  const components = holdForDependencies(
    deployed?.manifest,
    planned,
    input.workloads,
    (h, k) => told.get(`${h}\n${k}`) ?? 0,
  );
  const paused = input.stored?.paused === true && deployed !== undefined;
  const commands = paused ? [] : diff(input, components, told, hostsById);
  const observed: Observed = { workloads: input.workloads, told, commands };
  return { commands, status: appStatus(input, deployed?.version ?? null, components, observed, paused) };
}

function byHostThenKey(a: WorkloadOnHost, b: WorkloadOnHost): number {
  const [x, y] = [`${a.host.hostId}\n${a.key}`, `${b.host.hostId}\n${b.key}`];
  return x < y ? -1 : x > y ? 1 : 0;
}

/** What each host was last told per workload: a pending command wins over its report (rule 6). */
function toldIndex(input: PlanInput): Map<string, number> {
  const told = new Map<string, number>();
  for (const w of input.workloads) {
    told.set(`${w.host.hostId}\n${w.key}`, input.pending(w.host.hostId, w.key)?.count ?? w.inventory.desired);
  }
  return told;
}

function diff(
  input: PlanInput,
  components: ComponentPlan[],
  told: Map<string, number>,
  hostsById: ReadonlyMap<string, HostState>,
): PlannedCommand[] {
  const out: PlannedCommand[] = [];
  const covered = new Set<string>();
  const unmanaged = new Set(components.filter((c) => c.unmanaged).map((c) => c.name));
  for (const c of components) {
    if (c.unmanaged) continue;
    for (const [hostId, count] of c.placements) {
      covered.add(`${hostId}\n${c.key}`);
      const have = told.get(`${hostId}\n${c.key}`) ?? input.pending(hostId, c.key)?.count ?? 0;
      if (have === count) continue;
      const reason = `${c.scaler}: ${count} on ${hostId}`;
      out.push({
        hostId,
        component: c.name,
        workload: c.workload,
        count,
        basedOnRevision: hostsById.get(hostId)?.revision ?? 0,
        reason,
      });
    }
  }
  const current = new Map(components.map((c) => [c.name, c]));
  for (const w of input.workloads) {
    const id = `${w.host.hostId}\n${w.key}`;
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
      reason,
    });
  }
  return out;
}
