/**
 * `nadm host --http-port N`: /livez, /readyz and /metrics of a host agent (or a sim fleet).
 */
import type { NatsConnection } from "@nats-io/transport-node";
import type { HostAgent } from "../host/agent.js";
import { hostReadiness, trackInstances } from "../host/observe.js";
import type { HostMetrics } from "../metrics.js";
import { closeServer, countReconnects, serveProbes } from "../probes.js";

export async function serveHostProbes(opts: {
  port: number;
  nc: NatsConnection;
  metrics: HostMetrics;
  agents: readonly HostAgent[];
}): Promise<{ stop(): void }> {
  const { metrics, agents } = opts;
  if (metrics.natsReconnects) countReconnects(opts.nc, metrics.natsReconnects);
  metrics.natsConnections?.add(opts.nc);
  const untrack = agents.map((a) => trackInstances(metrics, a));
  const server = await serveProbes({
    port: opts.port,
    registry: metrics.registry,
    readiness: hostReadiness(opts.nc, () => agents),
  });
  return {
    stop: () => {
      for (const u of untrack) u();
      closeServer(server);
    },
  };
}
