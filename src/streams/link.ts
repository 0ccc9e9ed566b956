/**
 * What a process knows about its NATS connection between connects: whether it is up, and how
 * many times it has gone down (its *epoch*).
 *
 * Why: the NATS client discards whatever it buffered while disconnected when it reconnects
 * (nats-core `prepare()` → `resetOutbound()`). A request (a KV write, a JetStream publish, a
 * host command) sent during an outage, or just before one, is therefore never answered: it
 * waits out its whole timeout (5 s) *after* NATS is back. A host whose record write is stuck
 * like that cannot report, misses heartbeats and is declared lost; a dispatcher naks a command
 * it could have sent again. `LinkState` lets such callers wait for the connection instead of
 * sending into the void, and give up on a request at once when the connection dropped while
 * it was pending (its answer cannot come).
 */
import type { NatsConnection } from "@nats-io/transport-node";

/** A request was pending while the connection dropped: its answer cannot come. Retry it. */
export class RequestLostError extends Error {
  override name = "RequestLostError";
  constructor(what: string) {
    super(`${what}: the NATS connection dropped while waiting for the answer`);
  }
}

type Listener = () => void;

export class LinkState {
  private up = true;
  private drops = 0;
  private readonly onUp: Listener[] = [];
  private readonly onChange = new Set<Listener>();
  private static readonly byConnection = new WeakMap<NatsConnection, LinkState>();

  /** One per connection (a sim fleet's hosts share theirs). */
  static of(nc: NatsConnection): LinkState {
    let link = LinkState.byConnection.get(nc);
    if (!link) {
      link = new LinkState(nc);
      LinkState.byConnection.set(nc, link);
    }
    return link;
  }

  private constructor(nc: NatsConnection) {
    void (async () => {
      for await (const s of nc.status()) {
        if (s.type === "disconnect") this.down();
        else if (s.type === "reconnect") this.reconnected();
      }
    })();
    void nc.closed().then(() => this.down());
  }

  get connected(): boolean {
    return this.up;
  }

  /** Bumped each time the connection drops. */
  get epoch(): number {
    return this.drops;
  }

  /** Resolves once connected (at once when it is), or after `timeoutMs`. */
  whenConnected(timeoutMs = 30_000): Promise<void> {
    if (this.up) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.onUp.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Calls `listener` after every reconnect; returns the unsubscriber. */
  onReconnect(listener: Listener): () => void {
    const wrapped = () => {
      if (this.up) listener();
    };
    this.onChange.add(wrapped);
    return () => this.onChange.delete(wrapped);
  }

  /**
   * `request`'s outcome, unless the connection drops while it is pending: then a
   * RequestLostError at once (the request itself is left to time out unobserved).
   */
  async unlessDropped<T>(what: string, request: Promise<T>): Promise<T> {
    const epoch = this.drops;
    if (!this.up) {
      request.catch(() => undefined);
      throw new RequestLostError(what);
    }
    let unsubscribe = () => {};
    const dropped = new Promise<never>((_, reject) => {
      const check = () => {
        if (this.drops !== epoch) reject(new RequestLostError(what));
      };
      this.onChange.add(check);
      unsubscribe = () => this.onChange.delete(check);
    });
    dropped.catch(() => undefined);
    request.catch(() => undefined);
    try {
      return await Promise.race([request, dropped]);
    } finally {
      unsubscribe();
    }
  }

  private down(): void {
    if (!this.up) return;
    this.up = false;
    this.drops++;
    for (const l of this.onChange) l();
  }

  private reconnected(): void {
    this.up = true;
    for (const resolve of this.onUp.splice(0)) resolve();
    for (const l of this.onChange) l();
  }
}
