/**
 * Writes one host's record to KV `nadm_hosts` and publishes the events that describe each
 * write, in order (ARCHITECTURE §2 "Read-your-writes").
 *
 * - One write in flight per host; changes that arrive meanwhile are coalesced into the next
 *   write, so revisions are monotonic and events leave in the order of the writes.
 * - A write starts one macrotask after it was requested (`setImmediate`): what the same turn
 *   of the event loop changes lands in one write. A command's "desired" and the synchronous
 *   start of its instances, or several commands read from one socket chunk, are one write and
 *   one event per workload instead of one per step.
 * - Every write is compare-and-set against the last revision this writer saw; on a
 *   wrong-last-sequence (a previous life's record, or the liveness sweep deleted us) it re-reads
 *   the revision and retries, a bounded number of times.
 * - Events are computed from the record actually written (a diff against the previous written
 *   record), published only after the write succeeded, and carry its revision as
 *   `stateRevision`; an event's counts are therefore exactly those of the record it names.
 */
import { randomUUID } from "node:crypto";
import type { JetStreamClient } from "@nats-io/jetstream";
import type { KV } from "@nats-io/kv";
import { errorMessage } from "../errors.js";
import type { Logger } from "../log.js";
import { type EventData, eventSource, publishEvent } from "../streams/events.js";
import type { ArtifactState, HostRecord, WorkloadInventory } from "../streams/host-record.js";
import { isWrongLastSequence } from "../streams/kv-cas.js";
import { type LinkState, RequestLostError } from "../streams/link.js";
import type { EventType } from "../streams/subjects.js";
import { dedupeIds, keys } from "../streams/subjects.js";
import { HostRecordConflictError } from "./errors.js";
import type { InstanceFailure } from "./supervisor.js";

export interface RecordWriterOptions {
  kv: KV;
  js: JetStreamClient;
  lattice: string;
  hostId: string;
  logger: Logger;
  /** Snapshot of the host's current state; called once per write. */
  build(): HostRecord;
  /** Called after a write and its events (e.g. to retire idle workloads). */
  afterWrite?(record: HostRecord, revision: number): void;
  /** Pause before retrying a failed write (NATS unavailable). Default 1 s. */
  retryMs?: number;
  /** Compare-and-set attempts per write. Default 8. */
  maxCasAttempts?: number;
  /**
   * The connection's state: writes wait for it while NATS is down, and a write or publish the
   * outage swallowed is retried at once instead of after its timeout.
   */
  link?: LinkState;
}

type Outgoing = { [T in EventType]: { type: T; data: EventData<T> } }[EventType];
/**
 * An event of a write that succeeded, not yet in the stream: sent again before the next write.
 * `time` is when it happened (a failure: the exit; otherwise the write), not when it is sent.
 */
type Unsent = { event: Outgoing; revision: number; id: string; time: Date };
type NotedFailure = { key: string; failure: InstanceFailure; at: Date };

export class RecordWriter {
  private revision = 0;
  private lastWritten: HostRecord | undefined;
  private dirty = false;
  private frozen = false;
  private startedPublished = false;
  /** Lives of this record within this process: bumped when it was deleted under us. */
  private incarnation = 0;
  private loop: Promise<void> | undefined;
  private draining = false;
  private waiters: Array<(revision: number) => void> = [];
  private failures: NotedFailure[] = [];
  private unsent: Unsent[] = [];
  /** Makes this writer's event ids unique across processes (a bucket's revisions can repeat). */
  private readonly life = randomUUID().slice(0, 8);
  private wakeRetry: (() => void) | undefined;
  private readonly key: string;
  private readonly source: string;

  constructor(private readonly opts: RecordWriterOptions) {
    this.key = keys.host(opts.lattice, opts.hostId);
    this.source = eventSource(opts.lattice, { hostId: opts.hostId });
  }

  /** The revision of the last successful write (0 before the first). */
  get lastRevision(): number {
    return this.revision;
  }

  /** Schedules a write; resolves with the revision of a write that started after this call. */
  request(): Promise<number> {
    if (this.frozen) return Promise.resolve(this.revision);
    const done = new Promise<number>((resolve) => this.waiters.push(resolve));
    this.dirty = true;
    if (!this.draining) {
      this.draining = true;
      this.loop = this.drain();
    }
    return done;
  }

  /** Queues a `workload_failed` event for the next write (which records the failure). */
  noteFailure(workloadKey: string, failure: InstanceFailure): void {
    this.failures.push({ key: workloadKey, failure, at: new Date() });
  }

  /**
   * Stops writing (pending callers get the last revision), deletes the record with CAS and
   * returns the revision of the deletion, for `host_stopped`.
   */
  async close(): Promise<number> {
    this.frozen = true;
    this.wakeRetry?.();
    await this.loop;
    for (const resolve of this.waiters.splice(0)) resolve(this.revision);
    return this.deleteRecord();
  }

  /**
   * Stops writing and leaves the record in place (a planned restart with `--keep-instances`:
   * the next life of this host continues it). Returns the last revision written.
   */
  async detach(): Promise<number> {
    this.frozen = true;
    this.wakeRetry?.();
    await this.loop;
    for (const resolve of this.waiters.splice(0)) resolve(this.revision);
    return this.revision;
  }

  private async drain(): Promise<void> {
    try {
      while (this.dirty && !this.frozen) await this.writeOnce();
    } finally {
      // In the same function as the loop's last check (no await in between), so a request
      // arriving after that check always starts a new drain.
      this.draining = false;
    }
  }

  private async writeOnce(): Promise<void> {
    await nextTurn();
    if (this.frozen) return; // closed meanwhile: its callers get the last revision
    // Sent while NATS is down, a write would be discarded and wait out its timeout after the
    // reconnect (see streams/link.ts): wait for the connection, then build a fresh record.
    await this.opts.link?.whenConnected();
    this.dirty = false;
    const waiters = this.waiters.splice(0);
    const failures = this.failures.splice(0);
    const record = this.opts.build();
    try {
      const revision = await this.write(record);
      this.unsent.push(...this.eventsFor(record, failures, revision));
      this.lastWritten = record;
      await this.publishUnsent();
      for (const resolve of waiters) resolve(revision);
      this.opts.afterWrite?.(record, revision);
    } catch (err) {
      this.opts.logger.warn({ err: errorMessage(err), key: this.key }, "host record write failed; retrying");
      this.failures.unshift(...failures);
      this.waiters.unshift(...waiters);
      this.dirty = true;
      // Lost to a reconnect: NATS is back (or coming back), so retry as soon as it is.
      if (!(err instanceof RequestLostError)) await this.pause(this.opts.retryMs ?? 1_000);
    }
  }

  private guarded<T>(what: string, p: Promise<T>): Promise<T> {
    return this.opts.link ? this.opts.link.unlessDropped(what, p) : p;
  }

  private async write(record: HostRecord): Promise<number> {
    const { kv } = this.opts;
    for (let attempt = 1; attempt <= (this.opts.maxCasAttempts ?? 8); attempt++) {
      const data = JSON.stringify({ ...record, incarnation: this.incarnation });
      try {
        this.revision = await this.guarded(
          `write ${this.key}`,
          this.revision > 0 ? kv.update(this.key, data, this.revision) : kv.create(this.key, data),
        );
        return this.revision;
      } catch (err) {
        if (!isWrongLastSequence(err)) throw err;
        // A record from a previous life of this host id, or a deletion by the liveness sweep:
        // continue from whatever revision is there now.
        const current = await kv.get(this.key);
        this.revision = current?.revision ?? 0;
        // Declared lost while alive (a long pause): announce ourselves again so controllers
        // count our instances at once instead of at the next resync.
        if (current && current.operation !== "PUT") {
          this.startedPublished = false;
          this.incarnation++;
        }
      }
    }
    throw new HostRecordConflictError(`could not write ${this.key}: it keeps changing under us`);
  }

  private async deleteRecord(): Promise<number> {
    const { kv } = this.opts;
    let expected = this.revision;
    for (let attempt = 1; attempt <= (this.opts.maxCasAttempts ?? 8); attempt++) {
      if (expected > 0) {
        try {
          await kv.delete(this.key, { previousSeq: expected });
          // delete() does not return the tombstone's revision; read it back for stateRevision.
          return (await kv.get(this.key))?.revision ?? 0;
        } catch (err) {
          if (!isWrongLastSequence(err)) throw err;
        }
      }
      const entry = await kv.get(this.key);
      if (!entry) return 0;
      if (entry.operation !== "PUT") return entry.revision; // already deleted (liveness sweep)
      expected = entry.revision;
    }
    throw new HostRecordConflictError(`could not delete ${this.key}: it keeps changing under us`);
  }

  private eventsFor(record: HostRecord, failures: NotedFailure[], revision: number): Unsent[] {
    const hostId = this.opts.hostId;
    // `at`: when it happened, if not at this write (a failure: the exit).
    const out: Array<{ event: Outgoing; at?: Date }> = [];
    if (!this.startedPublished) out.push({ event: { type: "host_started", data: { hostId } } });
    this.startedPublished = true; // queued: sent before any later event of this writer
    for (const { key, failure, at } of failures) {
      const inv = record.inventory[key];
      if (inv)
        out.push({
          event: { type: "workload_failed", data: { ...workloadData(hostId, key, inv), ...failure } },
          at,
        });
    }
    for (const [key, inv] of Object.entries(record.inventory)) {
      const prev = this.lastWritten?.inventory[key];
      const same =
        prev && prev.desired === inv.desired && prev.running === inv.running && prev.ready === inv.ready;
      if (same && !notesMoved(prev, inv)) continue;
      out.push({ event: { type: "workload_scaled", data: workloadData(hostId, key, inv) } });
    }
    if (out.length === 0) return []; // nothing changed (e.g. rewritten after the sweep): no events
    const written = new Date();
    // One id per event of this write, kept across retries: a publish whose PubAck was lost and
    // is sent again is dropped by the stream's duplicate window.
    return out.map(({ event, at }, i) => ({
      event,
      time: at ?? written,
      revision,
      id: dedupeIds.hostEvent(this.key, this.life, revision, i),
    }));
  }

  /**
   * Publishes the events of written records, oldest first (the stream must hold them in the
   * order of the writes). One that fails stays, with those after it, for the next write (or a
   * retry), so an outage delays events but never drops them: a controller would otherwise only
   * learn of the change at its next periodic resync.
   */
  private async publishUnsent(): Promise<void> {
    while (this.unsent.length > 0) {
      const { event: ev, revision, id, time } = this.unsent[0]!;
      const data = { ...ev.data, stateRevision: revision } as EventData<typeof ev.type>;
      try {
        await this.guarded(
          `publish ${ev.type}`,
          publishEvent(this.opts.js, this.opts.lattice, ev.type, this.source, data, id, time),
        );
      } catch (err) {
        this.opts.logger.warn({ err: errorMessage(err), type: ev.type }, "event publish failed; will retry");
        this.dirty = true; // come back for it
        if (!(err instanceof RequestLostError)) await this.pause(this.opts.retryMs ?? 1_000);
        return;
      }
      this.unsent.shift();
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wakeRetry = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

/**
 * What the status tells besides counts changed: a failing probe's answer, or an artifact fetch
 * that changed state or crossed a tenth of its size. Worth an event, so the status can say so:
 * nothing else marks those moments.
 */
function notesMoved(prev: WorkloadInventory, next: WorkloadInventory): boolean {
  return prev.probe !== next.probe || artifactMoved(prev.artifact, next.artifact);
}

function artifactMoved(prev: ArtifactState | undefined, next: ArtifactState | undefined): boolean {
  if (!prev || !next) return prev !== next;
  const tenth = (a: ArtifactState) => (a.size > 0 ? Math.floor((a.bytes * 10) / a.size) : 0);
  return prev.state !== next.state || tenth(prev) !== tenth(next);
}

/** Resolves after the rest of this turn of the event loop (its microtasks and I/O callbacks). */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function workloadData(hostId: string, workloadKey: string, inv: WorkloadInventory) {
  return {
    hostId,
    app: inv.app,
    component: inv.component,
    workloadKey,
    desired: inv.desired,
    running: inv.running,
    ready: inv.ready,
  };
}
