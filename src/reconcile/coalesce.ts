/**
 * Serialises reconciles of one app inside a replica and folds bursts together. A request
 * joins the one queued run of its app if there is one; otherwise it queues a run that starts
 * once the app's current run (if any) has ended *and* the event loop has taken a turn, so every
 * event that arrived in the same burst is answered by that one run. Level-triggered: a run
 * reads the newest state when it starts, so it answers everyone who joined it.
 *
 * With `minGapMs`, a run also starts no sooner than `minGapMs` after the app's previous run
 * started. The first event of a quiet app is answered at once; the reports that follow a
 * placement (each of the app's hosts writes its record as instances start, then as they become
 * ready) arrive within milliseconds of each other, and one run answers all that arrived in the
 * gap instead of one run each.
 */
type Slot = { running?: Promise<void>; queued?: Promise<void> };

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Start times are forgotten in sweeps, once this many calls have gone by. */
const SWEEP_EVERY = 4096;

export class Coalescer {
  private readonly slots = new Map<string, Slot>();
  /** key → when its last run started (performance.now()), while that may still hold a run back. */
  private readonly started = new Map<string, number>();
  private calls = 0;

  constructor(private readonly minGapMs = 0) {}

  run(key: string, fn: () => Promise<void>): Promise<void> {
    if (++this.calls % SWEEP_EVERY === 0) this.sweep(performance.now());
    const slot = this.slots.get(key) ?? {};
    this.slots.set(key, slot);
    if (slot.queued !== undefined) return slot.queued;
    const queued = (slot.running ?? Promise.resolve())
      .catch(() => undefined)
      .then(() => this.gap(key))
      .then(nextTurn)
      .then(() => {
        slot.queued = undefined;
        return this.start(key, slot, fn);
      });
    slot.queued = queued;
    return queued;
  }

  /** Waits out what is left of `minGapMs` since the key's last run started. */
  private gap(key: string): Promise<void> | undefined {
    const last = this.started.get(key);
    if (last === undefined) return undefined;
    const until = last + this.minGapMs;
    return performance.now() < until ? waitUntil(until) : undefined;
  }

  private start(key: string, slot: Slot, fn: () => Promise<void>): Promise<void> {
    if (this.minGapMs > 0) this.started.set(key, performance.now());
    const running = fn().finally(() => {
      if (slot.running === running) slot.running = undefined;
      if (!slot.running && !slot.queued) this.slots.delete(key);
    });
    slot.running = running;
    return running;
  }

  private sweep(now: number): void {
    for (const [key, at] of this.started) if (now - at >= this.minGapMs) this.started.delete(key);
  }
}

/**
 * Resolves once `performance.now()` has reached `until`. One timer is not enough: libuv measures
 * it from the loop's clock, read when the current turn began, so on a busy loop it fires early
 * (a CI run saw a 40 ms gap end after 38.8 ms).
 */
async function waitUntil(until: number): Promise<void> {
  for (let wait = until - performance.now(); wait > 0; wait = until - performance.now())
    await new Promise((resolve) => setTimeout(resolve, Math.ceil(wait)));
}
