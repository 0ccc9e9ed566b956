/**
 * A refusal record in KV `nadm_refusals` at `{lattice}.{hostId}.{workloadKey}`: the last command
 * for that workload on that host that failed — refused by the host, or never answered after
 * every delivery. Written by the dispatcher that saw the failure (compare-and-set), deleted when
 * a later command for the same workload on that host succeeds, expired by the bucket's TTL
 * otherwise. Every replica reads the same record, so every replica tells the same status and
 * computes the same next attempt.
 */
import type { KvEntry } from "@nats-io/kv";
import { z } from "zod";

export const REFUSAL_KINDS = ["refused", "unanswered"] as const;
export type RefusalKind = (typeof REFUSAL_KINDS)[number];

export const refusalRecordSchema = z.object({
  hostId: z.string(),
  app: z.string(),
  component: z.string(),
  workloadKey: z.string(),
  /** The count the failed command ordered. */
  count: z.number().int().min(0),
  commandId: z.string(),
  /** 1 for the first command of a chain, n + 1 for the retry after attempt n failed. */
  attempt: z.number().int().min(1),
  kind: z.enum(REFUSAL_KINDS),
  /** The host's own words (`refused`), or how often delivery was tried (`unanswered`). */
  reason: z.string(),
  /** The app generation the command was planned for; null when the command did not say. */
  generation: z.number().int().min(0).nullable(),
  /** `startedAt` of the host record when it failed: a restarted host gets a fresh attempt. */
  hostStartedAt: z.string().nullable(),
});
export type RefusalRecord = z.infer<typeof refusalRecordSchema>;

export function decodeRefusal(entry: KvEntry): RefusalRecord {
  return refusalRecordSchema.parse(entry.json());
}

/** How long a refusal record lives without being rewritten (the bucket's TTL). */
export const REFUSAL_TTL_MS = 60 * 60 * 1000;
