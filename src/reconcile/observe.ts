/**
 * What a controller replica tells its probes and scrapes: readiness (connected, consumers
 * bound, caches caught up after a reconnect) and the gauges read from its caches.
 */
import type { NatsConnection } from "@nats-io/transport-node";
import type { KvCache } from "../lattice/kv-cache.js";
import type { LatticeView } from "../lattice/view.js";
import type { Metrics } from "../metrics.js";
import { natsConnected, type ReadinessCheck } from "../probes.js";
import type { AppStatus } from "../streams/app-status.js";
import { keys } from "../streams/subjects.js";
import type { ReconnectResync } from "./reconnect-resync.js";

export function controllerReadiness(parts: {
  nc: NatsConnection;
  workers: Record<string, { readonly bound: boolean }>;
  afterReconnect: ReconnectResync;
}): ReadinessCheck[] {
  return [
    natsConnected(parts.nc),
    () => {
      const unbound = Object.entries(parts.workers).filter(([, w]) => !w.bound);
      return unbound.length === 0 ? undefined : `consumer not bound: ${unbound.map(([n]) => n).join(", ")}`;
    },
    () => (parts.afterReconnect.isCatchingUp ? "caches catching up after a reconnect" : undefined),
  ];
}

/** `nadm_apps{lattice,phase}` and `nadm_hosts{lattice}` from this replica's caches, at scrape time. */
export function fillControllerGauges(m: Metrics, view: LatticeView, statuses: KvCache<AppStatus>): void {
  m.apps.add((gauge) => {
    for (const { key, value } of statuses.values()) {
      const lattice = keys.parse(key)?.lattice ?? "unknown";
      gauge.inc({ lattice, phase: value.phase });
    }
  });
  m.hosts.add((gauge) => {
    for (const lattice of view.lattices()) gauge.set({ lattice }, view.hosts(lattice).length);
  });
}
