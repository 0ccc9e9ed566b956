/**
 * What the dashboard's server sends its page (JSON over HTTP and server-sent events). The server
 * (Node) and the page (browser) are compiled separately and both import this file, so it imports
 * nothing.
 */

export type Phase = "undeployed" | "waiting" | "reconciling" | "paused" | "deployed" | "failed";

export interface RolloutRow {
  from: string | null;
  to: string;
  /** Workload key of the revision rolled to. */
  key: string;
  readyNew: number;
  availableNew: number;
  available: number;
  /** The `serialBy` value being worked on. */
  active: string | null;
  deadlineAt?: string;
  paused?: boolean;
}

export interface ComponentRow {
  name: string;
  scaler: string | null;
  phase: Phase;
  message: string;
  desired: number;
  running: number;
  ready: number;
  rollout?: RolloutRow;
}

/** One app as the apps view lists it: the stored status joined with the app's index. */
export interface AppRow {
  /** `{lattice}/{name}`: unique across lattices. */
  id: string;
  lattice: string;
  name: string;
  /** Deployed version (null: not deployed). */
  version: string | null;
  previousVersion: string | null;
  paused: boolean;
  phase: Phase;
  message: string;
  ready: number;
  desired: number;
  /** When the status last changed (ISO), or null when no controller has written one yet. */
  updatedAt: string | null;
  components: ComponentRow[];
}

export interface WorkloadRow {
  key: string;
  app: string;
  component: string;
  rev: string;
  desired: number;
  running: number;
  ready: number;
  failed: number;
  restarts: number;
  lastError: string | null;
}

/** `live`: the record is in nadm_hosts; `lost`: swept after missed heartbeats; `stopped`: left gracefully. */
export type HostState = "live" | "lost" | "stopped";

export interface HostRow {
  /** `{lattice}/{hostId}`. */
  id: string;
  lattice: string;
  hostId: string;
  state: HostState;
  labels: Record<string, string>;
  driver: string;
  /** Server time of the host's last record write (ISO). */
  lastSeen: string;
  heartbeatIntervalMs: number;
  /** When the record left nadm_hosts (ISO), for lost and stopped hosts. */
  goneAt?: string;
  workloads: WorkloadRow[];
}

/** One message of the command or event stream, shortened for a live list. */
export interface StreamItem {
  stream: "command" | "event";
  seq: number;
  at: string;
  lattice: string;
  type: string;
  app?: string;
  hostId?: string;
  text: string;
}

export interface Snapshot {
  /** Which replica serves this page (its NATS client name and id). */
  replica: string;
  actions: boolean;
  apps: AppRow[];
  hosts: HostRow[];
  /** The newest stream items, oldest first. */
  stream: StreamItem[];
}

/** A batch of changes: rows to put (by id) and ids to drop. */
export interface Patch {
  apps?: AppRow[];
  appsRemoved?: string[];
  hosts?: HostRow[];
  hostsRemoved?: string[];
  stream?: StreamItem[];
  /** Every status write since the last patch, oldest first (rows carry only the newest). */
  statuses?: StatusChange[];
}

export interface StatusChange {
  /** The app row's id. */
  id: string;
  at: string;
  phase: Phase;
  message: string;
  version: string | null;
}

/** Write routes of the dashboard: each calls the API op of the same name (rollback: deploy the previous version). */
export const ACTIONS = ["deploy", "undeploy", "pause", "resume", "rollback"] as const;
export type Action = (typeof ACTIONS)[number];
