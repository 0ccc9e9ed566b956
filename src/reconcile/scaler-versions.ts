/**
 * Which custom scalers (and versions) each controller replica runs, so a mismatch is seen:
 * replicas plan independently, and two builds of one scaler would flap placements unseen.
 * Each replica keeps its own entry in `nadm_scaler_replicas` (rewritten every period, compare-and-set
 * on its own revision; the bucket's TTL drops a replica that is gone) and reads everyone's; a
 * scaler type whose version differs between live replicas (or that some lack) gets a warning
 * that the planner appends to the status of every component using it.
 */
import { type JetStreamManager, jetstreamManager } from "@nats-io/jetstream";
import { type KV, Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { z } from "zod";
import type { Logger } from "../log.js";
import { casUpdate, jsonDecoder, jsonEncode } from "../streams/kv-cas.js";
import { bucketKeys } from "../streams/leader-read.js";
import { BUCKETS, keys } from "../streams/subjects.js";

export const scalerPresenceSchema = z.object({
  replica: z.string(),
  /** Custom scaler type → version. */
  scalers: z.record(z.string(), z.string()),
  at: z.string(),
});
export type ScalerPresence = z.infer<typeof scalerPresenceSchema>;

/** type → one sentence, for every custom scaler type the live replicas do not agree on. */
export function versionWarnings(records: readonly ScalerPresence[]): Map<string, string> {
  const out = new Map<string, string>();
  if (records.length < 2) return out;
  const types = new Set(records.flatMap((r) => Object.keys(r.scalers)));
  for (const type of [...types].sort()) {
    const byVersion = new Map<string, number>();
    for (const r of records) {
      const v = r.scalers[type] ?? "not loaded";
      byVersion.set(v, (byVersion.get(v) ?? 0) + 1);
    }
    if (byVersion.size < 2) continue;
    const parts = [...byVersion].sort(([a], [b]) => (a < b ? -1 : 1)).map(([v, n]) => `${v} on ${n}`);
    out.set(type, `replicas disagree on scaler ${type}: ${parts.join(", ")}`);
  }
  return out;
}

export class ScalerVersions {
  #warnings: ReadonlyMap<string, string> = new Map();
  #timer: NodeJS.Timeout | undefined;
  #kv: KV | undefined;
  #jsm: JetStreamManager | undefined;

  constructor(
    private readonly opts: {
      nc: NatsConnection;
      replica: string;
      scalers: Record<string, string>;
      periodMs: number;
      replicas: number;
      log: Logger;
    },
  ) {}

  /** The current warnings by scaler type (empty while the replicas agree). */
  get warnings(): ReadonlyMap<string, string> {
    return this.#warnings;
  }

  /** Never fails the replica: without the bucket (e.g. NATS permissions) it retries every period. */
  async start(): Promise<void> {
    await this.#tick();
    this.#timer = setInterval(() => void this.#tick(), this.opts.periodMs);
  }

  async #tick(): Promise<void> {
    try {
      this.#kv ??= await new Kvm(this.opts.nc).create(BUCKETS.scalerReplicas, {
        history: 1,
        replicas: this.opts.replicas,
        ttl: 3 * this.opts.periodMs,
      });
      await this.refresh();
    } catch (err) {
      this.opts.log.warn({ err }, "scaler versions not published (status cannot compare replicas)");
    }
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
  }

  /** Publishes this replica's entry, then reads every live replica's. */
  async refresh(): Promise<void> {
    const kv = this.#kv;
    if (!kv) return;
    const mine: ScalerPresence = {
      replica: this.opts.replica,
      scalers: this.opts.scalers,
      at: new Date().toISOString(),
    };
    const decode = jsonDecoder((raw) => scalerPresenceSchema.parse(raw));
    await casUpdate(kv, keys.scalerReplica(this.opts.replica), decode, jsonEncode, () => ({ put: mine }));
    const records: ScalerPresence[] = [];
    this.#jsm ??= await jetstreamManager(this.opts.nc);
    for (const key of await bucketKeys(this.#jsm, BUCKETS.scalerReplicas)) {
      const e = await kv.get(key);
      const parsed = e?.operation === "PUT" ? scalerPresenceSchema.safeParse(e.json()) : undefined;
      // An entry the TTL has not dropped yet, but older than it: that replica is gone.
      const fresh = parsed?.success && Date.now() - Date.parse(parsed.data.at) < 3 * this.opts.periodMs;
      if (parsed?.success && fresh) records.push(parsed.data);
    }
    const next = versionWarnings(records);
    for (const [type, message] of next)
      if (this.#warnings.get(type) !== message) this.opts.log.warn({ scaler: type }, message);
    this.#warnings = next;
  }
}
