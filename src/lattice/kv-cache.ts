/**
 * An in-memory copy of a KV bucket, fed by a watch (initial values, then updates), with
 * revision fencing: `reach(rev)` resolves once the copy has seen the bucket at revision `rev`
 * (ARCHITECTURE §2 "Read-your-writes"). Every replica keeps one per bucket instead of
 * re-reading KV for every event.
 */
import type { KV, KvEntry, KvWatchEntry } from "@nats-io/kv";
import { UnavailableError } from "../errors.js";
import type { Logger } from "../log.js";

export interface Cached<T> {
  key: string;
  value: T;
  revision: number;
  /** Server time of the write (not the writer's clock). */
  created: Date;
}

export type CacheListener<T> = (
  key: string,
  next: Cached<T> | undefined,
  previous: Cached<T> | undefined,
) => void;

/**
 * How many entries a new watch had pending when created: nats.js's `kv.watch()` reads it (to
 * mark the last initial entry `isUpdate`) from the consumer it keeps as `_data`, and exposes no
 * other way. Unknown (another client version): undefined, and the caller waits for the mark.
 */
async function pendingAtStart(watch: unknown): Promise<number | undefined> {
  const consumer = (watch as { _data?: { info?: (cached: boolean) => Promise<{ num_pending?: number }> } })
    ._data;
  try {
    return (await consumer?.info?.(true))?.num_pending;
  } catch {
    return undefined;
  }
}

type Waiter = { revision: number; resolve: (reached: boolean) => void; timer: NodeJS.Timeout };

export class KvCache<T> {
  private readonly entries = new Map<string, Cached<T>>();
  /** Revision of each key's last change (also deletes), so a late, older copy is never applied. */
  private readonly lastChange = new Map<string, number>();
  private revisionSeen = 0;
  private waiters: Waiter[] = [];
  private stopWatch: (() => void) | undefined;
  /** Which watch is current: one replaced by `resume()` ends without starting another. */
  private watchGen = 0;
  private stopped = false;
  private readonly listeners: CacheListener<T>[] = [];

  constructor(
    private readonly kv: KV,
    private readonly decode: (entry: KvEntry) => T | undefined,
    private readonly log: Logger,
    /**
     * Only keys matching this (e.g. `*.*`). The revision then advances only with matching
     * writes, so fence only on revisions of matching keys.
     */
    private readonly filter?: string,
  ) {}

  /** Starts the watch and resolves once the initial values are loaded. */
  async start(): Promise<void> {
    let loaded: () => void = () => undefined;
    const initial = new Promise<void>((resolve) => {
      loaded = resolve;
    });
    if (this.filter) {
      // The stream's last sequence may belong to a key we do not watch: wait instead for the
      // watch's own mark of the end of the initial values (unless nothing matches yet).
      if (!(await this.anyMatching(this.filter))) loaded();
      await this.follow(undefined, (e) => {
        if (e.isUpdate) loaded();
      });
    } else {
      const lastSeq = (await this.kv.status()).streamInfo.state.last_seq;
      if (lastSeq === 0) loaded();
      await this.follow(undefined, () => {
        if (this.revisionSeen >= lastSeq) loaded();
      });
    }
    await initial;
  }

  private async anyMatching(filter: string): Promise<boolean> {
    const it = await this.kv.keys(filter);
    for await (const _ of it) {
      it.stop();
      return true;
    }
    return false;
  }

  stop(): void {
    this.stopped = true;
    this.stopWatch?.();
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      w.resolve(false);
    }
    this.waiters = [];
  }

  /**
   * Watches the bucket (from `resumeFrom`, or its current values then updates). Should the watch
   * ever end while the cache is in use (e.g. the server lost its consumer), it starts again
   * from the next revision, so the cache can lag but never silently freeze.
   */
  private async follow(
    resumeFrom: number | undefined,
    onEntry: (e: KvWatchEntry) => void,
  ): Promise<AsyncIterable<KvWatchEntry>> {
    const watch = await this.kv.watch({
      ...(this.filter ? { key: this.filter } : {}),
      ...(resumeFrom ? { resumeFromRevision: resumeFrom } : {}),
    });
    const gen = ++this.watchGen;
    this.stopWatch = () => watch.stop();
    void (async () => {
      try {
        for await (const e of watch) {
          this.apply(e, true);
          onEntry(e);
        }
      } catch (err) {
        this.log.warn({ err }, "kv watch failed");
      }
      if (gen === this.watchGen) await this.rewatch();
    })();
    return watch;
  }

  /**
   * Replaces the watch with a new one from the next revision and resolves once it has delivered
   * what the bucket held when called (or after `timeoutMs`). For after a NATS reconnect: the
   * client notices a watch the server lost only after two missed idle heartbeats (10 s, 60 s
   * once it has been recreated), and the cache must not lag that long.
   */
  async resume(timeoutMs: number): Promise<boolean> {
    if (this.stopped) return false;
    const lastSeq = (await this.kv.status()).streamInfo.state.last_seq;
    const old = this.stopWatch;
    let caughtUp: () => void = () => undefined;
    const done = new Promise<boolean>((resolve) => {
      caughtUp = () => resolve(true);
      setTimeout(() => resolve(false), timeoutMs).unref();
    });
    if (lastSeq <= this.revisionSeen) caughtUp(); // nothing newer at all
    // Filtered: the last sequence may be a key we do not watch, so the watch's own mark of the
    // end of what was pending says it — and a watch with nothing pending marks nothing, so ask it.
    const watch = await this.follow(this.revisionSeen + 1, (e) => {
      if (this.filter ? e.isUpdate : this.revisionSeen >= lastSeq) caughtUp();
    });
    if (this.filter && (await pendingAtStart(watch)) === 0) caughtUp();
    old?.();
    return done;
  }

  private async rewatch(): Promise<void> {
    for (let attempt = 1; !this.stopped; attempt++) {
      this.log.warn({ from: this.revisionSeen + 1, attempt }, "kv watch ended: watching again");
      try {
        await this.follow(this.revisionSeen + 1, () => undefined);
        return;
      } catch (err) {
        this.log.warn({ err }, "could not watch yet");
        await new Promise((r) => setTimeout(r, Math.min(5_000, 250 * attempt)));
      }
    }
  }

  onChange(listener: CacheListener<T>): void {
    this.listeners.push(listener);
  }

  get revision(): number {
    return this.revisionSeen;
  }

  get(key: string): Cached<T> | undefined {
    return this.entries.get(key);
  }

  values(): IterableIterator<Cached<T>> {
    return this.entries.values();
  }

  /** Resolves true once the cache has seen `revision`, false after `timeoutMs`. */
  reach(revision: number, timeoutMs: number): Promise<boolean> {
    if (this.revisionSeen >= revision) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        revision,
        resolve,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          resolve(false);
        }, timeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  /** Re-reads one key directly from KV (after a fence timed out) and applies it if newer. */
  async refresh(key: string): Promise<Cached<T> | undefined> {
    const entry = await this.kv.get(key);
    if (entry) this.apply(entry, false);
    return this.entries.get(key);
  }

  /**
   * Brings the copy of `key` up to revision `newest` (learnt elsewhere, e.g. from the stream's
   * leader): true if it was there already, false if a direct read got it there. Throws when the
   * read did not either (it was answered by a replica that lags too): the caller tries later.
   */
  async catchUp(key: string, newest: number): Promise<boolean> {
    if ((this.lastChange.get(key) ?? 0) >= newest) return true;
    await this.refresh(key);
    if ((this.lastChange.get(key) ?? 0) >= newest) return false;
    throw new UnavailableError(`the cached copy of ${key} is behind revision ${newest}; retry shortly`);
  }

  /** Only the watch advances `revisionSeen`: a direct read of one key says nothing of the others. */
  private apply(e: KvEntry, fromWatch: boolean): void {
    const previous = this.entries.get(e.key);
    if ((this.lastChange.get(e.key) ?? 0) >= e.revision) {
      if (fromWatch && e.revision > this.revisionSeen) this.advance(e.revision);
      return;
    }
    let next: Cached<T> | undefined;
    if (e.operation === "PUT") {
      const value = this.safeDecode(e);
      if (value !== undefined) next = { key: e.key, value, revision: e.revision, created: e.created };
    }
    this.lastChange.set(e.key, e.revision);
    if (next) this.entries.set(e.key, next);
    else this.entries.delete(e.key);
    if (fromWatch && e.revision > this.revisionSeen) this.advance(e.revision);
    for (const l of this.listeners) l(e.key, next, previous);
  }

  private safeDecode(e: KvEntry): T | undefined {
    try {
      return this.decode(e);
    } catch (err) {
      this.log.warn({ err, key: e.key, revision: e.revision }, "ignoring a KV value that does not parse");
      return undefined;
    }
  }

  private advance(revision: number): void {
    this.revisionSeen = revision;
    this.releaseWaiters();
  }

  private releaseWaiters(): void {
    if (this.waiters.length === 0) return;
    const still: Waiter[] = [];
    for (const w of this.waiters) {
      if (this.revisionSeen >= w.revision) {
        clearTimeout(w.timer);
        w.resolve(true);
      } else still.push(w);
    }
    this.waiters = still;
  }
}
