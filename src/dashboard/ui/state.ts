/**
 * The page's copy of the replica's read model: a snapshot, then patches merged in. Pure (no DOM),
 * so it is unit-tested in Node. Rows live in maps by id; `version` grows with every change, and
 * the sorted lists are rebuilt only when asked for after a change.
 */
import type { AppRow, HostRow, Patch, Snapshot, StatusChange, StreamItem } from "./wire.js";

/** A status change seen live (for an app's history while its view is open). */
export type StatusSeen = Omit<StatusChange, "id">;

export const STREAM_KEEP = 500;
const STATUS_SEEN_KEEP = 100;

export class DashboardState {
  replica = "";
  actions = false;
  version = 0;
  readonly apps = new Map<string, AppRow>();
  readonly hosts = new Map<string, HostRow>();
  stream: StreamItem[] = [];
  readonly statusSeen = new Map<string, StatusSeen[]>();
  private sortedApps: { version: number; rows: AppRow[] } | undefined;
  private sortedHosts: { version: number; rows: HostRow[] } | undefined;

  applySnapshot(s: Snapshot): void {
    this.replica = s.replica;
    this.actions = s.actions;
    this.apps.clear();
    this.hosts.clear();
    for (const a of s.apps) this.apps.set(a.id, a);
    for (const h of s.hosts) this.hosts.set(h.id, h);
    this.stream = s.stream.slice(-STREAM_KEEP);
    this.version++;
  }

  applyPatch(p: Patch): void {
    for (const a of p.apps ?? []) this.apps.set(a.id, a);
    for (const s of p.statuses ?? []) this.noteStatus(s);
    for (const id of p.appsRemoved ?? []) this.apps.delete(id);
    for (const h of p.hosts ?? []) this.hosts.set(h.id, h);
    for (const id of p.hostsRemoved ?? []) this.hosts.delete(id);
    if (p.stream?.length) this.addStream(p.stream);
    this.version++;
  }

  private addStream(items: StreamItem[]): void {
    const seen = new Set(this.stream.map(key));
    const fresh = items.filter((i) => !seen.has(key(i)));
    this.stream = this.stream.concat(fresh).slice(-STREAM_KEEP);
  }

  private noteStatus({ id, ...seen }: StatusChange): void {
    const log = this.statusSeen.get(id) ?? [];
    if (log.at(-1)?.at === seen.at) return;
    log.push(seen);
    this.statusSeen.set(id, log.slice(-STATUS_SEEN_KEEP));
  }

  /** Apps sorted by lattice, then name. */
  appList(): AppRow[] {
    if (this.sortedApps?.version !== this.version) {
      const rows = [...this.apps.values()].sort((a, b) => cmp(a.id, b.id));
      this.sortedApps = { version: this.version, rows };
    }
    return this.sortedApps.rows;
  }

  /** Hosts sorted by lattice, then id (lost and stopped ones too). */
  hostList(): HostRow[] {
    if (this.sortedHosts?.version !== this.version) {
      const rows = [...this.hosts.values()].sort((a, b) => cmp(a.id, b.id));
      this.sortedHosts = { version: this.version, rows };
    }
    return this.sortedHosts.rows;
  }

  lattices(): string[] {
    const all = new Set<string>();
    for (const a of this.apps.values()) all.add(a.lattice);
    for (const h of this.hosts.values()) all.add(h.lattice);
    return [...all].sort(cmp);
  }
}

function key(i: StreamItem): string {
  return `${i.stream}:${i.seq}`;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** One cell of an app's placement grid: what a host reports of one component, all revisions. */
export interface PlacementCell {
  hostId: string;
  state: HostRow["state"];
  component: string;
  desired: number;
  running: number;
  ready: number;
  /** Instances of the revision a rollout is moving to (when one is). */
  onNew: number;
}

/** zone (label `zone`, or "" when a host has none) → cells, from the hosts' inventories. */
export function placementByZone(
  hosts: Iterable<HostRow>,
  lattice: string,
  app: string,
  rolloutKeys: ReadonlySet<string> = new Set(),
): Map<string, PlacementCell[]> {
  const zones = new Map<string, PlacementCell[]>();
  for (const h of hosts) {
    if (h.lattice !== lattice) continue;
    const byComponent = new Map<string, PlacementCell>();
    for (const w of h.workloads) {
      if (w.app !== app) continue;
      const cell = byComponent.get(w.component) ?? {
        hostId: h.hostId,
        state: h.state,
        component: w.component,
        desired: 0,
        running: 0,
        ready: 0,
        onNew: 0,
      };
      cell.desired += w.desired;
      cell.running += w.running;
      cell.ready += w.ready;
      if (rolloutKeys.has(w.key)) cell.onNew += w.running;
      byComponent.set(w.component, cell);
    }
    if (byComponent.size === 0) continue;
    const zone = h.labels.zone ?? "";
    zones.set(zone, [...(zones.get(zone) ?? []), ...byComponent.values()]);
  }
  return new Map([...zones.entries()].sort(([a], [b]) => cmp(a, b)));
}
