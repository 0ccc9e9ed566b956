/**
 * Pure conversions from what a replica caches (app indexes, stored statuses, host records) and
 * what the streams carry (commands, events) into the rows the dashboard sends its page.
 */
import type { IndexSummary } from "../reconcile/app-cache.js";
import type { AppStatus } from "../streams/app-status.js";
import type { HostRecord } from "../streams/host-record.js";
import { parseSubject } from "../streams/subjects.js";
import type { AppRow, HostRow, HostState, StreamItem } from "./ui/wire.js";

export function rowId(lattice: string, name: string): string {
  return `${lattice}/${name}`;
}

/**
 * An app's row. The stored status is shown once it has observed the index's generation and
 * version; before that (just deployed, undeployed) the row says what the index says, like
 * `app status` does.
 */
export function appRow(
  lattice: string,
  name: string,
  index: IndexSummary | undefined,
  status: AppStatus | undefined,
): AppRow | undefined {
  if (!index) return undefined;
  const base = {
    id: rowId(lattice, name),
    lattice,
    name,
    version: index.deployedVersion,
    previousVersion: index.previousVersion,
    paused: index.paused,
  };
  const deployed = index.deployedVersion !== null;
  const current =
    status &&
    (deployed
      ? status.version === index.deployedVersion && status.observedGeneration >= index.generation
      : status.phase === "undeployed");
  if (status && current) {
    return {
      ...base,
      phase: status.phase,
      message: status.message,
      ready: status.components.reduce((n, c) => n + c.ready, 0),
      desired: status.components.reduce((n, c) => n + c.desired, 0),
      updatedAt: status.updatedAt,
      components: status.components.map(({ hosts: _hosts, ...c }) => c),
    };
  }
  return {
    ...base,
    phase: deployed ? "reconciling" : "undeployed",
    message: deployed
      ? `version ${index.deployedVersion} deployed; waiting for a controller to reconcile it`
      : "not deployed",
    ready: 0,
    desired: 0,
    updatedAt: status?.updatedAt ?? null,
    components: [],
  };
}

export function hostRow(
  lattice: string,
  record: HostRecord,
  seenAt: Date,
  state: HostState = "live",
  goneAt?: Date,
): HostRow {
  return {
    id: rowId(lattice, record.hostId),
    lattice,
    hostId: record.hostId,
    state,
    labels: record.labels,
    driver: record.driver,
    lastSeen: seenAt.toISOString(),
    heartbeatIntervalMs: record.heartbeatIntervalMs,
    ...(goneAt ? { goneAt: goneAt.toISOString() } : {}),
    workloads: Object.entries(record.inventory)
      .map(([key, w]) => ({
        key,
        app: w.app,
        component: w.component,
        rev: w.rev,
        desired: w.desired,
        running: w.running,
        ready: w.ready,
        failed: w.failed,
        restarts: w.restarts,
        lastError: w.lastError,
      }))
      .sort((a, b) => (a.key < b.key ? -1 : 1)),
  };
}

/**
 * Why a host record left `nadm_hosts`. The liveness sweep deletes a record only once it is
 * silent for 3 heartbeats; a host that stops gracefully deletes its own record while it
 * reports. So a record gone more than 2 heartbeats after the host was last seen (`seenAt`: its
 * last heartbeat or record write) was swept: the host was lost.
 */
export function goneState(record: HostRecord, seenAt: Date, goneAt: Date): HostState {
  return goneAt.getTime() - seenAt.getTime() > 2 * record.heartbeatIntervalMs ? "lost" : "stopped";
}

interface CommandLike {
  hostId?: unknown;
  app?: unknown;
  component?: unknown;
  count?: unknown;
  reason?: unknown;
  workload?: { key?: unknown };
  issuedAt?: unknown;
}

/** A command from `nadm.cmd.{lattice}.{hostId}`; undefined when it is not one. */
export function commandItem(
  subject: string,
  seq: number,
  time: Date,
  payload: unknown,
): StreamItem | undefined {
  const parsed = parseSubject(subject);
  if (parsed?.kind !== "cmd" || typeof payload !== "object" || payload === null) return undefined;
  const { lattice, last: hostId } = parsed;
  const c = payload as CommandLike;
  const app = typeof c.app === "string" ? c.app : undefined;
  return {
    stream: "command",
    seq,
    at: time.toISOString(),
    lattice,
    type: "command",
    ...(app ? { app } : {}),
    hostId,
    text: `${hostId}: ${String(c.workload?.key ?? "?")} → ${String(c.count ?? "?")} (${String(c.reason ?? "")})`,
  };
}

/** An event from `nadm.evt.{lattice}.{type}` (a CloudEvent); undefined when it is not one, or a tick. */
export function eventItem(
  subject: string,
  seq: number,
  time: Date,
  payload: unknown,
): StreamItem | undefined {
  const parsed = parseSubject(subject);
  if (
    parsed?.kind !== "evt" ||
    parsed.last === "lattice_tick" ||
    typeof payload !== "object" ||
    payload === null
  ) {
    return undefined;
  }
  const { lattice, last: type } = parsed;
  const data = ((payload as { data?: unknown }).data ?? {}) as Record<string, unknown>;
  const app = typeof data.app === "string" ? data.app : undefined;
  const hostId = typeof data.hostId === "string" ? data.hostId : undefined;
  const fields = Object.entries(data)
    .filter(([k, v]) => k !== "stateRevision" && typeof v !== "object")
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(" ");
  return {
    stream: "event",
    seq,
    at: time.toISOString(),
    lattice,
    type,
    ...(app ? { app } : {}),
    ...(hostId ? { hostId } : {}),
    text: `${type} ${fields}`.trim(),
  };
}
