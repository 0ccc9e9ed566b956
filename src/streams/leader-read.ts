/**
 * KV reads answered by a stream's leader: it has every acknowledged write, and it answers as
 * soon as it is elected. A KV `get` on a bucket with direct gets may be answered by a replica
 * that lags, and `kv.keys()` needs a consumer created (see `bucketKeys`).
 */
import type { JetStreamManager } from "@nats-io/jetstream";

/** The revision of the newest write (put, delete or purge) of `key` in `bucket`; 0 if none. */
export async function leaderRevision(jsm: JetStreamManager, bucket: string, key: string): Promise<number> {
  const m = await jsm.streams.getMessage(`KV_${bucket}`, { last_by_subj: `$KV.${bucket}.${key}` });
  return m?.seq ?? 0;
}

/**
 * The keys of `bucket` matching `filter` (KV wildcards), from the stream's subject state: one
 * STREAM.INFO request, answered by the stream's leader (the client pages through many keys).
 * Not `kv.keys()`: that creates an ordered consumer, and after a NATS leader election creating
 * one timed out on ~40 % of tries for 13–16 s after reads and writes worked again (measured on
 * 2.9.10 with a 3-node cluster), so `app list` stayed unavailable long after everything else.
 * A deleted key is listed too (its delete marker is a message): read a key to tell.
 */
export async function bucketKeys(jsm: JetStreamManager, bucket: string, filter = ">"): Promise<string[]> {
  const prefix = `$KV.${bucket}.`;
  const info = await jsm.streams.info(`KV_${bucket}`, { subjects_filter: `${prefix}${filter}` });
  return Object.keys(info.state.subjects ?? {}).map((subject) => subject.slice(prefix.length));
}
