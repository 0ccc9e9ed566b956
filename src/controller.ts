/**
 * One controller replica: API responder, reconcile worker, dispatch worker and tick timer over a
 * NATS connection. Every replica is the same; run as many as you like (ARCHITECTURE §2).
 */
import { randomUUID } from "node:crypto";
import type { Server } from "node:http";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { MAX_REQUEST_BYTES } from "./api/protocol.js";
import { ApiResponder } from "./api/responder.js";
import { traitCatalogFor } from "./catalog.js";
import type { ControllerConfig, ResourcesConfig } from "./config.js";
import { createDashboard } from "./dashboard/index.js";
import { RefusalLog } from "./dispatch/refusals.js";
import { DispatchWorker } from "./dispatch/worker.js";
import { HeartbeatFeed } from "./lattice/heartbeats.js";
import { HostRecordDecoder } from "./lattice/host-decoder.js";
import { KvCache } from "./lattice/kv-cache.js";
import { runningComponents } from "./lattice/reports.js";
import { LatticeView } from "./lattice/view.js";
import type { Logger } from "./log.js";
import { migrateAll } from "./manifests/migrate.js";
import { ManifestStore, storableBytes } from "./manifests/store.js";
import { createMetrics, type Metrics, scalerFailures } from "./metrics.js";
import { closeServer, notReady, onReconnect, portOf, type ReadinessCheck, serveProbes } from "./probes.js";
import { AppCache } from "./reconcile/app-cache.js";
import { InflightView } from "./reconcile/inflight.js";
import { controllerReadiness, fillControllerGauges } from "./reconcile/observe.js";
import { type PlanSources, planDeploy } from "./reconcile/plan-op.js";
import { ReconnectResync } from "./reconcile/reconnect-resync.js";
import { ScalerVersions } from "./reconcile/scaler-versions.js";
import { decodeAppStatus, StatusWriter } from "./reconcile/status-writer.js";
import { Ticker } from "./reconcile/tick.js";
import { ReconcileWorker } from "./reconcile/worker.js";
import { RemoteScalers } from "./remote-scalers/registrations.js";
import type { ScalerRegistry } from "./scalers/index.js";
import { LinkState } from "./streams/link.js";
import { provision } from "./streams/provision.js";
import { decodeRefusal } from "./streams/refusal-record.js";
import { BUCKETS, STREAMS } from "./streams/subjects.js";
import { retryUnavailable } from "./streams/unavailable.js";

export interface ControllerOptions {
  nc: NatsConnection;
  resources: ResourcesConfig;
  controller: ControllerConfig;
  registry: ScalerRegistry;
  log: Logger;
  metrics?: Metrics;
  /** More readiness checks for /readyz (`nadm up`: its hosts'). */
  readiness?: readonly ReadinessCheck[];
}

/** Below the CLI's per-attempt request timeout (≥ 2 s, 5 s by default). */
const API_JETSTREAM_TIMEOUT_MS = 2_000;
/** How often a replica republishes its custom scalers and versions (and reads the others'). */
const SCALER_VERSIONS_PERIOD_MS = 5_000;

type Stoppable = { stop(): void | Promise<void> };

export class Controller {
  /** Stopped in reverse order of starting. */
  private readonly parts: Stoppable[] = [];
  private server: Server | undefined;
  /** What this replica holds of nadm_manifests (for tests and benchmarks). */
  apps: AppCache | undefined;
  /** Why this replica is not ready (empty once it is); /readyz answers from it. */
  readiness: ReadinessCheck[] = [() => "starting"];

  constructor(private readonly opts: ControllerOptions) {}

  async start(): Promise<void> {
    const { nc, resources, controller: config, registry, log } = this.opts;
    const metrics = this.opts.metrics ?? createMetrics();
    metrics.natsConnections.add(nc);
    let reconnectedAt = 0;
    const stopCounting = onReconnect(nc, () => {
      reconnectedAt = Date.now();
      metrics.natsReconnects.inc();
    });
    this.parts.push({ stop: stopCounting });
    const reprovision = () =>
      provision(nc, {
        resources,
        ackWaitMs: config.ackWaitMs,
        reconcileAckWaitMs: config.reconcileAckWaitMs,
        commandMaxDeliver: config.commandMaxDeliver,
      });
    const buckets = await reprovision();
    const js = jetstream(nc);
    // Before anything reads nadm_manifests: apps stored in the one-value shape get version keys.
    const migrated = await migrateAll(buckets.manifests);
    if (migrated > 0) log.info({ migrated }, "migrated apps to one key per manifest version");
    const manifests = new AppCache(buckets.manifests, log, await jetstreamManager(nc));
    this.apps = manifests;
    const decoder = new HostRecordDecoder();
    const hosts = new KvCache(buckets.hosts, (e) => decoder.decode(e), log);
    hosts.onChange((key, next) => {
      if (!next) decoder.forget(key);
    });
    const statuses = new KvCache(buckets.status, decodeAppStatus, log);
    const refusals = new KvCache(buckets.refusals, decodeRefusal, log);
    const remote = new RemoteScalers(buckets.scalers, {
      nc,
      inProcess: (type) => registry.has(type),
      timeoutMs: config.remoteScalerTimeoutMs,
      log: log.child({ room: "remote-scalers" }),
    });
    await this.startParts([manifests, hosts, statuses, refusals, remote]);
    const view = new LatticeView(hosts, log);
    await this.startParts([new HeartbeatFeed(nc, buckets.liveness, view, log)]);
    const inflight = new InflightView(
      config.inflightTimeoutMs,
      log,
      (lattice, hostId) => view.host(lattice, hostId)?.record.startedAt,
    );
    await this.startParts([{ start: () => inflight.start(js), stop: () => inflight.stop() }]);

    const recreate = async () => void (await reprovision());
    const shared = { js, view, inflight, config, metrics, recreate };
    const store = new ManifestStore(buckets.manifests, { keepLast: resources.maxVersions });
    const ticker = new Ticker(js, config.tickIntervalMs, () => lattices(view, manifests), log);
    const afterReconnect: ReconnectResync = new ReconnectResync({
      link: LinkState.of(nc),
      caches: [manifests, hosts, statuses, refusals, inflight, remote],
      lattices: () => lattices(view, manifests),
      resync: (lattice, id): Promise<void> => reconcile.resync(lattice, id),
      log,
    });
    const versions = new ScalerVersions({
      nc,
      replica: randomUUID(),
      scalers: registry.externalVersions(),
      periodMs: SCALER_VERSIONS_PERIOD_MS,
      replicas: resources.replicas,
      log,
    });
    await this.startParts([versions]);
    const reconcile = new ReconcileWorker({
      ...shared,
      // Host silence while NATS (or JetStream) was unavailable to us is not held against them.
      connectedSince: () => Math.max(reconnectedAt, ticker.lastFailureAt),
      gate: () => afterReconnect.caughtUp(),
      livenessKv: buckets.liveness,
      manifests,
      statuses,
      store,
      refusals,
      status: new StatusWriter(buckets.status, statuses),
      registry,
      scalersOf: (lattice) => remote.lookup(lattice, registry),
      log: log.child({ room: "reconcile" }),
      scalerWarnings: () => versions.warnings,
      onScalerFailure: (call, scaler, err) => {
        scalerFailures(metrics).inc({ scaler: call.scaler, kind: scaler?.kind ?? "unknown" });
        log.warn(
          { err, scaler: call.scaler, app: call.input.app.name, component: call.component },
          "scaler call failed",
        );
      },
    });
    const commandsEpoch = (await (await jetstreamManager(nc)).streams.info(STREAMS.commands)).created;
    const dispatch = new DispatchWorker({
      ...shared,
      nc,
      commandsEpoch,
      refusals: new RefusalLog(buckets.refusals, refusals, view),
      log: log.child({ room: "dispatch" }),
    });
    await this.startParts([reconcile, dispatch]);

    ticker.start();
    this.parts.push(ticker);
    afterReconnect.start();
    ticker.onRecovered(() => afterReconnect.jetStreamRecovered());
    this.parts.push(afterReconnect);

    this.parts.push(await this.startApi(view, { view, inflight, statuses, registry }, remote));
    fillControllerGauges(metrics, view, statuses);
    this.readiness = [
      ...controllerReadiness({ nc, workers: { reconcile, dispatch }, afterReconnect }),
      ...(this.opts.readiness ?? []),
    ];
    if (config.httpPort !== undefined) {
      const dashboard = createDashboard({
        nc,
        indexes: manifests.indexes,
        statuses,
        hosts,
        beats: view,
        actions: config.dashboardActions,
        log,
      });
      this.parts.push(dashboard);
      this.server = await serveProbes({
        port: config.httpPort,
        registry: metrics.registry,
        readiness: [() => notReady(this.readiness).join("; ") || undefined],
        more: dashboard.handle,
      });
    }
    log.info({ scalers: registry.types() }, "controller replica started");
  }

  /**
   * Starts `parts` together. Each is stopped with the replica, also when it or another failed
   * to start: a start that NATS interrupted leaves nothing running once `stop()` returns.
   */
  private async startParts(parts: Array<Stoppable & { start(): Promise<unknown> }>): Promise<void> {
    this.parts.push(...parts);
    const results = await Promise.allSettled(parts.map((p) => p.start()));
    const failed = results.find((r) => r.status === "rejected");
    if (failed) throw failed.reason;
  }

  /**
   * The API responder, with JetStream handles of its own whose requests time out before a
   * client's request does: during a leader election the client gets `unavailable` saying what
   * is unavailable, rather than no reply at all.
   */
  private async startApi(view: LatticeView, plan: PlanSources, remote: RemoteScalers): Promise<ApiResponder> {
    const { nc, resources, registry, log } = this.opts;
    const js = jetstream(nc, { timeout: API_JETSTREAM_TIMEOUT_MS });
    const kvm = new Kvm(js);
    const catalog = traitCatalogFor(registry);
    const [manifests, status] = await Promise.all([kvm.open(BUCKETS.manifests), kvm.open(BUCKETS.status)]);
    const maxPayload = nc.info?.max_payload ?? MAX_REQUEST_BYTES;
    const api = new ApiResponder(nc, {
      store: new ManifestStore(manifests, {
        keepLast: resources.maxVersions,
        maxValueBytes: storableBytes(maxPayload),
        jsm: await js.jetstreamManager(),
      }),
      statusKv: status,
      js,
      catalog,
      catalogOf: (lattice) => remote.catalog(lattice, catalog),
      forecast: (lattice, app, target, stored) => planDeploy(plan, lattice, app, target, stored),
      hostReports: (lattice, app) => runningComponents(view, lattice, app),
      maxRequestBytes: Math.min(MAX_REQUEST_BYTES, maxPayload),
      log: log.child({ room: "api" }),
      now: () => new Date(),
    });
    api.start();
    return api;
  }

  /** Stops taking new work and finishes what is in flight. The connection is the caller's. */
  async stop(): Promise<void> {
    this.readiness = [() => "stopping"];
    for (const part of this.parts.reverse()) await part.stop();
    this.parts.length = 0;
    closeServer(this.server);
  }

  /** The port /metrics and the dashboard are served on (for tests: `--http-port 0` picks one). */
  get httpPort(): number | undefined {
    return portOf(this.server);
  }
}

/**
 * A started replica. NATS failing part-way through the start (a restart, a leader election)
 * does not end the process: what had started is stopped, and a fresh replica starts once NATS
 * answers, with a warning per attempt. Anything else (an incompatible stream, say) fails.
 */
export function startController(opts: ControllerOptions): Promise<Controller> {
  return retryUnavailable(
    async () => {
      const replica = new Controller(opts);
      try {
        await replica.start();
        return replica;
      } catch (err) {
        await replica
          .stop()
          .catch((e: unknown) => opts.log.warn({ err: e }, "stopping a half-started replica"));
        throw err;
      }
    },
    {
      what: "NATS JetStream",
      onWait: (reason) => opts.log.warn({ reason }, "controller replica not started: retrying"),
    },
  );
}

function* lattices(view: LatticeView, manifests: AppCache): Iterable<string> {
  yield* view.lattices();
  yield* manifests.lattices();
}
