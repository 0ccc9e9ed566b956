/**
 * Creates every stream, consumer and KV bucket of ARCHITECTURE §3, idempotently.
 * Pre-existing resources with compatible settings are used as they are; a stream that exists
 * with other subjects fails start-up with a message that says what to do.
 */
import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  type JetStreamManager,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from "@nats-io/jetstream";
import { type KV, Kvm } from "@nats-io/kv";
import { Objm } from "@nats-io/obj";
import { type NatsConnection, nanos } from "@nats-io/transport-node";
import type { ResourcesConfig } from "../config.js";
import { ConflictError } from "../errors.js";
import type { Logger } from "../log.js";
import { REFUSAL_TTL_MS } from "./refusal-record.js";
import { BUCKETS, CONSUMERS, STREAMS, subjects } from "./subjects.js";
import { retryUnavailable } from "./unavailable.js";

/** A stream nadm needs exists with settings nadm cannot use: start-up stops and says what to do. */
export class IncompatibleResourceError extends ConflictError {
  override name = "IncompatibleResourceError";
}

export interface Buckets {
  manifests: KV;
  hosts: KV;
  /** Host heartbeats (docs/ARCHITECTURE.md, "Liveness"). */
  liveness: KV;
  status: KV;
}

const MiB = 1024 * 1024;

export function streamConfigs(cfg: ResourcesConfig): Array<Partial<StreamConfig> & { name: string }> {
  const common = {
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    num_replicas: cfg.replicas,
    duplicate_window: nanos(cfg.duplicateWindowMs),
    discard: DiscardPolicy.Old,
  };
  return [
    { ...common, name: STREAMS.events, subjects: [subjects.eventsAll], max_age: nanos(cfg.streamMaxAgeMs) },
    {
      ...common,
      name: STREAMS.commands,
      subjects: [subjects.commandsAll],
      max_age: nanos(cfg.streamMaxAgeMs),
    },
    { ...common, name: STREAMS.dlq, subjects: [subjects.dlqAll], max_age: nanos(7 * 24 * 3600 * 1000) },
  ];
}

async function ensureStream(jsm: JetStreamManager, config: Partial<StreamConfig> & { name: string }) {
  try {
    return await ensureStreamOnce(jsm, config);
  } catch (err) {
    if (err instanceof IncompatibleResourceError) throw err;
    // Another replica created it between our lookup and our add (nats-server 2.9 then answers
    // "subjects overlap with an existing stream"): what exists now decides.
    try {
      return await ensureStreamOnce(jsm, config);
    } catch {
      throw err;
    }
  }
}

async function ensureStreamOnce(jsm: JetStreamManager, config: Partial<StreamConfig> & { name: string }) {
  try {
    const info = await jsm.streams.info(config.name);
    const have = [...(info.config.subjects ?? [])].sort().join(",");
    const want = [...(config.subjects ?? [])].sort().join(",");
    if (have !== want) {
      throw new IncompatibleResourceError(
        `stream ${config.name} exists with subjects [${have}], nadm needs [${want}]: ` +
          `delete it (nats stream rm ${config.name}) or point nadm at another server`,
      );
    }
    if (config.max_age !== undefined && info.config.max_age !== config.max_age) {
      return await jsm.streams.update(config.name, { ...info.config, max_age: config.max_age });
    }
    return info;
  } catch (err) {
    if (err instanceof IncompatibleResourceError) throw err;
    if (!isNotFound(err)) throw err;
    return await jsm.streams.add(config);
  }
}

async function ensureConsumer(
  jsm: JetStreamManager,
  stream: string,
  name: string,
  opts: { ackWaitMs: number; maxDeliver: number; maxAckPending: number; backoffMs?: number[] },
) {
  try {
    return await jsm.consumers.info(stream, name);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    // No filter_subject on purpose: 2.9.10's filtered-durable slowdown (docs/ARCHITECTURE.md,
    // “nats-server 2.9 pitfalls”).
    return await jsm.consumers.add(stream, {
      durable_name: name,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(opts.ackWaitMs),
      max_deliver: opts.maxDeliver,
      max_ack_pending: opts.maxAckPending,
      ...(opts.backoffMs ? { backoff: opts.backoffMs.map(nanos) } : {}),
    });
  }
}

export interface ProvisionOptions {
  resources: ResourcesConfig;
  /** Of the dispatch consumer (default 10 s). */
  ackWaitMs?: number;
  /** Of the reconcile consumer (default 2 s): a killed replica's events move on after it. */
  reconcileAckWaitMs?: number;
  commandMaxDeliver?: number;
}

/** What a controller replica uses: the shared buckets plus its own `nadm_refusals`. */
export interface ControllerBuckets extends Buckets {
  refusals: KV;
  scalers: KV;
}

/** Creates (or verifies) everything. Safe to call from every replica at every start. */
export async function provision(nc: NatsConnection, opts: ProvisionOptions): Promise<ControllerBuckets> {
  const jsm = await jetstreamManager(nc);
  for (const config of streamConfigs(opts.resources)) await ensureStream(jsm, config);
  const ackWaitMs = opts.ackWaitMs ?? 10_000;
  const eventsAckWaitMs = opts.reconcileAckWaitMs ?? 2_000;
  await ensureConsumer(jsm, STREAMS.events, CONSUMERS.reconcile, {
    ackWaitMs: eventsAckWaitMs,
    maxDeliver: 20,
    maxAckPending: 1_000,
    backoffMs: [eventsAckWaitMs, 5 * eventsAckWaitMs, 15 * eventsAckWaitMs],
  });
  const commandMaxDeliver = opts.commandMaxDeliver ?? 6;
  await ensureConsumer(jsm, STREAMS.commands, CONSUMERS.dispatch, {
    ackWaitMs,
    maxDeliver: commandMaxDeliver,
    maxAckPending: 1_000,
  });
  const [buckets, refusals, scalers] = await Promise.all([
    openBuckets(nc, opts.resources),
    // Written and read by controllers only; a record not rewritten within the TTL is moot.
    new Kvm(nc).create(BUCKETS.refusals, {
      history: 1,
      replicas: opts.resources.replicas,
      ttl: REFUSAL_TTL_MS,
      maxValueSize: 64 * 1024,
    }),
    openScalersBucket(nc, opts.resources.replicas),
    // The artifact Object Store, replicated like the rest (its stream is OBJ_nadm_artifacts).
    new Objm(nc).create(BUCKETS.artifacts, { replicas: opts.resources.replicas }),
  ]);
  // Only the controller applies changed settings: hosts open the buckets with defaults.
  await ensureHistory(jsm, BUCKETS.status, opts.resources.statusHistory);
  return { ...buckets, refusals, scalers };
}

/** Remote scaler registrations: written by the remote scalers, read by controllers. */
export function openScalersBucket(nc: NatsConnection, replicas = 1): Promise<KV> {
  return new Kvm(nc).create(BUCKETS.scalers, { history: 1, replicas, maxValueSize: 256 * 1024 });
}

/** Opens (creating when missing) the KV buckets that controllers and hosts share. */
export async function openBuckets(nc: NatsConnection, cfg: ResourcesConfig): Promise<Buckets> {
  const kvm = new Kvm(nc);
  const replicas = cfg.replicas;
  const [manifests, hosts, liveness, status] = await Promise.all([
    kvm.create(BUCKETS.manifests, { history: 5, replicas, maxValueSize: 8 * MiB }),
    kvm.create(BUCKETS.hosts, { history: 1, replicas, maxValueSize: 1 * MiB }),
    kvm.create(BUCKETS.liveness, { history: 1, replicas, maxValueSize: 1024 }),
    kvm.create(BUCKETS.status, { history: cfg.statusHistory, replicas, maxValueSize: 1 * MiB }),
  ]);
  return { manifests, hosts, liveness, status };
}

/**
 * `openBuckets`, waiting out a NATS outage (a restart, a leader election) with a warning each
 * time instead of failing: a host started while NATS is down for a moment comes up once it is
 * back. `stopped()` ends the wait (the agent is stopping).
 */
export function openBucketsWhenAvailable(
  nc: NatsConnection,
  cfg: ResourcesConfig,
  log: Logger,
  stopped?: () => boolean,
): Promise<Buckets> {
  return retryUnavailable(() => openBuckets(nc, cfg), {
    what: "NATS JetStream",
    stopped,
    onWait: (reason) => log.warn({ reason }, "cannot open the KV buckets yet: retrying"),
  });
}

/** `create` keeps an existing bucket as it is: a changed history depth is applied here. */
async function ensureHistory(jsm: JetStreamManager, bucket: string, history: number): Promise<void> {
  const { config } = await jsm.streams.info(`KV_${bucket}`);
  if (config.max_msgs_per_subject === history) return;
  await jsm.streams.update(config.name, { ...config, max_msgs_per_subject: history });
}

export function isNotFound(err: unknown): boolean {
  const e = err as { message?: string; code?: number; api_error?: { err_code?: number } };
  const code = e?.api_error?.err_code;
  return code === 10059 || code === 10014 || /not found/i.test(e?.message ?? "");
}
