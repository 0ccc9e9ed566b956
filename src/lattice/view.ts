/**
 * The lattice as the reconciler sees it: live host records from the `nadm_hosts` cache, grouped
 * by lattice, with two indexes kept up to date on every change: label → hosts, and
 * app → where its workloads are, so that reconciling one app never scans every host's inventory.
 */
import type { KvEntry } from "@nats-io/kv";
import type { Logger } from "../log.js";
import { type HostRecord, hostRecordSchema, type WorkloadInventory } from "../streams/host-record.js";
import { keys } from "../streams/subjects.js";
import type { Cached, KvCache } from "./kv-cache.js";

/** Departed hosts remembered (a zone of a large fleet, several times over). */
const DEPARTED_KEPT = 20_000;

export interface HostState {
  hostId: string;
  lattice: string;
  record: HostRecord;
  /** KV revision of the record: what commands computed from it are `basedOnRevision`. */
  revision: number;
  /**
   * When the host last reported: its last heartbeat (when this replica received it, or its
   * server time when read at start) or the server time of its record's last write, whichever
   * is later. Updated in place by heartbeats.
   */
  seenAt: Date;
  /** The text of the last heartbeat this replica has of the host (the sweep compares it). */
  beat?: string;
}

export type BeatListener = (key: string, seenAt: Date) => void;

export interface WorkloadOnHost {
  host: HostState;
  key: string;
  inventory: WorkloadInventory;
}

export function decodeHostRecord(entry: KvEntry): HostRecord {
  return hostRecordSchema.parse(entry.json());
}

export class LatticeView {
  /** lattice → hostId → state */
  private readonly byLattice = new Map<string, Map<string, HostState>>();
  /** lattice → its hosts sorted by id; rebuilt only when hosts join or leave (not per record write). */
  private readonly sorted = new Map<string, HostState[]>();
  /** `{lattice}.{app}` → hostIds with a workload of the app */
  private readonly appIndex = new Map<string, Set<string>>();
  /** `{lattice}\n{label}\n{value}` → hostIds */
  private readonly labelIndex = new Map<string, Set<string>>();
  /** `{lattice}.{hostId}` → apps a host had when its record went away (newest last, bounded). */
  private readonly departed = new Map<string, string[]>();
  /** KV key → live host, for heartbeats (which name the key). */
  private readonly byKey = new Map<string, HostState>();
  private readonly beatListeners: BeatListener[] = [];

  constructor(
    readonly cache: KvCache<HostRecord>,
    private readonly log: Logger,
  ) {
    for (const c of cache.values()) this.update(c.key, c, undefined);
    cache.onChange((key, next, prev) => this.update(key, next, prev));
  }

  lattices(): string[] {
    return [...this.byLattice.keys()];
  }

  /**
   * Live hosts of a lattice, sorted by hostId. Shared: callers must not modify it. The same array
   * while no host joins, leaves or changes labels (a record write replaces its host's element
   * in place; a heartbeat only updates the element's `seenAt`), so callers may cache what they
   * derive from hosts' ids and labels on its identity.
   */
  hosts(lattice: string): readonly HostState[] {
    let sorted = this.sorted.get(lattice);
    if (!sorted) {
      sorted = [...(this.byLattice.get(lattice)?.values() ?? [])].sort((a, b) => cmp(a.hostId, b.hostId));
      this.sorted.set(lattice, sorted);
    }
    return sorted;
  }

  /** Live hosts of a lattice by id. Shared: callers must not modify it. */
  hostMap(lattice: string): ReadonlyMap<string, HostState> {
    return this.byLattice.get(lattice) ?? new Map();
  }

  host(lattice: string, hostId: string): HostState | undefined {
    return this.byLattice.get(lattice)?.get(hostId);
  }

  hostsWithLabel(lattice: string, label: string, value: string): string[] {
    return [...(this.labelIndex.get(`${lattice}\n${label}\n${value}`) ?? [])].sort(cmp);
  }

  /** Every workload of an app on every live host of the lattice (any revision). */
  workloadsOf(lattice: string, app: string): WorkloadOnHost[] {
    const out: WorkloadOnHost[] = [];
    for (const hostId of this.appIndex.get(`${lattice}.${app}`) ?? []) {
      const host = this.host(lattice, hostId);
      if (!host) continue;
      for (const [key, inventory] of Object.entries(host.record.inventory)) {
        if (inventory.app === app) out.push({ host, key, inventory });
      }
    }
    return out;
  }

  /**
   * Apps the host had workloads of when its record was deleted (lost or stopped): the apps a
   * `host_lost` or `host_stopped` concerns. Undefined when this view never saw the host.
   */
  departedApps(lattice: string, hostId: string): string[] | undefined {
    return this.departed.get(`${lattice}.${hostId}`);
  }

  /**
   * A heartbeat of the host with record key `key` (text `text`, received at `atMs`): the host is
   * seen. One map lookup; a heartbeat of a host without a live record is ignored (one that was
   * just swept writes its record again).
   */
  beat(key: string, text: string, atMs: number): void {
    const host = this.byKey.get(key);
    if (!host) return;
    host.beat = text;
    if (atMs > host.seenAt.getTime()) host.seenAt = new Date(atMs);
    for (const fn of this.beatListeners) fn(key, host.seenAt);
  }

  /**
   * A heartbeat read from the bucket rather than received (at start, or by the sweep), written
   * at server time `writtenAt`: the host was seen no earlier than that.
   */
  readBeat(key: string, text: string, writtenAt: Date): void {
    const host = this.byKey.get(key);
    if (!host) return;
    host.beat = text;
    if (writtenAt > host.seenAt) host.seenAt = writtenAt;
  }

  /** Called with the record key and new `seenAt` of every host a heartbeat was taken for. */
  onBeat(fn: BeatListener): void {
    this.beatListeners.push(fn);
  }

  /** When the host with record key `key` was last seen (undefined: no live record). */
  seenAt(key: string): Date | undefined {
    return this.byKey.get(key)?.seenAt;
  }

  /** Apps that have workloads somewhere in the lattice (deployed or not). */
  appsWithWorkloads(lattice: string): string[] {
    const prefix = `${lattice}.`;
    return [...this.appIndex.keys()].filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length));
  }

  private update(
    key: string,
    next: Cached<HostRecord> | undefined,
    prev: Cached<HostRecord> | undefined,
  ): void {
    const parsed = keys.parse(key);
    if (!parsed) return;
    const { lattice, name: hostId } = parsed;
    const fits = (r: HostRecord | undefined) => r?.hostId === hostId && r.lattice === lattice;
    // Only what differs is re-indexed: a change of counts (most writes of a burst) keeps labels
    // and workloads.
    const before = prev && fits(prev.value) ? prev.value : undefined;
    const after = next && fits(next.value) ? next.value : undefined;
    this.reindexApps(lattice, hostId, before, after);
    this.reindexLabels(lattice, hostId, before?.labels, after?.labels);
    if (!next) {
      this.byKey.delete(key);
      if (this.byLattice.get(lattice)?.delete(hostId)) this.sorted.delete(lattice);
      if (prev) this.remember(key, prev.value);
      return;
    }
    if (!fits(next.value)) {
      this.log.warn({ key }, "host record's id or lattice does not match its key; ignored");
      return;
    }
    const hosts = this.byLattice.get(lattice) ?? new Map<string, HostState>();
    this.byLattice.set(lattice, hosts);
    // Records are written only when they change: the host was seen at least as late as its
    // last heartbeat.
    const was = hosts.get(hostId);
    const seenAt = was && was.seenAt > next.created ? was.seenAt : next.created;
    const state: HostState = {
      hostId,
      lattice,
      record: next.value,
      revision: next.revision,
      seenAt,
      ...(was?.beat !== undefined ? { beat: was.beat } : {}),
    };
    // A new host, or new labels: a new list (callers may cache what they derive from a list).
    const joined =
      !hosts.has(hostId) || (prev !== undefined && !sameLabels(prev.value.labels, next.value.labels));
    hosts.set(hostId, state);
    this.byKey.set(key, state);
    this.resort(lattice, state, joined);
  }

  /** A record write replaces one element in place; a join invalidates the sorted list. */
  private resort(lattice: string, state: HostState, joined: boolean): void {
    const sorted = this.sorted.get(lattice);
    if (!sorted) return;
    if (joined) {
      this.sorted.delete(lattice);
      return;
    }
    let [lo, hi] = [0, sorted.length - 1];
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const c = cmp(sorted[mid]!.hostId, state.hostId);
      if (c === 0) {
        sorted[mid] = state;
        return;
      }
      if (c < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    this.sorted.delete(lattice);
  }

  private remember(key: string, record: HostRecord): void {
    this.departed.delete(key);
    this.departed.set(key, [...new Set(Object.values(record.inventory).map((inv) => inv.app))]);
    if (this.departed.size > DEPARTED_KEPT) this.departed.delete(this.departed.keys().next().value!);
  }

  /**
   * Moves the host in the app index from the apps of `before` to those of `after` (either absent:
   * none). Only apps that differ are touched: a placement adds one app to a host of ten, and a
   * change of counts (most writes of a burst) keeps the very same inventory keys.
   */
  private reindexApps(lattice: string, hostId: string, before?: HostRecord, after?: HostRecord): void {
    if (before && after && sameWorkloads(before.inventory, after.inventory)) return;
    const was = appsOf(before);
    const is = appsOf(after);
    for (const app of was) if (!is.has(app)) removeFrom(this.appIndex, `${lattice}.${app}`, hostId);
    for (const app of is) if (!was.has(app)) addTo(this.appIndex, `${lattice}.${app}`, hostId);
  }

  private reindexLabels(
    lattice: string,
    hostId: string,
    before?: Readonly<Record<string, string>>,
    after?: Readonly<Record<string, string>>,
  ): void {
    if (before && after && sameLabels(before, after)) return;
    for (const [k, v] of Object.entries(before ?? {}))
      removeFrom(this.labelIndex, `${lattice}\n${k}\n${v}`, hostId);
    for (const [k, v] of Object.entries(after ?? {}))
      addTo(this.labelIndex, `${lattice}\n${k}\n${v}`, hostId);
  }
}

const NO_APPS: ReadonlySet<string> = new Set();

function appsOf(record: HostRecord | undefined): ReadonlySet<string> {
  if (!record) return NO_APPS;
  const apps = new Set<string>();
  for (const key in record.inventory) apps.add(record.inventory[key]!.app);
  return apps;
}

/** Same workload keys, each of the same app: the host's apps did not change. */
function sameWorkloads(
  a: Readonly<Record<string, WorkloadInventory>>,
  b: Readonly<Record<string, WorkloadInventory>>,
): boolean {
  if (a === b) return true;
  let n = 0;
  for (const key in b) {
    if (!Object.hasOwn(a, key) || a[key]!.app !== b[key]!.app) return false;
    n++;
  }
  return n === Object.keys(a).length;
}

function addTo(index: Map<string, Set<string>>, key: string, id: string): void {
  const set = index.get(key) ?? new Set<string>();
  index.set(key, set);
  set.add(id);
}

function removeFrom(index: Map<string, Set<string>>, key: string, id: string): void {
  const set = index.get(key);
  if (!set) return;
  set.delete(id);
  if (set.size === 0) index.delete(key);
}

function sameLabels(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  if (a === b) return true;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
