/**
 * The "first-fit" placement rule of the example remote scaler (main.ts serves it over NATS):
 * take the eligible hosts (those matching `requirements`) in hostId order and fill each with up
 * to `perHost` instances until `instances` are placed. Pure and deterministic, so every
 * controller replica that asks gets the same answer.
 */
import { z } from "zod";

export const TYPE = "first-fit";
export const VERSION = "1.0.0";

export const properties = z.strictObject({
  instances: z.number().int().min(0),
  perHost: z.number().int().min(1).default(1),
  requirements: z.record(z.string(), z.string()).default({}),
});

export interface Host {
  hostId: string;
  labels: Record<string, string>;
  instances: number;
}

export function firstFit(p: z.infer<typeof properties>, hosts: Host[]) {
  const eligible = hosts
    .filter((h) => Object.entries(p.requirements).every(([k, v]) => h.labels[k] === v))
    .sort((a, b) => (a.hostId < b.hostId ? -1 : a.hostId > b.hostId ? 1 : 0));
  const placements: Array<{ hostId: string; count: number }> = [];
  let left = p.instances;
  for (const h of eligible) {
    if (left === 0) break;
    const count = Math.min(p.perHost, left);
    placements.push({ hostId: h.hostId, count });
    left -= count;
  }
  const status =
    left === 0
      ? { phase: "ok", message: `${p.instances} on ${placements.length} host(s), up to ${p.perHost} each` }
      : eligible.length === 0
        ? { phase: "waiting", message: "no host matches the requirements" }
        : { phase: "failed", message: `${left} of ${p.instances} do not fit on ${eligible.length} host(s)` };
  return { placements, status };
}
