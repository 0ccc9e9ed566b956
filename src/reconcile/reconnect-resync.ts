/**
 * What a replica does when its NATS connection comes back (ARCHITECTURE "NATS outages"):
 *
 * 1. Resume every KV watch from the revision it had reached, and wait (bounded) until each has
 *    caught up: the client would notice a watch the server lost only after missed heartbeats.
 * 2. Re-reconcile every app of every lattice it knows, once. During an outage events are lost
 *    in ways no consumer can redeliver in time: a KV write that landed whose event publish did
 *    not (the API's, or a host's), an ack or nak the client discarded (redelivered only after
 *    ack_wait), commands whose PubAck never came. The periodic resync would repair all of them,
 *    but only after `--resync-interval`; reconciling is level-triggered, so doing it now costs
 *    one reconcile per app and repairs them within seconds. Commands it issues carry the usual
 *    deterministic ids, so two replicas doing it at once send each command once.
 */
import type { Logger } from "../log.js";
import type { LinkState } from "../streams/link.js";

/** Further tries (a second apart) to bring the caches up to date before reconciling. */
const RESUME_ATTEMPTS = 30;

export interface Resumable {
  resume(timeoutMs: number): Promise<boolean>;
}

export interface ReconnectResyncDeps {
  link: LinkState;
  caches: Resumable[];
  lattices: () => Iterable<string>;
  resync: (lattice: string, causationId: string) => Promise<void>;
  log: Logger;
  /** Longest wait for the caches to catch up before reconciling anyway. Default 3 s. */
  catchUpMs?: number;
}

export class ReconnectResync {
  private unsubscribe: (() => void) | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private reconnects = 0;
  private stopped = false;
  private catchingUp: Promise<unknown> | undefined;
  private releaseCatchUp: () => void = () => undefined;

  constructor(private readonly deps: ReconnectResyncDeps) {}

  /**
   * Resolves once the caches have caught up after the last reconnect (at once when no catch-up
   * is under way). Events are held on it: an event from before the outage passes its revision
   * fence at once, and planning it from caches that still miss the outage's writes (and commands)
   * would send commands the others already sent, under other ids.
   */
  caughtUp(): Promise<void> {
    return this.catchingUp?.then(() => undefined) ?? Promise.resolve();
  }

  /** True from a reconnect until the caches have caught up (readiness). */
  get isCatchingUp(): boolean {
    return this.catchingUp !== undefined;
  }

  start(): void {
    this.unsubscribe = this.deps.link.onReconnect(() => this.trigger());
  }

  /**
   * The same pass when JetStream comes back without a reconnect (a NATS cluster leader
   * election): a KV watch whose consumer lived on the lost node is otherwise noticed only by
   * missed heartbeats, and meanwhile the cache serves stale apps and hosts.
   */
  jetStreamRecovered(): void {
    if (!this.stopped) this.trigger();
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
    this.releaseCatchUp();
  }

  /** Resolves when the current pass (if any) has ended: for tests. */
  settled(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  private trigger(): void {
    this.reconnects++;
    // Held from the reconnect itself, before the pass below has read anything.
    let release: () => void = () => undefined;
    this.catchingUp = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.releaseCatchUp = release;
    if (this.running !== undefined) {
      this.again = true; // one more pass after this one: it may have read pre-reconnect state
      return;
    }
    this.running = this.loop().finally(() => {
      this.running = undefined;
    });
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      await this.pass().catch((err) => this.deps.log.warn({ err }, "resync after reconnect failed"));
    } while (this.again && !this.stopped);
  }

  private async pass(): Promise<void> {
    const started = Date.now();
    const { caches, log } = this.deps;
    const catchUpMs = this.deps.catchUpMs ?? 3_000;
    const resumeAll = async () =>
      (await Promise.all(caches.map((c) => c.resume(catchUpMs).catch(() => false)))).every(Boolean);
    let caught = await resumeAll();
    // Events are fenced on their own revisions: hold them no longer than this first try.
    this.releaseCatchUp();
    this.catchingUp = undefined;
    // The reconcile below is not fenced: never run it from caches that may miss the outage's
    // writes (JetStream may still be electing leaders; a watch that could not be replaced may
    // be dead). It would undo them: an undeployed app's instances started again.
    for (let attempt = 1; !caught && !this.stopped && attempt <= RESUME_ATTEMPTS; attempt++) {
      await new Promise((r) => setTimeout(r, 1_000));
      caught = await resumeAll();
    }
    if (this.stopped) return;
    if (!caught) {
      log.warn("caches did not catch up after NATS came back: not reconciling every app");
      return;
    }
    const lattices = [...new Set(this.deps.lattices())];
    const id = `reconnect:${this.reconnects}`;
    await Promise.all(lattices.map((l) => this.deps.resync(l, id)));
    log.info(
      { lattices: lattices.length, ms: Date.now() - started },
      "reconciled every app after a NATS reconnect",
    );
  }
}
