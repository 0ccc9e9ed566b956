/**
 * What host agents tell their probes and scrapes: readiness (connected, started, record
 * written) and the instance gauges read from their inventories at scrape time.
 */
import type { NatsConnection } from "@nats-io/transport-node";
import type { GaugeSource, HostMetrics } from "../metrics.js";
import { natsConnected, type ReadinessCheck } from "../probes.js";
import type { HostAgent } from "./agent.js";

const STATES = ["desired", "running", "ready", "failed"] as const;

export function hostReadiness(nc: NatsConnection, agents: () => Iterable<HostAgent>): ReadinessCheck[] {
  return [natsConnected(nc), agentsReady(agents)];
}

/** Every agent started and its record written. */
export function agentsReady(agents: () => Iterable<HostAgent>): ReadinessCheck {
  return () => {
    const reasons = [...agents()].flatMap((a) => a.notReady ?? []);
    return reasons.length === 0 ? undefined : reasons.join("; ");
  };
}

/** Adds `agent`'s inventory to the instance gauges; returns the undo (for stop). */
export function trackInstances(m: HostMetrics, agent: HostAgent): () => void {
  const instances: GaugeSource = (gauge) => {
    for (const [workload, inv] of Object.entries(agent.inventory())) {
      for (const state of STATES) gauge.set({ host: agent.hostId, workload, state }, inv[state]);
    }
  };
  const restarts: GaugeSource = (gauge) => {
    for (const [workload, inv] of Object.entries(agent.inventory())) {
      gauge.set({ host: agent.hostId, workload }, inv.restarts);
    }
  };
  m.instances.add(instances);
  m.restarts.add(restarts);
  return () => {
    m.instances.delete(instances);
    m.restarts.delete(restarts);
  };
}
