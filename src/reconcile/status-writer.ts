/**
 * Writes app status to `nadm_status` only when it changed (ignoring `updatedAt`), always by
 * compare-and-set, so the status history holds transitions, not heartbeats.
 */
import { isDeepStrictEqual } from "node:util";
import type { KV, KvEntry } from "@nats-io/kv";
import type { Cached, KvCache } from "../lattice/kv-cache.js";
import { type AppStatus, appStatusSchema } from "../streams/app-status.js";
import {
  type CasDecision,
  type Current,
  casUpdate,
  isWrongLastSequence,
  jsonEncode,
} from "../streams/kv-cas.js";
import { keys } from "../streams/subjects.js";

/**
 * A stored status with what it was computed from: the app generation and the revision of
 * `nadm_hosts` the computing replica's cache had reached (`observedHostsRevision`, kept in the
 * stored value but not in the AppStatus shape, so API replies do not change).
 */
type Stored = { status: AppStatus; hostsRevision: number };

const decodeStored = (entry: KvEntry): Stored => {
  const raw = entry.json<{ observedHostsRevision?: unknown }>();
  const hostsRevision = typeof raw?.observedHostsRevision === "number" ? raw.observedHostsRevision : 0;
  return { status: appStatusSchema.parse(raw), hostsRevision };
};

/**
 * The `nadm_hosts` revision each cached status was computed from, beside the status object the
 * cache holds (its AppStatus shape has no room for it): lets a write compare against the cached
 * entry without reading the key first.
 */
const observedHostsRevision = new WeakMap<AppStatus, number>();

export const decodeAppStatus = (entry: KvEntry): AppStatus => {
  const { status, hostsRevision } = decodeStored(entry);
  observedHostsRevision.set(status, hostsRevision);
  return status;
};

/** Equal but for `updatedAt` (key order does not matter: a value read back from KV has its own). */
export function sameStatus(a: AppStatus | undefined, b: AppStatus | null): boolean {
  if (!a || !b) return !a && !b;
  return isDeepStrictEqual({ ...a, updatedAt: "" }, { ...b, updatedAt: "" });
}

/**
 * Two replicas reconciling one app at once both write a status; without this the later write
 * wins even when it was computed from an older view of the hosts, and a stale "2/3 ready"
 * stays until the next event or resync (the NATS-restart test caught it). So a status computed
 * from an older generation, or the same generation and older host reports, never replaces one
 * computed from newer: revisions of one bucket are comparable across replicas.
 */
function staler(incoming: Stored, current: Stored): boolean {
  const gen = (s: Stored) => s.status.observedGeneration;
  if (gen(incoming) !== gen(current)) return gen(incoming) < gen(current);
  return incoming.hostsRevision < current.hostsRevision;
}

export class StatusWriter {
  constructor(
    private readonly kv: KV,
    private readonly cache: KvCache<AppStatus>,
  ) {}

  /**
   * Returns true when something was written. `null` deletes the status. `hostsRevision`: the
   * revision of `nadm_hosts` the status was computed from (0: unknown, never wins a tie).
   */
  async write(lattice: string, app: string, status: AppStatus | null, hostsRevision = 0): Promise<boolean> {
    const key = keys.status(lattice, app);
    const cached = this.cache.get(key);
    if (sameStatus(cached?.value, status)) return false;
    const decide = (current: Current<Stored> | undefined): CasDecision<Stored> => {
      if (sameStatus(current?.value.status, status)) return { keep: true };
      if (!status) return { delete: true };
      const incoming = { status, hostsRevision };
      if (current && staler(incoming, current.value)) return { keep: true };
      return { put: incoming };
    };
    const fast = await this.writeOnCached(key, cached, decide);
    if (fast !== undefined) return fast;
    const result = await casUpdate(this.kv, key, decodeStored, storedEncode, decide);
    return !("keep" in result.decision);
  }

  /**
   * The common case in one round trip instead of two: decide against this replica's cached copy
   * and write with its revision as the expectation (or create, when the cache has no status).
   * Undefined when that cannot settle it — a delete, or a conflict because the copy is behind —
   * and the caller reads the key and decides again.
   */
  private async writeOnCached(
    key: string,
    cached: Cached<AppStatus> | undefined,
    decide: (current: Current<Stored> | undefined) => CasDecision<Stored>,
  ): Promise<boolean | undefined> {
    const current = cached && {
      value: { status: cached.value, hostsRevision: observedHostsRevision.get(cached.value) ?? 0 },
      revision: cached.revision,
    };
    const decision = decide(current);
    if (!("put" in decision)) return undefined;
    const data = storedEncode(decision.put);
    try {
      if (current) await this.kv.update(key, data, current.revision);
      else await this.kv.create(key, data);
      return true;
    } catch (err) {
      if (isWrongLastSequence(err)) return undefined;
      throw err;
    }
  }
}

function storedEncode(s: Stored): string {
  return jsonEncode({ ...s.status, observedHostsRevision: s.hostsRevision });
}
