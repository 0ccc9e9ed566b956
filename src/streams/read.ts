/**
 * Reads what a stream holds on one subject filter, oldest first, with an ephemeral ordered
 * consumer (one filter subject: fine on nats-server 2.9; the slow case of docs/ARCHITECTURE.md’s
 * “nats-server 2.9 pitfalls” is a durable whose filter equals the stream's subjects). For
 * on-demand reads such as `app history`, never for a busy path.
 */
import { DeliverPolicy, type JetStreamClient } from "@nats-io/jetstream";

export interface StoredMessage {
  seq: number;
  /** Server time the message was stored. */
  time: Date;
  data: Uint8Array;
}

export async function readStream(
  js: JetStreamClient,
  stream: string,
  filter: string,
  limit = 10_000,
): Promise<StoredMessage[]> {
  const consumer = await js.consumers.get(stream, {
    filter_subjects: filter,
    deliver_policy: DeliverPolicy.All,
  });
  let pending = (await consumer.info()).num_pending;
  const out: StoredMessage[] = [];
  while (pending > 0 && out.length < limit) {
    const batch = await consumer.fetch({
      max_messages: Math.min(pending, 256, limit - out.length),
      expires: 2_000,
    });
    let got = 0;
    for await (const m of batch) {
      got++;
      out.push({ seq: m.seq, time: m.time, data: m.data });
      pending = m.info.pending;
    }
    if (got === 0) break;
  }
  await consumer.delete().catch(() => undefined);
  return out;
}
