/**
 * Writes app status to `nadm_status` only when it changed (ignoring `updatedAt`), always by
 * compare-and-set, so the status history holds transitions, not heartbeats.
 */
import { isDeepStrictEqual } from "node:util";
import type { KV, KvEntry } from "@nats-io/kv";
import type { KvCache } from "../lattice/kv-cache.js";
import { type AppStatus, appStatusSchema } from "../streams/app-status.js";
import { casUpdate, jsonDecoder, jsonEncode } from "../streams/kv-cas.js";
import { keys } from "../streams/subjects.js";

export const decodeAppStatus = jsonDecoder((raw) => appStatusSchema.parse(raw));

/** Equal but for `updatedAt` (key order does not matter: a value read back from KV has its own). */
export function sameStatus(a: AppStatus | undefined, b: AppStatus | null): boolean {
  if (!a || !b) return !a && !b;
  return isDeepStrictEqual({ ...a, updatedAt: "" }, { ...b, updatedAt: "" });
}

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
    if (sameStatus(this.cache.get(key)?.value, status)) return false;
    const result = await casUpdate(this.kv, key, decodeStored, storedEncode, (current) => {
      if (sameStatus(current?.value.status, status)) return { keep: true };
      if (!status) return { delete: true };
      const incoming = { status, hostsRevision };
      if (current && staler(incoming, current.value)) return { keep: true };
      return { put: incoming };
    });
    return !("keep" in result.decision);
  }
}

function storedEncode(s: Stored): string {
  return jsonEncode({ ...s.status, observedHostsRevision: s.hostsRevision });
}
