/**
 * Writes app status to `nadm_status` only when it changed (ignoring `updatedAt`), always by
 * compare-and-set, so the status history holds transitions, not heartbeats.
 */
import { isDeepStrictEqual } from "node:util";
import type { KV } from "@nats-io/kv";
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

export class StatusWriter {
  constructor(
    private readonly kv: KV,
    private readonly cache: KvCache<AppStatus>,
  ) {}

  /** Returns true when something was written. `null` deletes the status. */
  async write(lattice: string, app: string, status: AppStatus | null): Promise<boolean> {
    const key = keys.status(lattice, app);
    if (sameStatus(this.cache.get(key)?.value, status)) return false;
    const result = await casUpdate(this.kv, key, decodeAppStatus, jsonEncode, (current) => {
      if (sameStatus(current?.value, status)) return { keep: true };
      return status ? { put: status } : { delete: true };
    });
    return !("keep" in result.decision);
  }
}
