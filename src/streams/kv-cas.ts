/**
 * Compare-and-set on a KV key with bounded retries (STYLE §8): every KV write in nadm goes
 * through here or through `kv.update`/`kv.create` with an expected revision.
 */
import type { JetStreamClient } from "@nats-io/jetstream";
import type { KV, KvEntry } from "@nats-io/kv";
import { Empty, headers } from "@nats-io/transport-node";
import { ConflictError } from "../errors.js";
import { subjects } from "./subjects.js";

export const WRONG_LAST_SEQUENCE = 10071;

export function isWrongLastSequence(err: unknown): boolean {
  const e = err as { code?: number; message?: string };
  return e?.code === WRONG_LAST_SEQUENCE || /wrong last sequence|key exists/i.test(e?.message ?? "");
}

export interface Current<T> {
  value: T;
  revision: number;
}

/** What a mutation wants done: write this value, delete the key, or leave it as it is. */
export type CasDecision<T> = { put: T } | { delete: true } | { keep: true };

export interface CasResult<T> {
  /** Revision after the write (or the revision read, for `keep`). 0 when the key is absent. */
  revision: number;
  decision: CasDecision<T>;
  /** The value the decision was made on (undefined: the key was absent). */
  current: Current<T> | undefined;
}

function currentOf<T>(entry: KvEntry | null, decode: (e: KvEntry) => T): Current<T> | undefined {
  if (entry?.operation !== "PUT") return undefined;
  return { value: decode(entry), revision: entry.revision };
}

export interface CasOptions {
  /** Attempts before giving up with a ConflictError (default 64). */
  maxAttempts?: number;
  /**
   * The key as the caller has just read it (`null`: absent). The first attempt decides and
   * writes against it instead of reading the key again; if it is stale, that write conflicts and
   * the next attempt reads afresh, so a seed costs at most one round trip and saves one.
   */
  read?: KvEntry | null;
}

/**
 * Reads the key, asks `mutate` what to do, and writes with the read revision as expectation.
 * On a concurrent write, reads again and asks again (up to `maxAttempts`). `mutate` must be
 * pure with respect to its input: it may run several times.
 */
export async function casUpdate<T>(
  kv: KV,
  key: string,
  decode: (entry: KvEntry) => T,
  encode: (value: T) => string | Uint8Array,
  mutate: (current: Current<T> | undefined) => CasDecision<T>,
  opts: CasOptions = {},
): Promise<CasResult<T>> {
  const maxAttempts = opts.maxAttempts ?? 64;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const entry = attempt === 1 && opts.read !== undefined ? opts.read : await kv.get(key);
    const current = currentOf(entry, decode);
    const decision = mutate(current);
    try {
      if ("keep" in decision) return { revision: current?.revision ?? 0, decision, current };
      if ("delete" in decision) {
        if (!current) return { revision: 0, decision, current };
        await kv.delete(key, { previousSeq: current.revision });
        // delete() does not return the tombstone's revision; read it back for fencing.
        const tombstone = await kv.get(key);
        return { revision: tombstone?.revision ?? 0, decision, current };
      }
      const data = encode(decision.put);
      const revision = current
        ? await kv.update(key, data, current.revision)
        : entry
          ? await kv.update(key, data, entry.revision) // key was deleted: its tombstone is the last revision
          : await kv.create(key, data);
      return { revision, decision, current };
    } catch (err) {
      if (!isWrongLastSequence(err)) throw err;
      // Someone else wrote between our read and our write: back off a little and retry.
      await new Promise((r) => setTimeout(r, Math.min(50, attempt * 2) * Math.random()));
    }
  }
  throw new ConflictError(`too many concurrent writes to ${key}; try again`);
}

export function jsonDecoder<T>(parse: (raw: unknown) => T): (entry: KvEntry) => T {
  return (entry) => parse(entry.json());
}

export function jsonEncode(value: unknown): string {
  return JSON.stringify(value);
}

/** The KV protocol's header that marks a write as a delete (ADR-8; `kvOperationHdr` in nats.js). */
const KV_OPERATION = "KV-Operation";

/**
 * `kv.delete(key, { previousSeq })`, written as nats.js writes it (a publish to the key's subject
 * with `KV-Operation: DEL` and the expected last revision), but returning the tombstone's
 * revision, which `kv.delete` discards: a caller that must announce the delete with its revision
 * would otherwise read the key back, one more round trip. Throws a wrong-last-sequence error
 * (`isWrongLastSequence`) when the key has moved on.
 */
export async function deleteAt(
  js: JetStreamClient,
  bucket: string,
  key: string,
  previousSeq: number,
): Promise<number> {
  const h = headers();
  h.set(KV_OPERATION, "DEL");
  const ack = await js.publish(`${subjects.kvPrefix(bucket)}${key}`, Empty, {
    headers: h,
    expect: { lastSubjectSequence: previousSeq },
  });
  return ack.seq;
}
