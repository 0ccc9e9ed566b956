/**
 * Follows one stream (commands or events) with an ordered consumer for the dashboard's live list,
 * from `backfillMs` ago, while someone watches. If the consumer ends while still wanted (a NATS
 * restart), it follows again from the last sequence seen, so the list can lag but not freeze.
 */
import { DeliverPolicy, type JetStreamClient } from "@nats-io/jetstream";
import type { Logger } from "../log.js";
import { decodeJson } from "../streams/commands.js";
import type { StreamItem } from "./ui/wire.js";

export type ToItem = (subject: string, seq: number, time: Date, payload: unknown) => StreamItem | undefined;

export class StreamFollower {
  private stopMessages: (() => void) | undefined;
  private stopped = false;
  private lastSeq = 0;

  constructor(
    private readonly js: JetStreamClient,
    private readonly stream: string,
    private readonly toItem: ToItem,
    private readonly onItem: (item: StreamItem) => void,
    private readonly log: Logger,
    private readonly backfillMs: number,
  ) {}

  start(): void {
    void this.loop();
  }

  stop(): void {
    this.stopped = true;
    this.stopMessages?.();
  }

  private async loop(): Promise<void> {
    for (let attempt = 1; !this.stopped; attempt++) {
      try {
        await this.followOnce();
        attempt = 0;
      } catch (err) {
        this.log.warn({ err, stream: this.stream, attempt }, "dashboard: cannot follow the stream yet");
      }
      if (!this.stopped) await new Promise((r) => setTimeout(r, Math.min(5_000, 250 * Math.max(1, attempt))));
    }
  }

  private async followOnce(): Promise<void> {
    const from =
      this.lastSeq > 0
        ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: this.lastSeq + 1 }
        : {
            deliver_policy: DeliverPolicy.StartTime,
            opt_start_time: new Date(Date.now() - this.backfillMs).toISOString(),
          };
    const consumer = await this.js.consumers.get(this.stream, from);
    const messages = await consumer.consume();
    this.stopMessages = () => void messages.stop();
    if (this.stopped) messages.stop();
    for await (const m of messages) {
      this.lastSeq = m.seq;
      let payload: unknown;
      try {
        payload = decodeJson(m.data);
      } catch {
        continue; // not JSON: the workers dead-letter it; the live list skips it
      }
      const item = this.toItem(m.subject, m.seq, m.time, payload);
      if (item) this.onItem(item);
    }
  }
}
