/**
 * Label-pinned canary: `canary` instances run only on hosts carrying the `pin` labels (one per
 * host, by hostId), the other `instances - canary` only on hosts without them, spread evenly by
 * hostId. Rule: pinned hosts together run exactly `canary`; the others the rest, within one of
 * each other.
 *
 * In your own project import from "nadm" instead: `import { defineScaler, z } from "nadm";`
 */

import type { HostView } from "../../src/index.js";
import { defineScaler, z } from "../../src/index.js";

export const canaryProperties = z
  .strictObject({
    instances: z.number().int().min(0),
    canary: z.number().int().min(0),
    /** Labels a host must carry to take a canary, e.g. { track: canary }. */
    pin: z.record(z.string(), z.string()).refine((r) => Object.keys(r).length > 0, "give at least one label"),
  })
  .refine((p) => p.canary <= p.instances, { message: "canary must not exceed instances", path: ["canary"] });

const byId = (a: HostView, b: HostView) => (a.hostId < b.hostId ? -1 : a.hostId > b.hostId ? 1 : 0);

export default defineScaler({
  type: "canaryscaler",
  version: "1.0.0",
  properties: canaryProperties,
  desiredTotal: (p) => p.instances,
  reconcile({ properties: p, hosts }) {
    const pinned = (h: HostView) => Object.entries(p.pin).every(([k, v]) => h.labels[k] === v);
    const canaries = hosts.filter(pinned).sort(byId).slice(0, p.canary);
    const stable = hosts.filter((h) => !pinned(h)).sort(byId);
    const rest = p.instances - p.canary;
    const placements = [
      ...canaries.map((h) => ({ hostId: h.hostId, count: 1 })),
      ...stable.map((h, i) => ({
        hostId: h.hostId,
        count: Math.floor(rest / stable.length) + (i < rest % stable.length ? 1 : 0),
      })),
    ];
    if (canaries.length < p.canary || (rest > 0 && stable.length === 0)) {
      const message = `${canaries.length}/${p.canary} canary host(s), ${stable.length} stable host(s)`;
      return { placements, status: { phase: "waiting", message } };
    }
    return {
      placements,
      status: {
        phase: "ok",
        message: `${p.canary} canary on ${canaries.map((h) => h.hostId).join(", ") || "none"}`,
      },
    };
  },
});
