/**
 * The one place that builds every NATS subject, stream, consumer, bucket name and KV key
 * (ARCHITECTURE §3–§5, §9). Everything else asks here; nothing concatenates subjects by hand.
 */

export const STREAMS = {
  events: "nadm_events",
  commands: "nadm_commands",
  dlq: "nadm_dlq",
} as const;

export const CONSUMERS = {
  reconcile: "nadm-reconcile",
  dispatch: "nadm-dispatch",
} as const;

export const BUCKETS = {
  manifests: "nadm_manifests",
  hosts: "nadm_hosts",
  /** Host heartbeats, `{lattice}.{hostId}` → `{startedAt, seq}`; the record is in `hosts`. */
  liveness: "nadm_liveness",
  status: "nadm_status",
  /** Commands a host refused or never answered, per host and workload (docs/ARCHITECTURE.md). */
  refusals: "nadm_refusals",
  /** Object Store: artifact bytes by digest, names as links (see artifacts/store.ts). */
  artifacts: "nadm_artifacts",
  /** Remote scaler registrations: `{lattice}.{type}` → type, version, properties JSON Schema. */
  /** Per controller replica, the custom scalers and versions it runs; entries expire (TTL). */
  scalerReplicas: "nadm_scaler_replicas",
  scalers: "nadm_scalers",
} as const;

export const API_QUEUE_GROUP = "nadm-api";

/** Lattice, app, host and component names: one subject token, DNS-label-like. */
const TOKEN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;

export function isToken(value: string): boolean {
  return TOKEN.test(value);
}

export const EVENT_TYPES = [
  "host_started",
  "host_stopped",
  "host_lost",
  "workload_scaled",
  "workload_failed",
  "app_put",
  "app_deployed",
  "app_undeployed",
  "app_deleted",
  "lattice_tick",
  "command_failed",
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const API_OPS = [
  "put",
  "get",
  "list",
  "versions",
  "delete",
  "deploy",
  "undeploy",
  "status",
  "history",
  "plan",
  "validate",
  "pause",
  "resume",
  "endpoints",
] as const;
export type ApiOp = (typeof API_OPS)[number];

export const subjects = {
  eventsAll: "nadm.evt.>",
  commandsAll: "nadm.cmd.>",
  dlqAll: "nadm.dlq.>",
  event: (lattice: string, type: EventType) => `nadm.evt.${lattice}.${type}`,
  eventsOf: (lattice: string) => `nadm.evt.${lattice}.*`,
  command: (lattice: string, hostId: string) => `nadm.cmd.${lattice}.${hostId}`,
  commandsOf: (lattice: string) => `nadm.cmd.${lattice}.*`,
  dlq: (lattice: string, kind: string) => `nadm.dlq.${lattice}.${kind}`,
  control: (lattice: string, hostId: string) => `nadm.ctl.${lattice}.${hostId}`,
  api: (lattice: string, op: ApiOp | string) => `nadm.api.${lattice}.app.${op}`,
  apiAll: "nadm.api.*.app.*",
  /** Where a remote scaler of trait `type` answers `ScalerInput` → `ScalerResult`. */
  scaler: (lattice: string, type: string) => `nadm.scaler.${lattice}.${type}`,
  /** What precedes the key in the subject of a write to KV bucket `bucket`. */
  kvPrefix: (bucket: string) => `$KV.${bucket}.`,
  /** Every write to KV bucket `bucket` (a core subscription sees each put and delete). */
  kvWrites: (bucket: string) => `$KV.${bucket}.>`,
} as const;

/** Parses `nadm.api.{lattice}.app.{op}`; undefined when the subject is not of that shape. */
export function parseApiSubject(subject: string): { lattice: string; op: string } | undefined {
  const parts = subject.split(".");
  if (parts.length !== 5 || parts[0] !== "nadm" || parts[1] !== "api" || parts[3] !== "app") return undefined;
  return { lattice: parts[2]!, op: parts[4]! };
}

/**
 * The parts of a subject under `nadm.{kind}.{lattice}.{last}` (events, commands, DLQ, control):
 * `last` is the event type, the hostId or the DLQ kind. Undefined for any other shape.
 */
export function parseSubject(
  subject: string,
): { kind: "evt" | "cmd" | "dlq" | "ctl"; lattice: string; last: string } | undefined {
  const parts = subject.split(".");
  const [prefix, kind, lattice, last] = parts;
  if (parts.length !== 4 || prefix !== "nadm" || !lattice || !last) return undefined;
  if (kind !== "evt" && kind !== "cmd" && kind !== "dlq" && kind !== "ctl") return undefined;
  return { kind, lattice, last };
}

/**
 * Every deterministic `Nats-Msg-Id` but a command's (a hash: `commandId` in streams/commands.ts):
 * whoever sends the same fact again computes the same id, and the stream's duplicate window
 * keeps one copy (ARCHITECTURE §2, §4, §12).
 */
export const dedupeIds = {
  /** One tick per lattice and period, whatever the number of replicas. */
  tick: (lattice: string, period: number) => `tick:${lattice}:${period}`,
  /** An auto-revert of `app` away from version `from`: two replicas deciding it revert once. */
  revert: (lattice: string, app: string, from: string) => `revert:${lattice}:${app}:${from}`,
  /** An `app_*` event of the manifests write at `stateRevision`. */
  appEvent: (type: EventType, lattice: string, app: string, stateRevision: number) =>
    `${type}:${lattice}:${app}:${stateRevision}`,
  /** The liveness sweep's delete of the record at `revision`. */
  hostLost: (lattice: string, hostId: string, revision: number) =>
    `host_lost:${lattice}:${hostId}:${revision}`,
  /** Event `index` of a host record write (`life`: this run of the agent), kept across retries. */
  hostEvent: (recordKey: string, life: string, revision: number, index: number) =>
    `host:${recordKey}:${life}:${revision}:${index}`,
  /** The `command_failed` event of one command. */
  commandFailed: (commandId: string) => `command_failed:${commandId}`,
  /** The DLQ copy of message `seq` of `stream`. */
  dlq: (stream: string, seq: number) => `dlq:${stream}:${seq}`,
} as const;

export const keys = {
  /** The app's index in `nadm_manifests` (versions, deployed and previous version, generation). */
  manifest: (lattice: string, app: string) => `${lattice}.${app}`,
  /** One stored manifest version in `nadm_manifests`: four tokens, never mistaken for an index. */
  manifestVersion: (lattice: string, app: string, version: string) =>
    `${lattice}.${app}.v.${encodeKeyToken(version)}`,
  /** Every version key of one app. */
  manifestVersions: (lattice: string, app: string) => `${lattice}.${app}.v.>`,
  /** Index keys only (two tokens): of one lattice, or of all lattices. */
  appIndexes: (lattice?: string) => `${lattice ?? "*"}.*`,
  host: (lattice: string, hostId: string) => `${lattice}.${hostId}`,
  status: (lattice: string, app: string) => `${lattice}.${app}`,
  /** `{lattice}.{hostId}.{app}.{component}.{rev}`: the last failed command of a workload on a host. */
  refusal: (lattice: string, hostId: string, workloadKey: string) => `${lattice}.${hostId}.${workloadKey}`,
  /** Splits a two-token `{lattice}.{name}` key; anything else (e.g. a version key) is undefined. */
  parse: (key: string): { lattice: string; name: string } | undefined => {
    const parts = key.split(".");
    if (parts.length !== 2 || !parts[0] || !parts[1]) return undefined;
    return { lattice: parts[0], name: parts[1] };
  },
  /**
   * The name of a two-token key `{lattice}.{name}` of `lattice`, else undefined: `parse` for one
   * lattice without allocating, for scans of every app of a replica's caches on each tick.
   */
  nameIn: (key: string, lattice: string): string | undefined => {
    const at = lattice.length;
    // The key's only dot right after the lattice, with something on both sides (as parse asks).
    if (at === 0 || key.length <= at + 1 || key.indexOf(".") !== at || key.lastIndexOf(".") !== at)
      return undefined;
    return key.startsWith(lattice) ? key.slice(at + 1) : undefined;
  },
  latticePrefix: (lattice: string) => `${lattice}.>`,
  /** A remote scaler's registration in `nadm_scalers`. */
  scaler: (lattice: string, type: string) => `${lattice}.${type}`,
  /** A controller replica's entry in `nadm_scaler_replicas`. */
  scalerReplica: (replicaId: string) => replicaId,
} as const;

const KEY_SAFE = /[A-Za-z0-9_-]/;

/**
 * Makes any string one KV key token: letters, digits, `_` and `-` stay; every other UTF-8 byte
 * (`.`, `/`, `=`, `+`, non-ASCII...) becomes `=XX`. Reversible, so distinct versions never share
 * a key, and `.` can never add a token.
 */
export function encodeKeyToken(value: string): string {
  let out = "";
  for (const ch of value) {
    if (KEY_SAFE.test(ch)) out += ch;
    else
      for (const byte of Buffer.from(ch, "utf8"))
        out += `=${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

export function decodeKeyToken(token: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < token.length; i++) {
    if (token[i] === "=") {
      bytes.push(Number.parseInt(token.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(token.charCodeAt(i));
  }
  return Buffer.from(bytes).toString("utf8");
}

/** `{app}.{component}.{rev}`: one component at one spec revision. */
export function workloadKey(app: string, component: string, rev: string): string {
  return `${app}.${component}.${rev}`;
}

/** The parts of a `workloadKey`; undefined when `key` is not three non-empty tokens. */
export function parseWorkloadKey(key: string): { app: string; component: string; rev: string } | undefined {
  const [app, component, rev, ...rest] = key.split(".");
  if (!app || !component || !rev || rest.length > 0) return undefined;
  return { app, component, rev };
}
