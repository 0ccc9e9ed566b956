/**
 * `app plan` (ARCHITECTURE §8): the reconcile step run forward over a simulated copy of the
 * fleet, where every host does at once what it was told and its instances are ready (and
 * available) by the next step. Each step's commands are one wave, in the order the reconciler
 * issues them. Pure: it writes nothing and reads no clock.
 */
import type { HostState, WorkloadOnHost } from "../lattice/view.js";
import type { AppStatus } from "../streams/app-status.js";
import type { WorkloadInventory } from "../streams/host-record.js";
import { parseWorkloadKey } from "../streams/subjects.js";
import { type PlanInput, type PlannedCommand, plan } from "./plan.js";
import { rolloutProperties } from "./rolling.js";

export interface WaveCommand {
  hostId: string;
  component: string;
  workload: string;
  from: number;
  to: number;
  reason: string;
}

export interface Wave {
  /** The values of the component's `serialBy` label this wave disrupts (empty without serialBy). */
  groups: string[];
  commands: WaveCommand[];
}

export interface Forecast {
  waves: Wave[];
  /** Component → hostId → instances of the deployed revision, once the waves are done. */
  placement: Record<string, Record<string, number>>;
  /** The status the app would have at the end (the same sentence the reconciler would write). */
  status: AppStatus | null;
  /** false when the waves did not converge within the limit (the status says why). */
  finished: boolean;
}

export const MAX_WAVES = 1_000;

export function forecast(start: PlanInput, maxWaves = MAX_WAVES): Forecast {
  let hosts = start.hosts.map(cloneHost);
  let now = start.now;
  let previous = start.previous;
  const waves: Wave[] = [];
  const step = stepMs(start);
  for (;;) {
    const workloads = workloadsOf(hosts, start.app);
    const input: PlanInput = {
      ...start,
      hosts,
      hostsById: undefined,
      workloads,
      pending: () => undefined,
      now,
      previous,
    };
    const p = plan(input);
    previous = p.status ?? undefined;
    if (p.commands.length === 0 || waves.length >= maxWaves) {
      return { waves, placement: placementOf(p.status), status: p.status, finished: p.commands.length === 0 };
    }
    waves.push(waveOf(p.commands, input));
    hosts = apply(hosts, p.commands, now);
    now += step;
  }
}

/** Time between waves: long enough for new instances to count as available. */
function stepMs(input: PlanInput): number {
  const components = input.stored?.deployed?.manifest.spec.components ?? [];
  const minReady = Math.max(0, ...components.map((c) => rolloutProperties(c).minReadySeconds));
  return minReady * 1000 + 1;
}

function waveOf(commands: readonly PlannedCommand[], input: PlanInput): Wave {
  const groups = new Set<string>();
  const components = new Map(input.stored?.deployed?.manifest.spec.components.map((c) => [c.name, c]) ?? []);
  const byId = new Map(input.hosts.map((h) => [h.hostId, h]));
  const told = new Map(input.workloads.map((w) => [`${w.host.hostId}\n${w.key}`, w.inventory.desired]));
  for (const c of commands) {
    const component = components.get(c.component);
    const label = component ? rolloutProperties(component).serialBy : undefined;
    if (label) groups.add(byId.get(c.hostId)?.record.labels[label] ?? "");
  }
  return {
    groups: [...groups].sort(),
    commands: commands.map((c) => ({
      hostId: c.hostId,
      component: c.component,
      workload: c.workload.key,
      from: told.get(`${c.hostId}\n${c.workload.key}`) ?? 0,
      to: c.count,
      reason: c.reason,
    })),
  };
}

function placementOf(status: AppStatus | null): Forecast["placement"] {
  return Object.fromEntries((status?.components ?? []).map((c) => [c.name, { ...c.hosts }]));
}

/** Every host does what it was told: `count` instances, all ready since `now`. */
function apply(hosts: HostState[], commands: readonly PlannedCommand[], now: number): HostState[] {
  const byId = new Map(hosts.map((h) => [h.hostId, cloneHost(h)]));
  for (const c of commands) {
    const h = byId.get(c.hostId);
    if (!h) continue;
    const inventory = h.record.inventory;
    if (c.count === 0) delete inventory[c.workload.key];
    else inventory[c.workload.key] = settled(inventory[c.workload.key], c, now);
    h.revision += 1;
  }
  return hosts.map((h) => byId.get(h.hostId)!);
}

function settled(prev: WorkloadInventory | undefined, c: PlannedCommand, now: number): WorkloadInventory {
  const { app = "", component = c.component } = parseWorkloadKey(c.workload.key) ?? {};
  const kept = (prev?.readyAt ?? []).slice(0, c.count);
  const readyAt = [...kept, ...Array.from({ length: c.count - kept.length }, () => now)];
  return {
    app,
    component,
    rev: c.workload.rev,
    desired: c.count,
    running: c.count,
    ready: c.count,
    failed: 0,
    restarts: 0,
    lastError: null,
    readyAt,
  };
}

function cloneHost(h: HostState): HostState {
  const inventory = Object.fromEntries(Object.entries(h.record.inventory).map(([k, v]) => [k, { ...v }]));
  return { ...h, record: { ...h.record, inventory } };
}

function workloadsOf(hosts: readonly HostState[], app: string): WorkloadOnHost[] {
  return hosts.flatMap((host) =>
    Object.entries(host.record.inventory)
      .filter(([, inventory]) => inventory.app === app)
      .map(([key, inventory]) => ({ host, key, inventory })),
  );
}
