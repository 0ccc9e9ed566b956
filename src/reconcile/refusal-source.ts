/**
 * The planner's view of `nadm_refusals` for one lattice, read from this replica's watch-fed
 * cache: each record with the server time of its write (when its backoff started).
 */
import type { ControllerConfig } from "../config.js";
import type { KvCache } from "../lattice/kv-cache.js";
import { REFUSAL_TTL_MS, type RefusalRecord } from "../streams/refusal-record.js";
import { keys } from "../streams/subjects.js";
import type { RefusalSource } from "./refusals.js";

export function refusalSource(
  cache: KvCache<RefusalRecord>,
  lattice: string,
  config: Pick<ControllerConfig, "retryBaseMs" | "retryMaxMs">,
): RefusalSource {
  return {
    get(hostId, workloadKey) {
      const cached = cache.get(keys.refusal(lattice, hostId, workloadKey));
      return cached && { ...cached.value, at: cached.created.getTime() };
    },
    policy: { baseMs: config.retryBaseMs, maxMs: config.retryMaxMs, maxAgeMs: REFUSAL_TTL_MS },
  };
}
