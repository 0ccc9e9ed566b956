/**
 * Prometheus metrics of a controller replica (served on --http-port at /metrics).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { Counter, collectDefaultMetrics, Histogram, Registry } from "prom-client";

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "nadm_" });
  return {
    registry,
    eventsSettled: new Counter({
      name: "nadm_events_settled_total",
      help: "Events settled by the reconcile worker, by outcome (ok, retry, error, terminal)",
      labelNames: ["outcome"],
      registers: [registry],
    }),
    commandsPublished: new Counter({
      name: "nadm_commands_published_total",
      help: "Commands published; duplicate=yes when the stream dropped a copy (same Nats-Msg-Id)",
      labelNames: ["duplicate"],
      registers: [registry],
    }),
    commandsDispatched: new Counter({
      name: "nadm_commands_dispatched_total",
      help: "Commands settled by the dispatcher, by outcome",
      labelNames: ["outcome"],
      registers: [registry],
    }),
    reconcileSeconds: new Histogram({
      name: "nadm_reconcile_seconds",
      help: "Time to reconcile one app (plan + publish + status write)",
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
  };
}
export type Metrics = ReturnType<typeof createMetrics>;

/** /metrics for Prometheus, /healthz for liveness probes; `more` may answer anything else (the dashboard). */
export function serveMetrics(
  metrics: Metrics,
  port: number,
  healthy: () => boolean,
  more?: (req: IncomingMessage, res: ServerResponse) => boolean,
): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url === "/metrics") {
      void metrics.registry.metrics().then((body) => {
        res.writeHead(200, { "content-type": metrics.registry.contentType });
        res.end(body);
      });
    } else if (req.url === "/healthz") {
      const okNow = healthy();
      res.writeHead(okNow ? 200 : 503, { "content-type": "text/plain" });
      res.end(okNow ? "ok\n" : "not connected\n");
    } else if (!more?.(req, res)) {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve) => server.listen(port, () => resolve(server)));
}

/** Per metrics registry, so two replicas in one process (tests) count apart. */
const scalerFailureCounters = new WeakMap<Registry, Counter<"scaler" | "kind">>();

/** `nadm_scaler_failures_total{scaler,kind}`: custom scaler calls that threw or ran past their deadline. */
export function scalerFailures(metrics: Metrics): Counter<"scaler" | "kind"> {
  let counter = scalerFailureCounters.get(metrics.registry);
  if (!counter) {
    counter = new Counter({
      name: "nadm_scaler_failures_total",
      help: "Custom scaler calls that failed (threw, ran past the deadline, or its worker died), by scaler",
      labelNames: ["scaler", "kind"],
      registers: [metrics.registry],
    });
    scalerFailureCounters.set(metrics.registry, counter);
  }
  return counter;
}
