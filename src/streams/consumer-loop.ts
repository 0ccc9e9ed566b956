/**
 * Pulls from a shared durable consumer and hands each message to a handler through
 * `handleMessage` (so every message is settled exactly once), with optional per-key ordering,
 * and a clean stop: stop pulling, nak what was prefetched but not started, finish what is in
 * hand (prefetched messages otherwise wait out ack_wait: docs/ARCHITECTURE.md, “nats-server 2.9
 * pitfalls”).
 * If the durable disappears (deleted by an operator, or the server lost it), or the pull ends
 * for any other reason while the loop is in use, the durable is re-provisioned through
 * `recreate` and pulling resumes: a worker never stops silently.
 */
import type { ConsumerMessages, JetStreamClient, JsMsg } from "@nats-io/jetstream";
import { within } from "../deadline.js";
import type { Logger } from "../log.js";
import { handleMessage, type Outcome, type SettleContext } from "./settle.js";

/**
 * How long one pull request lives (the client's default is 30 s). The server sends idle
 * heartbeats every half of it, and the client re-pulls after two are missed: when a stream's
 * leader dies (a NATS cluster node lost) the pulls it held die with it, and with the default
 * the worker would sit idle for ~30 s before noticing. An idle pull every 5 s costs nothing.
 */
export const PULL_EXPIRES_MS = 5_000;

/**
 * How long a stop waits for the pull to close and for the messages in hand to be settled.
 * Normally milliseconds; while NATS is degraded a handler can wait on it far longer, and a
 * replica told to stop must not hang on that: what it leaves unsettled is delivered again.
 */
const STOP_WAIT_MS = 8_000;

export interface ConsumerLoopOptions {
  js: JetStreamClient;
  stream: string;
  consumer: string;
  /**
   * The batch of each pull. nats.js pulls again as messages *arrive*, not as they are handled,
   * so this does not bound the messages in hand: the durable's `max_ack_pending` does.
   */
  maxMessages: number;
  handle: (msg: JsMsg) => Promise<Outcome>;
  settle: SettleContext;
  /** Messages with the same key are handled one after another, in stream order. */
  orderKey?: (msg: JsMsg) => string;
  /** Tell the server "still working" this often while a message is handled. */
  workingEveryMs?: number;
  /** Re-provisions the durable consumer when it has gone missing. */
  recreate?: () => Promise<void>;
  /** Awaited before each message is handled (e.g. caches catching up after a reconnect). */
  gate?: () => Promise<void>;
  /** Sees every message as it arrives (metrics read its delivery metadata: no info calls). */
  observe?: (msg: JsMsg) => void;
  /** How long `stop()` waits for the pull to close and then for the messages in hand. Default 8 s. */
  stopWaitMs?: number;
  log: Logger;
}

export class ConsumerLoop {
  private messages: ConsumerMessages | undefined;
  private stopping = false;
  private readonly inHand = new Set<Promise<void>>();
  private readonly lastOfKey = new Map<string, Promise<void>>();

  constructor(private readonly opts: ConsumerLoopOptions) {}

  async start(): Promise<void> {
    const consumer = await this.opts.js.consumers.get(this.opts.stream, this.opts.consumer);
    const messages = await consumer.consume({
      max_messages: this.opts.maxMessages,
      expires: PULL_EXPIRES_MS,
    });
    this.messages = messages;
    void this.watchStatus(messages);
    void this.loop(messages);
  }

  /** True while a pull is open on the durable (false while it is being re-created, or stopped). */
  get bound(): boolean {
    return this.messages !== undefined && !this.stopping;
  }

  /** Stops pulling and waits for the messages in hand to be settled. */
  async stop(): Promise<void> {
    this.stopping = true;
    const waitMs = this.opts.stopWaitMs ?? STOP_WAIT_MS;
    await within(this.messages?.close() ?? Promise.resolve(), waitMs);
    const inHand = this.inHand.size;
    if (!(await within(Promise.allSettled([...this.inHand]), waitMs))) {
      this.opts.log.warn(
        { consumer: this.opts.consumer, inHand, left: this.inHand.size, waitedMs: waitMs },
        "stopping with messages still in hand: NATS will deliver them again",
      );
    }
  }

  private async loop(messages: ConsumerMessages): Promise<void> {
    try {
      for await (const msg of messages) {
        if (this.stopping) {
          msg.nak(); // prefetched after stop: give it back now rather than after ack_wait
          continue;
        }
        this.opts.observe?.(msg);
        this.dispatch(msg);
      }
    } catch (err) {
      this.opts.log.error({ err, consumer: this.opts.consumer }, "consumer loop ended with an error");
    }
    // Pulling must never stop silently while the worker is in use.
    if (!this.stopping) await this.restart(messages, "consumer iterator ended");
  }

  private dispatch(msg: JsMsg): void {
    const { gate } = this.opts;
    const handle = () => handleMessage(msg, this.opts.handle, this.opts.settle, this.opts.workingEveryMs);
    const run = gate ? () => gate().then(handle, handle) : handle;
    const key = this.opts.orderKey?.(msg);
    const done = key === undefined ? run() : (this.lastOfKey.get(key) ?? Promise.resolve()).then(run);
    if (key !== undefined) this.lastOfKey.set(key, done);
    this.inHand.add(done);
    void done.finally(() => {
      this.inHand.delete(done);
      if (key !== undefined && this.lastOfKey.get(key) === done) this.lastOfKey.delete(key);
    });
  }

  private async watchStatus(messages: ConsumerMessages): Promise<void> {
    for await (const s of messages.status()) {
      if (this.stopping) return;
      if (s.type === "consumer_deleted" || s.type === "consumer_not_found") {
        await this.restart(messages, `durable consumer gone (${s.type}): recreating`);
        return;
      }
    }
  }

  /** Replaces `old` with a fresh pull (re-provisioning the durable first); once per `old`. */
  private async restart(old: ConsumerMessages, why: string): Promise<void> {
    if (this.messages !== old) return; // already being replaced
    this.messages = undefined;
    this.opts.log.warn({ consumer: this.opts.consumer }, why);
    await old.close().catch(() => undefined);
    for (let attempt = 1; !this.stopping; attempt++) {
      try {
        await this.opts.recreate?.();
        await this.start();
        return;
      } catch (err) {
        this.opts.log.warn({ err, attempt }, "could not restart the consumer yet");
        await new Promise((r) => setTimeout(r, Math.min(5_000, 250 * attempt)));
      }
    }
  }
}
