/**
 * Helpers shared by the built-in scalers: the `spread` property schema, label matching,
 * largest-remainder apportionment and even placement over hosts. All pure and deterministic:
 * the same inputs in any order give the same output.
 */
import { z } from "zod";
import type { HostView, Placement, ScalerStatus } from "./types.js";

export const requirementsSchema = z.record(z.string().min(1), z.string());

export const spreadGroupSchema = z.strictObject({
  name: z.string().min(1),
  requirements: requirementsSchema.default({}),
  weight: z.number().int().min(0).default(1),
});

/** Group names must be unique so that status messages and placements can name a group unambiguously. */
export const spreadSchema = z.array(spreadGroupSchema).superRefine((groups, ctx) => {
  const seen = new Set<string>();
  groups.forEach((group, index) => {
    // An element that failed its own schema may be anything; it already has an issue.
    const name = (group as { name?: unknown } | undefined)?.name;
    if (typeof name !== "string") return;
    if (seen.has(name)) {
      ctx.addIssue({
        code: "custom",
        path: [index, "name"],
        message: `duplicate spread group name "${name}"`,
      });
    }
    seen.add(name);
  });
});

export type SpreadGroup = z.output<typeof spreadGroupSchema>;
export type Requirements = Readonly<Record<string, string>>;

/** Used when a manifest gives no `spread`: every host is eligible. */
export const DEFAULT_GROUP: Readonly<SpreadGroup> = Object.freeze({
  name: "default",
  requirements: Object.freeze({}) as Record<string, string>,
  weight: 1,
});

export const NO_HOSTS: Readonly<ScalerStatus> = Object.freeze({
  phase: "waiting",
  message: "no hosts in lattice",
});

export function resolveGroups(spread: readonly SpreadGroup[] | undefined): readonly SpreadGroup[] {
  return spread !== undefined && spread.length > 0 ? spread : [DEFAULT_GROUP];
}

export function matchesRequirements(labels: Requirements, requirements: Requirements): boolean {
  // Own-property check: a label named e.g. "constructor" must not match via the prototype.
  // A plain loop: this runs for every host × group × reconcile, so no per-call arrays.
  for (const key in requirements) {
    if (!Object.hasOwn(labels, key) || labels[key] !== requirements[key]) return false;
  }
  return true;
}

/** Label-selector style, in manifest order: `zone=west,arch=arm64`; `{}` reads as "any host". */
export function formatRequirements(requirements: Requirements): string {
  const pairs = Object.entries(requirements).map(([key, value]) => `${key}=${value}`);
  return pairs.length > 0 ? pairs.join(",") : "any host";
}

/**
 * Largest remainder method: floor every exact quota, then hand the leftover one by one to the
 * largest fractional remainders, ties to the earlier index. BigInt keeps `total * weight` exact
 * for any safe-integer inputs, so no float rounding can make two replicas disagree.
 * Returns all zeros when the weights sum to 0 (the caller reports that).
 */
export function apportion(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((acc, w) => acc + BigInt(w), 0n);
  if (sum === 0n) return weights.map(() => 0);
  const exact = weights.map((w) => BigInt(total) * BigInt(w));
  const quotas = exact.map((e) => Number(e / sum));
  const remainders = exact.map((e) => e % sum);
  let leftover = total - quotas.reduce((acc, q) => acc + q, 0);
  // Array.prototype.sort is stable, so equal remainders keep manifest order.
  const order = weights.map((_, i) => i).sort((a, b) => compareBigDesc(remainders[a]!, remainders[b]!));
  for (const index of order) {
    if (leftover === 0) break;
    quotas[index]! += 1;
    leftover -= 1;
  }
  return quotas;
}

function compareBigDesc(a: bigint, b: bigint): number {
  return a === b ? 0 : a > b ? -1 : 1;
}

/**
 * A host's rank for one workload (rendezvous hashing): FNV-1a of `seed` + hostId. Each workload
 * gets its own order of the hosts, so different apps spread over the whole fleet instead of all
 * taking the same first hosts, and every replica computes the same order from the same input
 * whatever the rest of the lattice looks like (nothing depends on other apps' placements).
 */
export function rendezvousRank(seed: string, hostId: string): number {
  return finishRank(fnv(fnv(0x811c9dc5, seed), `\u0000${hostId}`));
}

/** FNV-1a over `text`, continuing from `h`: the seed's part is hashed once per workload. */
function fnv(h: number, text: string): number {
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** murmur3's finaliser: FNV alone ranks "h8", "h9" alike for every seed (they differ in one byte). */
function finishRank(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

interface Ranked {
  host: HostView;
  rank: number;
}

function ranked(hosts: readonly HostView[], seed: string): Ranked[] {
  const seeded = fnv(fnv(0x811c9dc5, seed), "\u0000");
  return hosts.map((host) => ({ host, rank: finishRank(fnv(seeded, host.hostId)) }));
}

function byPlacementOrder(a: Ranked, b: Ranked): number {
  if (a.host.instances !== b.host.instances) return b.host.instances - a.host.instances;
  if (a.rank !== b.rank) return a.rank - b.rank;
  return a.host.hostId < b.host.hostId ? -1 : a.host.hostId > b.host.hostId ? 1 : 0;
}

/**
 * The order in which hosts receive the leftover of an even split: hosts already running more
 * instances first (keeps instances where they are, so the result is a fixed point), then the
 * workload's rendezvous rank (`seed` names the workload), then hostId.
 */
export function placementOrder(hosts: readonly HostView[], seed: string): HostView[] {
  return ranked(hosts, seed)
    .sort(byPlacementOrder)
    .map((r) => r.host);
}

/** byPlacementOrder(candidate, other) >= 0, without allocating the candidate. */
function comesAfter(host: HostView, rank: number, other: Ranked): boolean {
  if (host.instances !== other.host.instances) return host.instances < other.host.instances;
  if (rank !== other.rank) return rank > other.rank;
  return host.hostId >= other.host.hostId;
}

/**
 * The first `k` hosts in placement order, in that order. For a few out of many (10 instances
 * over 1,000 hosts, the common case) one pass that keeps a short sorted list and allocates only
 * for hosts that enter it, instead of ranking and sorting the whole fleet.
 */
function firstInOrder(hosts: readonly HostView[], k: number, seed: string): Ranked[] {
  if (k <= 0) return [];
  if (k * 8 >= hosts.length) return ranked(hosts, seed).sort(byPlacementOrder).slice(0, k);
  const seeded = fnv(fnv(0x811c9dc5, seed), "\u0000");
  const top: Ranked[] = [];
  for (const host of hosts) {
    const rank = finishRank(fnv(seeded, host.hostId));
    if (top.length === k && comesAfter(host, rank, top[k - 1]!)) continue;
    const candidate = { host, rank };
    let at = top.length;
    while (at > 0 && byPlacementOrder(candidate, top[at - 1]!) < 0) at--;
    top.splice(at, 0, candidate);
    if (top.length > k) top.pop();
  }
  return top;
}

/**
 * Spreads `count` instances evenly over `hosts`: equivalent to placing one at a time on the host
 * with the fewest so far (ties by {@link placementOrder}): every host gets the even share, and
 * the first hosts in placement order one more — found without sorting the whole fleet.
 */
export function spreadEvenly(count: number, hosts: readonly HostView[], seed = ""): Map<string, number> {
  const placed = new Map<string, number>();
  if (hosts.length === 0 || count === 0) return placed;
  const base = Math.floor(count / hosts.length);
  const extra = count - base * hosts.length;
  if (base > 0) for (const host of hosts) placed.set(host.hostId, base);
  for (const { host } of firstInOrder(hosts, extra, seed)) placed.set(host.hostId, base + 1);
  return placed;
}

export function addPlacements(into: Map<string, number>, add: ReadonlyMap<string, number>): void {
  for (const [hostId, count] of add) into.set(hostId, (into.get(hostId) ?? 0) + count);
}

/** Sorted by hostId and without zero counts, so results compare equal whatever the input order. */
export function toPlacementList(placements: ReadonlyMap<string, number>): Placement[] {
  return [...placements]
    .filter(([, count]) => count > 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([hostId, count]) => ({ hostId, count }));
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** e.g. "4 instances on 3 hosts". */
export function describePlacement(placements: readonly Placement[]): string {
  const total = placements.reduce((acc, p) => acc + p.count, 0);
  return `${plural(total, "instance")} on ${plural(placements.length, "host")}`;
}
