/**
 * Configuration, resolved once (STYLE §9): command-line flags over environment over defaults,
 * into frozen, validated objects. Nothing else in nadm reads `process.env`.
 */
import { z } from "zod";

export const DEFAULT_NATS_URL = "nats://127.0.0.1:4222";
export const DEFAULT_LATTICE = "default";

export const connectionSchema = z.object({
  natsUrl: z.string().min(1).default(DEFAULT_NATS_URL),
  lattice: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/, "a lattice name is letters, digits, '-' or '_' (≤ 63)")
    .default(DEFAULT_LATTICE),
  creds: z.string().optional(),
  user: z.string().optional(),
  password: z.string().optional(),
  tlsCa: z.string().optional(),
  tlsCert: z.string().optional(),
  tlsKey: z.string().optional(),
  /** Client name shown in the server's connection list. */
  name: z.string().optional(),
});
export type ConnectionConfig = Readonly<z.output<typeof connectionSchema>>;

/** Settings of the NATS resources nadm provisions (ARCHITECTURE §3). */
export const resourcesSchema = z.object({
  /** Stream/KV replicas for clustered NATS. */
  replicas: z.union([z.literal(1), z.literal(3), z.literal(5)]).default(1),
  /** max_age of the event and command streams. */
  streamMaxAgeMs: z
    .number()
    .int()
    .positive()
    .default(60 * 60 * 1000),
  duplicateWindowMs: z
    .number()
    .int()
    .positive()
    .default(2 * 60 * 1000),
  /**
   * Versions kept per app in nadm_manifests: the newest N, plus the deployed and the previous
   * (revert) version. At most 1,000 so an app's index stays far below one NATS message.
   */
  maxVersions: z.number().int().min(1).max(1000).default(100),
  /**
   * Status transitions kept per app in nadm_status (NATS caps KV history at 64): what
   * `app history` can show, so it must cover a whole rollout.
   */
  statusHistory: z.number().int().min(1).max(64).default(64),
});
export type ResourcesConfig = Readonly<z.output<typeof resourcesSchema>>;

export const controllerSchema = z.object({
  tickIntervalMs: z.number().int().min(100).default(1_000),
  resyncIntervalMs: z.number().int().min(1_000).default(30_000),
  /**
   * How long an issued command counts as pending (ARCHITECTURE §2 rule 6). Longer than a
   * command's redelivery after its dispatching replica dies (ack wait, 10 s) plus a slow start,
   * so a replica's crash does not make the others send the same command again.
   */
  inflightTimeoutMs: z.number().int().min(100).default(30_000),
  /**
   * Messages each pull asks the server for (the pull's batch; the client pulls again as they
   * arrive). Not a bound on events in hand: a replica handles each as it arrives, and what
   * bounds them is the durable's `max_ack_pending` (1,000, shared by every replica).
   */
  concurrency: z.number().int().min(1).max(1024).default(64),
  /**
   * Least time between the starts of two reconciles of one app in a replica (coalesce.ts): the
   * host reports that follow a placement, arriving within this of each other, share one run.
   */
  reconcileGapMs: z.number().int().min(0).max(1_000).default(20),
  /** Ack wait of the dispatch consumer: longer than a host's reply may take. */
  ackWaitMs: z.number().int().min(1_000).default(10_000),
  /**
   * Ack wait of the reconcile consumer: how long events a killed replica held wait before
   * another replica gets them (in-progress events are kept alive every half of it).
   */
  reconcileAckWaitMs: z.number().int().min(1_000).default(2_000),
  /** Deliveries of one command before it is declared failed. */
  commandMaxDeliver: z.number().int().min(1).default(6),
  /** How long the dispatcher waits for a host's reply. */
  commandTimeoutMs: z.number().int().min(100).default(5_000),
  /** Wait before retrying a refused or unanswered command; doubled per further attempt. */
  retryBaseMs: z.number().int().min(100).default(1_000),
  /** Upper bound of that wait. */
  retryMaxMs: z.number().int().min(100).default(60_000),
  scalerPaths: z.array(z.string()).default([]),
  /** How long one call of a custom scaler may run before its worker is stopped (`--scaler-deadline`). */
  scalerDeadlineMs: z.number().int().min(1).max(60_000).default(50),
  /** How long a remote scaler may take to answer one call (`--remote-scaler-timeout`). */
  remoteScalerTimeoutMs: z.number().int().min(10).max(60_000).default(1_000),
  httpPort: z.number().int().min(0).max(65535).optional(),
  /** The dashboard's write routes (deploy, undeploy, pause, resume, rollback) answer 403 unless set. */
  dashboardActions: z.boolean().default(false),
});
export type ControllerConfig = Readonly<z.output<typeof controllerSchema>>;

/** Reads the environment variables nadm documents, once. */
export function envDefaults(env: NodeJS.ProcessEnv = process.env): Partial<ConnectionConfig> {
  const out: Record<string, string> = {};
  if (env.NATS_URL) out.natsUrl = env.NATS_URL;
  if (env.NADM_LATTICE) out.lattice = env.NADM_LATTICE;
  if (env.NATS_CREDS) out.creds = env.NATS_CREDS;
  if (env.NATS_USER) out.user = env.NATS_USER;
  if (env.NATS_PASSWORD) out.password = env.NATS_PASSWORD;
  if (env.NATS_TLS_CA) out.tlsCa = env.NATS_TLS_CA;
  if (env.NATS_TLS_CERT) out.tlsCert = env.NATS_TLS_CERT;
  if (env.NATS_TLS_KEY) out.tlsKey = env.NATS_TLS_KEY;
  return out;
}

/** Resource settings from the environment (`NADM_MAX_VERSIONS`); flags override them. */
export function resourcesEnvDefaults(env: NodeJS.ProcessEnv = process.env): Partial<ResourcesConfig> {
  return env.NADM_MAX_VERSIONS ? { maxVersions: Number(env.NADM_MAX_VERSIONS) } : {};
}

/** NADM_LOG_LEVEL (or LOG_LEVEL), when set: it loses to --log-level and beats the config file. */
export function logLevelEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.NADM_LOG_LEVEL || env.LOG_LEVEL || undefined;
}

/** The config file named by NADM_CONFIG (`--config` wins). */
export function configPathFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.NADM_CONFIG || undefined;
}

export function resolve<S extends z.ZodType>(schema: S, input: unknown): Readonly<z.output<S>> {
  return Object.freeze(schema.parse(input));
}
