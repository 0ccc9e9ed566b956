/**
 * The rollout planner (ARCHITECTURE §8): from what hosts report, the next safe step of one
 * component from its old revision(s) to the current one — level-triggered, like a Kubernetes
 * Deployment controller, so any replica computes the same step from the same observations.
 *
 * Bounds: instances (told or still running) ≤ desired + maxSurge; available ≥ desired −
 * maxUnavailable; with `serialBy`, instances are disrupted (stopping, starting, not ready) under
 * at most one value of that label at a time. Progress only moves forward: old revisions are
 * never scaled up. Pure: no I/O, no clock.
 */
import { type RolloutProperties, resolveAmount } from "../manifests/rollout.js";

/** One workload key of the component on one live host. */
export interface Slot {
  hostId: string;
  key: string;
  /** What the host was last told (pending command, else its reported `desired`). */
  told: number;
  running: number;
  ready: number;
  /** Ready for at least `minReadySeconds` (for old revisions: ready). */
  available: number;
}

export interface RolloutInput {
  /** The desired total (the scaler's count). */
  desired: number;
  /** The scaler's placement of the current revision: hostId → count. */
  target: ReadonlyMap<string, number>;
  /** Workload key of the current revision. */
  key: string;
  /** Every workload of the component on live hosts, current and old revisions. */
  slots: readonly Slot[];
  properties: Pick<RolloutProperties, "maxSurge" | "maxUnavailable" | "serialBy">;
  /** The `serialBy` label's value of a host ("" when it has none); unused without `serialBy`. */
  groupOf: (hostId: string) => string;
}

export interface RolloutStep {
  /** What each (host, key) should be told now, for every slot and target host. */
  counts: Map<string, number>;
  rolling: boolean;
  /** The `serialBy` value being worked on, if any. */
  active?: string;
  /** Why nothing can be disrupted now, when the safety rule holds the rollout. */
  held?: string;
  /** Instances of the current revision that are ready / available, and all available instances. */
  readyNew: number;
  availableNew: number;
  available: number;
}

export function slotId(hostId: string, key: string): string {
  return `${hostId}\n${key}`;
}

/** maxSurge rounds up, maxUnavailable down; both 0 would block forever, so unavailable becomes 1. */
export function bounds(
  props: RolloutInput["properties"],
  desired: number,
): { surge: number; unavailable: number } {
  const surge = resolveAmount(props.maxSurge, desired, "up");
  const unavailable = resolveAmount(props.maxUnavailable, desired, "down");
  return surge === 0 && unavailable === 0 ? { surge, unavailable: 1 } : { surge, unavailable };
}

interface Working extends Slot {
  isNew: boolean;
  want: number;
  target: number;
}

const instances = (s: Slot, told = s.told) => Math.max(told, s.running);
const availableOf = (s: Slot) => Math.min(s.told, s.available);

export function planRollout(input: RolloutInput): RolloutStep {
  const slots = workingSlots(input);
  const readyNew = sumOf(slots, (s) => (s.isNew ? Math.min(s.told, s.ready) : 0));
  const availableNew = sumOf(slots, (s) => (s.isNew ? availableOf(s) : 0));
  const available = sumOf(slots, availableOf);
  const base = { readyNew, availableNew, available };
  const rolling = slots.some((s) => !s.isNew && instances(s) > 0);
  if (!rolling) {
    // Steady state: the scaler's placement applies at once (scale up/down, healing).
    return { ...base, rolling, counts: countsOf(slots, (s) => s.target) };
  }
  const scope = chooseScope(slots, input);
  if (scope.held !== undefined)
    return { ...base, rolling, held: scope.held, counts: countsOf(slots, (s) => s.told) };
  const inScope = slots.filter((s) => scope.hosts === undefined || scope.hosts.has(s.hostId));
  const { surge, unavailable } = bounds(input.properties, input.desired);
  stopOld(inScope, available - (input.desired - unavailable));
  const total = sumOf(slots, (s) => instances(s, s.want));
  startNew(inScope, input.desired + surge - total);
  return { ...base, rolling, active: scope.active, counts: countsOf(slots, (s) => s.want) };
}

function workingSlots(input: RolloutInput): Working[] {
  const out: Working[] = input.slots.map((s) => ({
    hostId: s.hostId,
    key: s.key,
    told: s.told,
    running: s.running,
    ready: s.ready,
    available: s.available,
    isNew: s.key === input.key,
    want: s.told,
    target: s.key === input.key ? (input.target.get(s.hostId) ?? 0) : 0,
  }));
  const present = new Set(out.filter((s) => s.isNew).map((s) => s.hostId));
  for (const [hostId, target] of input.target) {
    if (present.has(hostId) || target === 0) continue;
    out.push({
      hostId,
      key: input.key,
      told: 0,
      running: 0,
      ready: 0,
      available: 0,
      isNew: true,
      want: 0,
      target,
    });
  }
  return out.sort((a, b) => cmp(slotId(a.hostId, a.key), slotId(b.hostId, b.key)));
}

/** A group is disrupted while any of its instances is starting, stopping, or not (yet) available. */
function disrupted(s: Slot): boolean {
  return instances(s) > availableOf(s);
}

function hasWork(s: Working): boolean {
  return s.isNew ? s.told !== s.target : s.told > 0;
}

function chooseScope(
  slots: Working[],
  input: RolloutInput,
): { hosts?: Set<string>; active?: string; held?: string } {
  if (!input.properties.serialBy) return {};
  const groups = new Map<string, Working[]>();
  for (const s of slots) {
    const g = input.groupOf(s.hostId);
    groups.set(g, [...(groups.get(g) ?? []), s]);
  }
  const names = [...groups.keys()].sort(cmp);
  const busy = names.filter((g) => groups.get(g)!.some(disrupted));
  if (busy.length > 1) {
    const label = input.properties.serialBy;
    return {
      held: `${label} ${busy.join(" and ")} are disrupted at once: waiting for all but one to settle`,
    };
  }
  const active = busy[0] ?? names.find((g) => groups.get(g)!.some(hasWork));
  if (active === undefined) return { hosts: new Set() };
  return { hosts: new Set(groups.get(active)!.map((s) => s.hostId)), active };
}

/**
 * Stops old instances and surplus new ones: those not available cost nothing, available ones
 * only while `room` (available above desired − maxUnavailable) lasts. Old instances go first
 * where the host already has its new ones, then where new ones will start, so a host is
 * replaced in place where it can be.
 */
function stopOld(scope: Working[], room: number): void {
  const surplus = (s: Working) => Math.max(0, s.told - (s.isNew ? s.target : 0));
  const victims = scope.filter((s) => surplus(s) > 0);
  for (const s of victims) {
    const free = Math.min(surplus(s), s.told - availableOf(s));
    s.want = s.told - free;
  }
  const news = new Map(scope.filter((s) => s.isNew).map((s) => [s.hostId, s]));
  const rank = (s: Working) => {
    const n = news.get(s.hostId);
    return !n || n.told >= n.target ? 0 : 1;
  };
  const order = [...victims].sort((a, b) => rank(a) - rank(b));
  for (const s of order) {
    const keep = s.isNew ? s.target : 0;
    const take = Math.max(0, Math.min(s.want - keep, room));
    s.want -= take;
    room -= take;
  }
}

/** Starts new instances where the target asks for more, while instances stay ≤ desired + maxSurge. */
function startNew(scope: Working[], room: number): void {
  for (const s of scope) {
    if (!s.isNew || s.target <= s.want || room <= 0) continue;
    const add = Math.min(s.target - s.want, room);
    const before = instances(s, s.want);
    s.want += add;
    room -= instances(s, s.want) - before;
  }
}

function countsOf(slots: Working[], pick: (s: Working) => number): Map<string, number> {
  return new Map(slots.map((s) => [slotId(s.hostId, s.key), pick(s)]));
}

function sumOf<T>(items: readonly T[], f: (t: T) => number): number {
  let total = 0;
  for (const t of items) total += f(t);
  return total;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
