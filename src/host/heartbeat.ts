/**
 * When hosts beat. A single host uses its own timer; a fleet of simulated hosts in one process
 * shares a `CoalescingScheduler`, because on a small VM an event-loop wake-up costs about as
 * much as a heartbeat's own work (measured: a bare 200 Hz timer alone costs 2 % of a core), so
 * 1,000 hosts with one timer each would spend most of their CPU waking up.
 */

export interface HeartbeatScheduler {
  /** Calls `beat` after `firstDelayMs`, then every `intervalMs`, until the returned function is called. */
  every(beat: () => void, firstDelayMs: number, intervalMs: number): () => void;
}

/** One timer per host. */
export const ownTimer: HeartbeatScheduler = {
  every(beat, firstDelayMs, intervalMs) {
    let timer = setTimeout(function tick() {
      timer = setTimeout(tick, intervalMs);
      beat();
    }, firstDelayMs);
    return () => clearTimeout(timer);
  },
};

interface Entry {
  beat: () => void;
  intervalMs: number;
  due: number;
}

/**
 * One timer for many hosts: each wake-up runs every beat due within `slackMs`. Staggered beats
 * stay spread over the interval, grouped into batches (with 1,000 hosts at 5 s and 100 ms slack:
 * ~20 beats per wake-up, 10 wake-ups a second), and their KV writes leave in one socket write.
 * Cadence does not drift: a beat is due again exactly one interval after it was due.
 */
export class CoalescingScheduler implements HeartbeatScheduler {
  /** Sorted by `due`. */
  private entries: Entry[] = [];
  private timer: NodeJS.Timeout | undefined;
  private timerDue = Number.POSITIVE_INFINITY;

  constructor(private readonly slackMs = 100) {}

  every(beat: () => void, firstDelayMs: number, intervalMs: number): () => void {
    const entry: Entry = { beat, intervalMs, due: Date.now() + firstDelayMs };
    this.insert(entry);
    this.arm();
    return () => {
      const at = this.entries.indexOf(entry);
      if (at >= 0) this.entries.splice(at, 1);
      this.arm();
    };
  }

  private insert(entry: Entry): void {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.entries[mid]!.due <= entry.due) lo = mid + 1;
      else hi = mid;
    }
    this.entries.splice(lo, 0, entry);
  }

  private arm(): void {
    const next = this.entries[0];
    if (!next) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.timerDue = Number.POSITIVE_INFINITY;
      return;
    }
    if (this.timer && this.timerDue <= next.due) return;
    clearTimeout(this.timer);
    this.timerDue = next.due;
    this.timer = setTimeout(() => this.fire(), Math.max(0, next.due - Date.now()));
  }

  private fire(): void {
    this.timer = undefined;
    this.timerDue = Number.POSITIVE_INFINITY;
    const now = Date.now();
    let n = 0;
    while (n < this.entries.length && this.entries[n]!.due <= now + this.slackMs) n++;
    const due = this.entries.splice(0, n);
    for (const entry of due) {
      entry.due += entry.intervalMs;
      if (entry.due <= now) entry.due = now + entry.intervalMs; // the process was stalled
      this.insert(entry);
    }
    this.arm();
    for (const entry of due) entry.beat();
  }
}
