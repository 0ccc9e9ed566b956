/**
 * Serialises reconciles of one app inside a replica and folds bursts together. A request
 * joins the one queued run of its app if there is one; otherwise it queues a run that starts
 * once the app's current run (if any) has ended *and* the event loop has taken a turn, so every
 * event that arrived in the same burst is answered by that one run. Level-triggered: a run
 * reads the newest state when it starts, so it answers everyone who joined it.
 */
type Slot = { running?: Promise<void>; queued?: Promise<void> };

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

export class Coalescer {
  private readonly slots = new Map<string, Slot>();

  run(key: string, fn: () => Promise<void>): Promise<void> {
    const slot = this.slots.get(key) ?? {};
    this.slots.set(key, slot);
    if (slot.queued !== undefined) return slot.queued;
    const queued = (slot.running ?? Promise.resolve())
      .catch(() => undefined)
      .then(nextTurn)
      .then(() => {
        slot.queued = undefined;
        return this.start(key, slot, fn);
      });
    slot.queued = queued;
    return queued;
  }

  private start(key: string, slot: Slot, fn: () => Promise<void>): Promise<void> {
    const running = fn().finally(() => {
      if (slot.running === running) slot.running = undefined;
      if (!slot.running && !slot.queued) this.slots.delete(key);
    });
    slot.running = running;
    return running;
  }
}
