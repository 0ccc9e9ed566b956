/**
 * Prometheus series of nadm's long-running processes (served on --http-port at /metrics by
 * src/probes.ts). The names are a contract: docs/operations.md lists them and the Grafana
 * dashboard in deploy/ is built from them (a test checks that every name it uses exists).
 */
import { constants, PerformanceObserver } from "node:perf_hooks";
import type { JsMsg } from "@nats-io/jetstream";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { CONSUMERS } from "./streams/subjects.js";

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 2.5, 5];

/** Something with a NATS client's traffic counters (a `NatsConnection`). */
export interface TrafficSource {
  stats(): { inMsgs: number; outMsgs: number; inBytes: number; outBytes: number };
}

/**
 * A counter read at scrape time from the NATS connections in `sources` (their `stats()`), by
 * direction: messages or bytes this process received (`in`) and sent (`out`). Nothing to count
 * on the hot path: the client keeps these numbers anyway.
 */
function natsTraffic(
  registry: Registry,
  sources: Set<TrafficSource>,
  name: string,
  help: string,
  unit: "Msgs" | "Bytes",
) {
  const counter: Counter<"direction"> = new Counter({
    name,
    help,
    labelNames: ["direction"],
    registers: [registry],
    collect() {
      let [received, sent] = [0, 0];
      for (const s of sources) {
        const stats = s.stats();
        received += stats[`in${unit}`];
        sent += stats[`out${unit}`];
      }
      counter.reset();
      counter.inc({ direction: "in" }, received);
      counter.inc({ direction: "out" }, sent);
    },
  });
}

const GC_KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MAJOR]: "major",
  [constants.NODE_PERFORMANCE_GC_MINOR]: "minor",
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: "incremental",
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: "weakcb",
};

/**
 * `nadm_nodejs_gc_duration_seconds`, the series prom-client's default collector names, with
 * every collection observed. Node hands a PerformanceObserver its entries in batches, and a busy
 * process gets several collections per batch; prom-client 15.1 observes only the first entry
 * of each (`list.getEntries()[0]`), so under load it missed most scavenges (12 counted in a
 * replica's drain of 5,000 events, where a run counting every entry had 55: bench/README.md,
 * M6). Its histogram is replaced by this one; its observer still runs, into nothing registered.
 */
function gcDurations(registry: Registry, name: string) {
  registry.removeSingleMetric(name);
  const histogram = new Histogram({
    name,
    help: "Garbage collection duration by kind, one of major, minor, incremental or weakcb (every collection)",
    labelNames: ["kind"],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 1, 2, 5],
    registers: [registry],
  });
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const { detail } = entry as { detail?: { kind?: number } | null };
      const kind = GC_KINDS[detail?.kind ?? -1] ?? "other";
      histogram.observe({ kind }, entry.duration / 1000);
    }
  }).observe({ entryTypes: ["gc"] });
}

/**
 * Series every process has: Node's own (prefixed `nadm_`), NATS reconnects and NATS traffic.
 * The owner of a connection adds it to `natsConnections` (kept until the process ends, so the
 * counters never go back).
 */
function processSeries(registry: Registry) {
  // The event-loop-lag histogram samples at 100 ms, not prom-client's default 10 ms: at 10 ms
  // the timer alone keeps an idle process at ~0.4 % of a core (measured: a bare Node process,
  // 15 CPU ticks in 40 s), which every host agent and controller replica would pay forever.
  // A stall is still recorded when it overlaps a sample; with samples 100 ms apart, stalls much
  // shorter than that are caught less often.
  collectDefaultMetrics({ register: registry, prefix: "nadm_", eventLoopMonitoringPrecision: 100 });
  gcDurations(registry, "nadm_nodejs_gc_duration_seconds");
  const natsConnections = new Set<TrafficSource>();
  natsTraffic(
    registry,
    natsConnections,
    "nadm_nats_messages_total",
    "NATS messages this process received (direction=in) and sent (out), from its client's counters",
    "Msgs",
  );
  natsTraffic(
    registry,
    natsConnections,
    "nadm_nats_bytes_total",
    "Bytes of NATS messages (headers and payload) this process received (direction=in) and sent (out), from its client's counters",
    "Bytes",
  );
  return {
    natsConnections,
    natsReconnects: new Counter({
      name: "nadm_nats_reconnects_total",
      help: "Times this process's NATS connection came back after a disconnect",
      registers: [registry],
    }),
  };
}

/** Fills a gauge from in-memory state at scrape time. */
export type GaugeSource = (gauge: Gauge) => void;

/**
 * A gauge read from in-memory state at scrape time (the controller's caches, each host's
 * inventory): nothing to keep in step on the hot path. Owners of that state add a source.
 */
function scrapedGauge(registry: Registry, name: string, help: string, labelNames: string[]) {
  const sources = new Set<GaugeSource>();
  const gauge: Gauge = new Gauge({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      gauge.reset();
      for (const fill of sources) fill(gauge);
    },
  });
  return sources;
}

export function createMetrics(registry = new Registry()) {
  const metrics = {
    registry,
    ...processSeries(registry),
    eventsSettled: new Counter({
      name: "nadm_events_settled_total",
      help: "Events settled by the reconcile worker, by outcome (ok, retry, error, terminal)",
      labelNames: ["outcome"],
      registers: [registry],
    }),
    events: new Counter({
      name: "nadm_events_total",
      help: "Events settled by the reconcile worker, by event type and outcome",
      labelNames: ["type", "outcome"],
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
    dispatchSeconds: new Histogram({
      name: "nadm_dispatch_seconds",
      help: "Time from sending a command to its host until the reply (or the give-up), by result",
      labelNames: ["result"],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    dlq: new Counter({
      name: "nadm_dlq_total",
      help: "Messages copied to the dead-letter stream by this replica, by kind (event, command)",
      labelNames: ["kind"],
      registers: [registry],
    }),
    reconcileSeconds: new Histogram({
      name: "nadm_reconcile_seconds",
      help: "Time to reconcile one app (plan + publish + status write)",
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
    apps: scrapedGauge(
      registry,
      "nadm_apps",
      "Apps by lattice and status phase, as this replica's status cache holds them",
      ["lattice", "phase"],
    ),
    hosts: scrapedGauge(
      registry,
      "nadm_hosts",
      "Live hosts by lattice, as this replica's host cache holds them",
      ["lattice"],
    ),
    consumerPending: new Gauge({
      name: "nadm_consumer_pending",
      help: "Messages left in a durable consumer's backlog, read from the last delivered message",
      labelNames: ["consumer"],
      registers: [registry],
    }),
    consumerRedelivered: new Counter({
      name: "nadm_consumer_redelivered_total",
      help: "Messages this replica received for at least the second time, by durable consumer",
      labelNames: ["consumer"],
      registers: [registry],
    }),
  };
  // Known label values start at 0, so a dashboard shows 0 rather than "no data".
  for (const kind of ["event", "command"]) metrics.dlq.inc({ kind }, 0);
  for (const consumer of Object.values(CONSUMERS)) metrics.consumerRedelivered.inc({ consumer }, 0);
  return metrics;
}
export type Metrics = ReturnType<typeof createMetrics>;

/**
 * Backlog and redeliveries of a durable, read from each delivered message's metadata: polling
 * consumer info slows a 2.9.10 server down (docs/ARCHITECTURE.md, “nats-server 2.9 pitfalls”),
 * a message we receive anyway is free.
 */
export function observeConsumer(m: Metrics, consumer: string): (msg: JsMsg) => void {
  return (msg) => {
    m.consumerPending.set({ consumer }, msg.info.pending);
    if (msg.info.redelivered) m.consumerRedelivered.inc({ consumer });
  };
}

/** Counts a settled event by its type (`nadm.evt.{lattice}.{type}`) and outcome; terminal ones went to the DLQ. */
export function countSettledEvent(m: Metrics): (outcome: string, msg: JsMsg) => void {
  return (outcome, msg) => {
    m.eventsSettled.inc({ outcome });
    m.events.inc({ type: msg.subject.split(".")[3] ?? "unknown", outcome });
    if (outcome === "terminal") m.dlq.inc({ kind: "event" });
  };
}

/** Counts a settled command by outcome; terminal ones went to the DLQ. */
export function countSettledCommand(m: Metrics): (outcome: string) => void {
  return (outcome) => {
    m.commandsDispatched.inc({ outcome });
    if (outcome === "terminal") m.dlq.inc({ kind: "command" });
  };
}

/** A host agent's series; `nadm up` puts them in the controller's registry. */
export function createHostMetrics(registry = new Registry(), withProcessSeries = true) {
  return {
    registry,
    ...(withProcessSeries ? processSeries(registry) : {}),
    instances: scrapedGauge(
      registry,
      "nadm_host_instances",
      "Instances on this host by workload and state (desired, running, ready, failed)",
      ["host", "workload", "state"],
    ),
    restarts: scrapedGauge(
      registry,
      "nadm_host_instance_restarts",
      "Restarts of a workload's instances since it started on this host",
      ["host", "workload"],
    ),
    commandSeconds: new Histogram({
      name: "nadm_host_command_seconds",
      help: "Time for the host to apply one command (converge + record write), by result",
      labelNames: ["result"],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    recordWrites: new Counter({
      name: "nadm_host_record_writes_total",
      help: "Writes of this host's record to nadm_hosts",
      labelNames: ["host"],
      registers: [registry],
    }),
  };
}
export type HostMetrics = ReturnType<typeof createHostMetrics>;

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

const resyncSkipCounters = new WeakMap<Registry, Counter>();

/** `nadm_reconcile_skipped_total`: a tick's re-plans skipped because none of their inputs changed. */
export function resyncSkips(metrics: Metrics): Counter {
  let counter = resyncSkipCounters.get(metrics.registry);
  if (!counter) {
    counter = new Counter({
      name: "nadm_reconcile_skipped_total",
      help: "Re-plans of an app at a tick skipped: nothing its last plan read has changed, and that plan changed nothing",
      registers: [metrics.registry],
    });
    resyncSkipCounters.set(metrics.registry, counter);
  }
  return counter;
}
