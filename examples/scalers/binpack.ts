/**
 * Bin-packing scaler: fills the fewest hosts. Each host takes up to `maxPerHost` instances;
 * hosts already running the component are filled first (so placements do not move), then the
 * rest by hostId. Rule: ceil(instances / maxPerHost) hosts are used, each full but the last.
 *
 * In your own project import from "nadm" instead: `import { defineScaler, z } from "nadm";`
 */
import { defineScaler, z } from "../../src/index.js";

export const binpackProperties = z.strictObject({
  instances: z.number().int().min(0),
  maxPerHost: z.number().int().min(1),
  /** Only hosts carrying all these labels are candidates. */
  requirements: z.record(z.string(), z.string()).default({}),
});

export default defineScaler({
  type: "binpackscaler",
  version: "1.0.0",
  properties: binpackProperties,
  desiredTotal: (p) => p.instances,
  reconcile({ properties: p, hosts }) {
    const candidates = hosts
      .filter((h) => Object.entries(p.requirements).every(([k, v]) => h.labels[k] === v))
      .sort((a, b) => b.instances - a.instances || (a.hostId < b.hostId ? -1 : a.hostId > b.hostId ? 1 : 0));
    const placements: Array<{ hostId: string; count: number }> = [];
    let left = p.instances;
    for (const h of candidates) {
      if (left === 0) break;
      const count = Math.min(p.maxPerHost, left);
      placements.push({ hostId: h.hostId, count });
      left -= count;
    }
    if (left > 0) {
      const status = {
        phase: "failed" as const,
        message: `${left} of ${p.instances} do not fit (${candidates.length} hosts × ${p.maxPerHost})`,
      };
      return { placements, status };
    }
    return { placements, status: { phase: "ok", message: `packed on ${placements.length} host(s)` } };
  },
});
