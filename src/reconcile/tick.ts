/**
 * The distributed cron without a leader (ARCHITECTURE §2): every replica publishes one
 * `lattice_tick` per lattice per period with `Nats-Msg-Id = tick:{lattice}:{period}`, and the
 * stream's duplicate window keeps exactly one of them, whatever the number of replicas.
 */
import type { JetStreamClient } from "@nats-io/jetstream";
import type { Logger } from "../log.js";
import { eventSource, publishEvent } from "../streams/events.js";
import { dedupeIds } from "../streams/subjects.js";

export class Ticker {
  private timer: NodeJS.Timeout | undefined;
  private failedAt = 0;
  private failing = false;
  private readonly recovered: Array<() => void> = [];

  constructor(
    private readonly js: JetStreamClient,
    private readonly intervalMs: number,
    /** Lattices to tick: every lattice with hosts or apps. */
    private readonly lattices: () => Iterable<string>,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(Date.now()), this.intervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /**
   * When a tick last failed to publish (0: never). A tick goes out every period, so this tells
   * when JetStream was last unavailable to this replica — e.g. a stream leader election in a
   * NATS cluster, which no reconnect marks — and hosts could not report either.
   */
  get lastFailureAt(): number {
    return this.failedAt;
  }

  /**
   * Calls `listener` when a tick goes out again after failing: JetStream is back (a cluster
   * leader election, or a reconnect, is over), so caches can catch up (reconnect-resync.ts).
   */
  onRecovered(listener: () => void): void {
    this.recovered.push(listener);
  }

  async tick(now: number): Promise<void> {
    const period = Math.floor(now / this.intervalMs);
    const data = { period, intervalMs: this.intervalMs };
    const sent = await Promise.all(
      [...new Set(this.lattices())].map((lattice) =>
        publishEvent(
          this.js,
          lattice,
          "lattice_tick",
          eventSource(lattice, "controller"),
          data,
          dedupeIds.tick(lattice, period),
        ).then(
          () => true,
          (err: unknown) => {
            this.failedAt = Date.now();
            this.log.debug({ err, lattice }, "tick publish failed (JetStream unavailable)");
            return false;
          },
        ),
      ),
    );
    if (sent.length === 0) return;
    if (!sent.every(Boolean)) this.failing = true;
    else if (this.failing) {
      this.failing = false;
      for (const l of this.recovered) l();
    }
  }
}
