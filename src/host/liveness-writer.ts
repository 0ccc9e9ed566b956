/**
 * Writes one host's heartbeat to KV `nadm_liveness` (`{lattice}.{hostId}`): a few dozen bytes
 * each interval, while the full record in `nadm_hosts` is written only when something in it
 * changed (docs/ARCHITECTURE.md, "Liveness"). Controllers follow these writes on the bucket's
 * subjects with a core subscription, which costs each replica far less per heartbeat than a
 * watch of the full records did.
 *
 * - Every write is compare-and-set against this writer's last revision. The liveness sweep
 *   deletes the key (compare-and-set too) before it deletes the record, so a host that was
 *   declared lost while alive finds out at its next beat: `onSwept` is called (the agent
 *   rewrites its record, which republishes `host_started`), and the beat continues from the
 *   key's current revision.
 * - One write in flight: a beat due while the previous one is still out is skipped (the next
 *   interval's beat carries the newer sequence anyway). A write waits for its answer less than
 *   an interval (`timeoutMs`): while the bucket's stream elects a leader no write is answered,
 *   yet every beat still reaches every replica (a core subscription does not need the stream),
 *   so a beat must not sit out the client's 5 s default and silence the host for that long —
 *   it alone, since the others' beats go through, and mass silence (docs/ARCHITECTURE.md, 50)
 *   would not hold the sweep back from declaring it lost.
 * - A beat sent while NATS is down is not queued: the next one after the reconnect counts.
 */
import type { KV } from "@nats-io/kv";
import { errorMessage } from "../errors.js";
import type { Logger } from "../log.js";
import { isWrongLastSequence } from "../streams/kv-cas.js";
import type { LinkState } from "../streams/link.js";
import { keys } from "../streams/subjects.js";

export interface LivenessWriterOptions {
  kv: KV;
  lattice: string;
  hostId: string;
  logger: Logger;
  /** The key was deleted under us (declared lost while alive): write the record again. */
  onSwept(): void;
  /** How long a write waits for its answer (less than the heartbeat interval). */
  timeoutMs: number;
  link?: LinkState;
}

/** What a heartbeat says: the host's life and its beat count. Compared as text by controllers. */
export function livenessValue(startedAt: string, seq: number): string {
  return JSON.stringify({ startedAt, seq });
}

export class LivenessWriter {
  private revision = 0;
  private inFlight = false;
  private readonly key: string;

  constructor(private readonly opts: LivenessWriterOptions) {
    this.key = keys.host(opts.lattice, opts.hostId);
  }

  /** Writes the beat unless one is still out; never rejects (a failed beat is logged). */
  beat(value: string): void {
    if (this.inFlight) return;
    if (this.opts.link && !this.opts.link.connected) return;
    this.inFlight = true;
    void this.write(value)
      .catch((err: unknown) => {
        this.opts.logger.warn({ err: errorMessage(err), key: this.key }, "heartbeat write failed");
      })
      .finally(() => {
        this.inFlight = false;
      });
  }

  /**
   * Deletes the key (a graceful stop), compare-and-set on our last beat: controllers stop
   * expecting beats. Best effort; if it moved on (swept meanwhile) it is left as it is.
   */
  async remove(): Promise<void> {
    if (this.revision === 0) return; // never beat: nothing of ours to delete
    try {
      await this.opts.kv.delete(this.key, { previousSeq: this.revision });
    } catch (err) {
      if (isWrongLastSequence(err)) return;
      this.opts.logger.warn({ err: errorMessage(err), key: this.key }, "could not delete the heartbeat key");
    }
  }

  private async write(value: string): Promise<void> {
    const { kv } = this.opts;
    for (let attempt = 1; attempt <= 3; attempt++) {
      try {
        // previousSeq 0: the key must not exist (a new host), like kv.create.
        this.revision = await kv.put(this.key, value, {
          previousSeq: this.revision,
          timeout: this.opts.timeoutMs,
        });
        return;
      } catch (err) {
        if (!isWrongLastSequence(err)) throw err;
        // Before our first beat: a previous life's key (take over its revision). After it, a
        // beat of ours whose answer was lost to a reconnect (take over its revision too), or the
        // sweep's delete: we were declared lost while alive, and the record is gone or going.
        const current = await kv.get(this.key);
        const swept = this.revision > 0 && current?.operation !== "PUT";
        this.revision = current?.revision ?? 0;
        if (swept) {
          this.opts.logger.warn({ key: this.key }, "heartbeat key deleted under us: reporting again");
          this.opts.onSwept();
        }
      }
    }
  }
}
