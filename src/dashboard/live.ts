/**
 * The dashboard's read model and its live feed, one per replica: rows built from the replica's
 * own caches (app indexes, stored statuses, host records), hosts that left (lost or stopped)
 * remembered for a while, and the command and event streams followed while at least one page
 * is connected. Changes are batched (every `flushMs`) into one patch per batch for every page.
 */
import type { JetStreamClient } from "@nats-io/jetstream";
import type { KvCache } from "../lattice/kv-cache.js";
import type { Logger } from "../log.js";
import type { IndexSummary } from "../reconcile/app-cache.js";
import type { AppStatus } from "../streams/app-status.js";
import type { HostRecord } from "../streams/host-record.js";
import { keys, STREAMS } from "../streams/subjects.js";
import { StreamFollower } from "./follow.js";
import { appRow, commandItem, eventItem, goneState, hostRow, rowId } from "./rows.js";
import type { AppRow, HostRow, Patch, Snapshot, StatusChange, StreamItem } from "./ui/wire.js";

/** Heartbeats (the lattice view): records are written only when they change. */
export interface HeartbeatSource {
  /** Called with a host's record key and when it was last seen, on each of its heartbeats. */
  onBeat(fn: (key: string, seenAt: Date) => void): void;
  /** When the host with that record key was last seen. */
  seenAt(key: string): Date | undefined;
}

export interface LiveSources {
  indexes: KvCache<IndexSummary>;
  statuses: KvCache<AppStatus>;
  hosts: KvCache<HostRecord>;
  /** Without it, a host was last seen when its record was written. */
  beats?: HeartbeatSource;
  js: JetStreamClient;
  log: Logger;
}

export interface LiveOptions {
  flushMs?: number;
  /** How long a lost or stopped host stays listed. */
  goneKeepMs?: number;
  /** Stream items kept for a page that connects. */
  streamKeep?: number;
  /** How far back the stream list starts when the first page connects. */
  backfillMs?: number;
  /** Follow the command and event streams while a page is connected (default true). */
  follow?: boolean;
}

export type Subscriber = (patch: Patch) => void;

const MAX_GONE = 5_000;

export class LiveModel {
  /** KV key of a host that left → its last row. */
  private readonly gone = new Map<string, HostRow>();
  /** KV key of a live host → its last heartbeat (kept here: the view forgets it with the record). */
  private readonly beatAt = new Map<string, Date>();
  private readonly subscribers = new Set<Subscriber>();
  private readonly dirtyApps = new Set<string>();
  private readonly dirtyHosts = new Set<string>();
  private pendingItems: StreamItem[] = [];
  private pendingStatuses: StatusChange[] = [];
  private recent: StreamItem[] = [];
  private followers: StreamFollower[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly opts: Required<LiveOptions>;

  constructor(
    private readonly src: LiveSources,
    opts: LiveOptions = {},
  ) {
    this.opts = {
      flushMs: 100,
      goneKeepMs: 60 * 60_000,
      streamKeep: 300,
      backfillMs: 5 * 60_000,
      follow: true,
      ...opts,
    };
    const appChanged = (key: string) => this.markApp(key);
    src.indexes.onChange(appChanged);
    src.statuses.onChange((key, next) => {
      appChanged(key);
      if (next && this.subscribers.size > 0) this.statusWritten(key, next.value);
    });
    src.hosts.onChange((key, next, prev) => this.hostChanged(key, next?.value, prev));
    src.beats?.onBeat((key, seenAt) => this.beat(key, seenAt));
  }

  snapshot(): Omit<Snapshot, "replica" | "actions"> {
    const apps: AppRow[] = [];
    for (const { key } of this.src.indexes.values()) {
      const row = this.app(key);
      if (row) apps.push(row);
    }
    const hosts: HostRow[] = [...this.gone.values()];
    for (const c of this.src.hosts.values()) {
      const k = keys.parse(c.key);
      if (k) hosts.push(hostRow(k.lattice, c.value, this.seenAt(c.key, c.created)));
    }
    this.pruneGone();
    return { apps, hosts, stream: [...this.recent] };
  }

  /** Index of one app, for write routes (rollback needs the previous version). */
  index(lattice: string, name: string): IndexSummary | undefined {
    return this.src.indexes.get(keys.manifest(lattice, name))?.value;
  }

  /** Adds a page; the streams are followed from the first page on. Returns its unsubscribe. */
  subscribe(fn: Subscriber): () => void {
    this.subscribers.add(fn);
    if (this.subscribers.size === 1 && this.opts.follow) this.startFollowing();
    return () => {
      if (!this.subscribers.delete(fn)) return;
      if (this.subscribers.size === 0) this.stopFollowing();
    };
  }

  get watchers(): number {
    return this.subscribers.size;
  }

  stop(): void {
    for (const fn of [...this.subscribers]) this.subscribers.delete(fn);
    this.stopFollowing();
  }

  private app(key: string): AppRow | undefined {
    const k = keys.parse(key);
    if (!k) return undefined;
    return appRow(k.lattice, k.name, this.src.indexes.get(key)?.value, this.src.statuses.get(key)?.value);
  }

  private markApp(key: string): void {
    if (this.subscribers.size === 0 || !keys.parse(key)) return;
    this.dirtyApps.add(key);
    this.schedule();
  }

  private hostChanged(
    key: string,
    next: HostRecord | undefined,
    prev: { value: HostRecord; created: Date } | undefined,
  ) {
    if (next) this.gone.delete(key);
    else if (prev) {
      const k = keys.parse(key);
      const beat = this.beatAt.get(key);
      this.beatAt.delete(key);
      if (!k) return;
      const now = new Date();
      const seenAt = beat && beat > prev.created ? beat : prev.created;
      this.gone.set(key, hostRow(k.lattice, prev.value, seenAt, goneState(prev.value, seenAt, now), now));
      this.pruneGone();
    }
    if (this.subscribers.size === 0 || !keys.parse(key)) return;
    this.dirtyHosts.add(key);
    this.schedule();
  }

  /**
   * Every heartbeat of every host passes here: with no page connected, a live host costs a map
   * write (keyed by the KV key, so nothing is parsed or built for it).
   */
  private beat(key: string, seenAt: Date): void {
    this.beatAt.set(key, seenAt);
    if (this.subscribers.size === 0) return;
    this.dirtyHosts.add(key);
    this.schedule();
  }

  /** When the host with record key `key` was last seen (`written`: its record's last write). */
  private seenAt(key: string, written: Date): Date {
    const beat = this.src.beats?.seenAt(key);
    return beat && beat > written ? beat : written;
  }

  /** Kept apart from the row: two writes within one batch would otherwise show only the second. */
  private statusWritten(key: string, s: AppStatus): void {
    const { phase, message, version, updatedAt: at } = s;
    this.pendingStatuses.push({ id: idOf(key), at, phase, message, version });
  }

  private pruneGone(): void {
    const cutoff = Date.now() - this.opts.goneKeepMs;
    for (const [key, row] of this.gone) {
      if (this.gone.size > MAX_GONE || Date.parse(row.goneAt ?? row.lastSeen) < cutoff) this.gone.delete(key);
    }
  }

  private addItem(item: StreamItem): void {
    this.recent.push(item);
    if (this.recent.length > this.opts.streamKeep)
      this.recent.splice(0, this.recent.length - this.opts.streamKeep);
    this.pendingItems.push(item);
    this.schedule();
  }

  private schedule(): void {
    this.timer ??= setTimeout(() => this.flush(), this.opts.flushMs);
  }

  private flush(): void {
    this.timer = undefined;
    const patch: Patch = {};
    const apps = [...this.dirtyApps].map((key) => [key, this.app(key)] as const);
    this.dirtyApps.clear();
    if (apps.length > 0) {
      patch.apps = apps.flatMap(([, row]) => (row ? [row] : []));
      patch.appsRemoved = apps.flatMap(([key, row]) => (row ? [] : [idOf(key)]));
    }
    if (this.dirtyHosts.size > 0) this.hostPatch(patch);
    if (this.pendingItems.length > 0) patch.stream = this.pendingItems;
    if (this.pendingStatuses.length > 0) patch.statuses = this.pendingStatuses;
    this.pendingItems = [];
    this.pendingStatuses = [];
    for (const fn of this.subscribers) fn(patch);
  }

  private hostPatch(patch: Patch): void {
    patch.hosts = [];
    patch.hostsRemoved = [];
    for (const key of this.dirtyHosts) {
      const id = idOf(key);
      const live = this.src.hosts.get(key);
      const k = keys.parse(key)!;
      const row = live ? hostRow(k.lattice, live.value, this.seenAt(key, live.created)) : this.gone.get(key);
      if (row) patch.hosts.push(row);
      else patch.hostsRemoved.push(id);
    }
    this.dirtyHosts.clear();
  }

  private startFollowing(): void {
    const { js, log } = this.src;
    const { backfillMs } = this.opts;
    const add = (item: StreamItem) => this.addItem(item);
    this.recent = [];
    this.followers = [
      new StreamFollower(js, STREAMS.commands, commandItem, add, log, backfillMs),
      new StreamFollower(js, STREAMS.events, eventItem, add, log, backfillMs),
    ];
    for (const f of this.followers) f.start();
  }

  private stopFollowing(): void {
    for (const f of this.followers) f.stop();
    this.followers = [];
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.dirtyApps.clear();
    this.dirtyHosts.clear();
    this.pendingItems = [];
    this.pendingStatuses = [];
  }
}

function idOf(key: string): string {
  const k = keys.parse(key);
  return k ? rowId(k.lattice, k.name) : key;
}
