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
  status: "nadm_status",
  /** Object Store: artifact bytes by digest, names as links (see artifacts/store.ts). */
  artifacts: "nadm_artifacts",
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
  command: (lattice: string, hostId: string) => `nadm.cmd.${lattice}.${hostId}`,
  dlq: (lattice: string, kind: string) => `nadm.dlq.${lattice}.${kind}`,
  control: (lattice: string, hostId: string) => `nadm.ctl.${lattice}.${hostId}`,
  api: (lattice: string, op: ApiOp | string) => `nadm.api.${lattice}.app.${op}`,
  apiAll: "nadm.api.*.app.*",
} as const;

/** Parses `nadm.api.{lattice}.app.{op}`; undefined when the subject is not of that shape. */
export function parseApiSubject(subject: string): { lattice: string; op: string } | undefined {
  const parts = subject.split(".");
  if (parts.length !== 5 || parts[0] !== "nadm" || parts[1] !== "api" || parts[3] !== "app") return undefined;
  return { lattice: parts[2]!, op: parts[4]! };
}

export const keys = {
  manifest: (lattice: string, app: string) => `${lattice}.${app}`,
  host: (lattice: string, hostId: string) => `${lattice}.${hostId}`,
  status: (lattice: string, app: string) => `${lattice}.${app}`,
  /** Splits a `{lattice}.{name}` key. */
  parse: (key: string): { lattice: string; name: string } | undefined => {
    const dot = key.indexOf(".");
    if (dot <= 0 || dot === key.length - 1) return undefined;
    return { lattice: key.slice(0, dot), name: key.slice(dot + 1) };
  },
  latticePrefix: (lattice: string) => `${lattice}.>`,
} as const;

/** `{app}.{component}.{rev}`: one component at one spec revision. */
export function workloadKey(app: string, component: string, rev: string): string {
  return `${app}.${component}.${rev}`;
}
