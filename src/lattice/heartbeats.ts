/**
 * Host heartbeats into the lattice view. Hosts write a small value to `nadm_liveness` each
 * interval (host/liveness-writer.ts); a replica follows those writes with a *core* subscription
 * to the bucket's subjects rather than a KV watch: every replica must take every heartbeat of
 * the fleet (5,000 hosts at 5 s: 1,000 a second), and a core message costs a replica far less
 * than a JetStream delivery (bench/README.md, M5). A heartbeat counts when it is received, by
 * this replica's clock.
 *
 * A core subscription has no history: at start the replica reads each key's last value once
 * (server time), and heartbeats missed while disconnected are covered by the sweep's rule that
 * silence before a reconnect does not count. A beat lost otherwise (a slow consumer) can only
 * delay a verdict: the sweep confirms every one against the bucket (liveness.ts).
 */
import type { KV } from "@nats-io/kv";
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import type { Logger } from "../log.js";
import { BUCKETS, subjects } from "../streams/subjects.js";
import { KvCache } from "./kv-cache.js";
import type { LatticeView } from "./view.js";

export class HeartbeatFeed {
  private sub: Subscription | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly kv: KV,
    private readonly view: LatticeView,
    private readonly log: Logger,
  ) {}

  /** Subscribes, then reads the bucket's current values; resolves once they are in the view. */
  async start(): Promise<void> {
    const skip = subjects.kvPrefix(BUCKETS.liveness).length;
    const { view, log } = this;
    const subject = subjects.kvWrites(BUCKETS.liveness);
    this.sub = this.nc.subscribe(subject, {
      callback: (err, msg) => {
        if (err) {
          // E.g. a permissions file without this subscription: hosts would all look silent.
          log.error({ err: err.message, subject }, "cannot take host heartbeats");
          return;
        }
        // A delete (the sweep's, or a host's on a graceful stop) has no body.
        if (msg.data.length === 0) return;
        view.beat(msg.subject.slice(skip), msg.string(), Date.now());
      },
    });
    const current = new KvCache(this.kv, (e) => e.string(), this.log);
    try {
      await current.start();
      for (const c of current.values()) this.view.readBeat(c.key, c.value, c.created);
    } finally {
      current.stop();
    }
  }

  stop(): void {
    this.sub?.unsubscribe();
    this.sub = undefined;
  }
}
