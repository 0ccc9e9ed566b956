/**
 * The reconcile worker: pulls events from the shared durable consumer `nadm-reconcile`, works
 * out which apps they concern, reconciles each (fenced on the event's KV revision, serialised
 * and coalesced per app), publishes the resulting commands with deterministic ids, awaits every
 * PubAck, writes the status, and only then acks the event (ARCHITECTURE §2).
 */
import type { JetStreamClient, JsMsg } from "@nats-io/jetstream";
import type { KV } from "@nats-io/kv";
import type { ControllerConfig } from "../config.js";
import { EarlySweeps } from "../lattice/early-sweeps.js";
import type { KvCache } from "../lattice/kv-cache.js";
import { sweepLattice } from "../lattice/liveness.js";
import type { LatticeView } from "../lattice/view.js";
import type { Logger } from "../log.js";
import { deployAndAnnounce } from "../manifests/deploy.js";
import type { ManifestStore } from "../manifests/store.js";
import { countSettledEvent, type Metrics, observeConsumer, resyncSkips } from "../metrics.js";
import type { ScalerLookup, ScalerRegistry } from "../scalers/index.js";
import type { AppStatus } from "../streams/app-status.js";
import { ConsumerLoop } from "../streams/consumer-loop.js";
import { MalformedEventError, type NadmEvent, parseEvent } from "../streams/events.js";

import type { RefusalRecord } from "../streams/refusal-record.js";
import { dlqBySubject, type Outcome, ok, terminal } from "../streams/settle.js";
import { CONSUMERS, dedupeIds, keys, STREAMS } from "../streams/subjects.js";
import type { AppCache } from "./app-cache.js";
import { Coalescer } from "./coalesce.js";
import { type ExternalEvaluator, planWithExternal } from "./external.js";
import type { InflightView } from "./inflight.js";
import { CommandIssuer } from "./issue.js";
import type { PlanInput, Revert } from "./plan.js";
import { refusalSource } from "./refusal-source.js";
import { inputsOf, ResyncSkip } from "./resync-skip.js";
import type { StatusWriter } from "./status-writer.js";
import { SuspectSets } from "./suspect-sets.js";
import { observed } from "./unapplied.js";

function timeWillMove(status: AppStatus, now: number, inflightTimeoutMs: number): boolean {
  if (status.phase === "failed" || status.phase === "waiting") return true;
  if (status.phase !== "reconciling") return false;
  // Unchanged for longer than a pending command counts: whatever it waited for is given up on
  // (a command lost in a NATS outage), and no event marks that moment.
  if (now - Date.parse(status.updatedAt) > inflightTimeoutMs) return true;
  return status.components.some(({ rollout: r }) => {
    if (!r || r.paused) return false;
    return r.readyNew > r.availableNew || (r.deadlineAt !== undefined && now >= Date.parse(r.deadlineAt));
  });
}

/** How long an event waits for this replica's cache to reach its KV revision before a direct read. */
export const FENCE_TIMEOUT_MS = 2_000;
/** Deliveries after which an event that keeps failing is dead-lettered. */
export const MAX_EVENT_DELIVERIES = 15;

export interface ReconcileDeps {
  js: JetStreamClient;
  /** `nadm_liveness` (host heartbeats), for the liveness sweep. */
  livenessKv: KV;
  view: LatticeView;
  /** App indexes and deployed manifests (never the other versions). */
  manifests: AppCache;
  /** Stored app statuses: a tick revisits the apps whose status is not settled. */
  statuses: KvCache<AppStatus>;
  /** For auto-reverts, which go through the store like an API deploy. */
  store: ManifestStore;
  /** Stored refusals of commands (`nadm_refusals`): held-back retries and why. */
  refusals?: KvCache<RefusalRecord>;
  inflight: InflightView;
  status: StatusWriter;
  registry: ScalerRegistry;
  /** The scalers of one lattice: `registry` plus its remote scalers (remote-scalers/). */
  scalersOf?: (lattice: string) => ScalerLookup;
  config: ControllerConfig;
  metrics: Metrics;
  log: Logger;
  /** Re-provisions the durable consumer if it goes missing. */
  recreate?: () => Promise<void>;
  /** When this replica last reconnected to NATS (ms); host silence before it is not held against them. */
  connectedSince?: () => number;
  /** Awaited before each event: after a reconnect, until the caches have caught up. */
  gate?: () => Promise<void>;
  /** Told when a custom scaler's call fails (log with stack, metric): see external.ts. */
  onScalerFailure?: ExternalEvaluator["onFailure"];
  /** Scaler type → why replicas disagree on its version (scaler-versions.ts). */
  scalerWarnings?: () => ReadonlyMap<string, string>;
}

export class ReconcileWorker {
  private readonly coalescer: Coalescer;
  private readonly suspectSets = new SuspectSets();
  private readonly issuer: CommandIssuer;
  private readonly loop: ConsumerLoop;
  /** Apps whose last plan settled, by the identities of its inputs (resync-skip.ts). */
  private readonly settled = new ResyncSkip();
  private readonly earlySweeps: EarlySweeps;

  constructor(private readonly deps: ReconcileDeps) {
    this.coalescer = new Coalescer(deps.config.reconcileGapMs);
    this.earlySweeps = new EarlySweeps({
      sweep: (lattice) => this.sweep(lattice),
      hosts: (lattice) => deps.view.hosts(lattice),
      notBefore: () => deps.connectedSince?.() ?? 0,
      log: deps.log,
    });
    this.issuer = new CommandIssuer(deps.js, deps.inflight, deps.metrics);
    this.loop = new ConsumerLoop({
      js: deps.js,
      stream: STREAMS.events,
      consumer: CONSUMERS.reconcile,
      maxMessages: deps.config.concurrency,
      handle: (m) => this.handle(m),
      settle: {
        js: deps.js,
        log: deps.log,
        dlq: dlqBySubject("event"),
        onSettled: countSettledEvent(deps.metrics),
      },
      observe: observeConsumer(deps.metrics, CONSUMERS.reconcile),
      workingEveryMs: deps.config.reconcileAckWaitMs / 2,
      recreate: deps.recreate,
      gate: deps.gate,
      log: deps.log,
    });
  }

  start(): Promise<void> {
    return this.loop.start();
  }

  /** True while pulling from the durable consumer (readiness). */
  get bound(): boolean {
    return this.loop.bound;
  }

  /** Stops pulling and waits for the events in hand to be settled. */
  stop(): Promise<void> {
    this.earlySweeps.stop();
    return this.loop.stop();
  }

  /** The liveness sweep of one lattice, now (liveness.ts). */
  private sweep(lattice: string): Promise<string[]> {
    const { view, livenessKv, js, log, connectedSince } = this.deps;
    return sweepLattice(view, livenessKv, js, lattice, Date.now(), log, connectedSince?.() ?? 0);
  }

  /** Re-reconciles every app of the lattice now, outside the event stream (reconnect-resync.ts). */
  async resync(lattice: string, causationId: string): Promise<void> {
    const apps = this.allApps(lattice);
    await Promise.all(
      apps.map((app) =>
        this.coalescer.run(keys.manifest(lattice, app), () => this.reconcileApp(lattice, app, causationId)),
      ),
    );
  }

  async handle(msg: JsMsg): Promise<Outcome> {
    let event: NadmEvent;
    try {
      event = parseEvent(msg.subject, msg.data);
    } catch (err) {
      if (err instanceof MalformedEventError) return terminal(`malformed event: ${err.message}`);
      throw err;
    }
    if (msg.info.deliveryCount > MAX_EVENT_DELIVERIES) {
      return terminal(`gave up after ${msg.info.deliveryCount - 1} failed deliveries`);
    }
    await this.fence(event);
    const apps = await this.affectedApps(event);
    const cause = causeOf(event);
    await Promise.all(
      apps.map((app) =>
        this.coalescer.run(keys.manifest(event.lattice, app), () =>
          this.reconcileApp(event.lattice, app, event.id, cause, {
            periodic: event.type === "lattice_tick",
            // fence() brought the app's index up to this event's write.
            indexFenced: event.type.startsWith("app_") && "app" in event.data && event.data.app === app,
          }),
        ),
      ),
    );
    return ok;
  }

  /** Waits until this replica's caches reflect the KV write the event follows (read-your-writes). */
  private async fence(event: NadmEvent): Promise<void> {
    const rev = "stateRevision" in event.data ? event.data.stateRevision : undefined;
    if (rev === undefined) return;
    const d = event.data as { app?: string; hostId?: string };
    if (event.type === "command_failed") {
      // Its revision is of the refusal record the dispatcher wrote.
      const { refusals } = this.deps;
      if (refusals && !(await refusals.reach(rev, FENCE_TIMEOUT_MS))) {
        await refusals.refresh(keys.refusal(event.lattice, event.data.hostId, event.data.workloadKey));
      }
    } else if (event.type.startsWith("app_")) {
      if (!(await this.deps.manifests.indexes.reach(rev, FENCE_TIMEOUT_MS)) && d.app) {
        await this.deps.manifests.indexes.refresh(keys.manifest(event.lattice, d.app));
      }
    } else if (!(await this.deps.view.cache.reach(rev, FENCE_TIMEOUT_MS)) && d.hostId) {
      await this.deps.view.cache.refresh(keys.host(event.lattice, d.hostId));
    }
  }

  private async affectedApps(event: NadmEvent): Promise<string[]> {
    switch (event.type) {
      case "lattice_tick": {
        await this.sweep(event.lattice);
        this.earlySweeps.afterTick(event.lattice, event.data.intervalMs);
        const every = Math.max(1, Math.round(this.deps.config.resyncIntervalMs / event.data.intervalMs));
        return event.data.period % every === 0
          ? this.allApps(event.lattice)
          : this.unsettledApps(event.lattice, Date.now());
      }
      case "host_started":
        return this.allApps(event.lattice); // daemon scalers place on every new host
      case "host_stopped":
      case "host_lost":
        return this.appsOfDeparted(event.lattice, event.data.hostId);
      default:
        return [event.data.app];
    }
  }

  /**
   * What a host leaving concerns: the apps it ran and those with a command to it still in
   * flight. Not every app of the lattice: with hundreds of hosts lost at once, re-reconciling
   * every app per lost host was most of the heal time. (A suspect host only ever holds back
   * instances of apps it runs, so those apps are the ones waiting for its loss.) Unknown host
   * (this view never saw it): every app.
   */
  private appsOfDeparted(lattice: string, hostId: string): string[] {
    const ran = this.deps.view.departedApps(lattice, hostId);
    if (!ran) return this.allApps(lattice);
    return [...new Set([...ran, ...this.deps.inflight.appsPendingOn(lattice, hostId, Date.now())])].sort();
  }

  /** Deployed apps plus apps that still have workloads somewhere (being stopped). */
  private allApps(lattice: string): string[] {
    const apps = new Set(this.deps.view.appsWithWorkloads(lattice));
    for (const c of this.deps.manifests.values()) {
      const name = keys.nameIn(c.key, lattice);
      if (name !== undefined && c.value.deployedVersion) apps.add(name);
    }
    return [...apps].sort();
  }

  /**
   * Deploys the previous version again (ARCHITECTURE §8, §12): a compare-and-set that holds only
   * while the stalled version is deployed, then `app_deployed` with a deterministic id, so two
   * replicas deciding it at once revert once. A crash in between is caught by the next tick.
   */
  private async revert(lattice: string, r: Revert, now: number): Promise<void> {
    const result = await deployAndAnnounce(this.deps.store, this.deps.js, lattice, r.app, r.to, {
      ifDeployed: r.from,
      revert: { from: r.from, to: r.to, reason: r.reason, at: new Date(now).toISOString() },
      eventId: dedupeIds.revert(lattice, r.app, r.from),
    });
    if (result.changed) {
      this.deps.log.warn(
        { lattice, app: r.app, from: r.from, to: r.to, reason: r.reason },
        "rollout reverted",
      );
    }
  }

  /**
   * Apps whose stored status says that time alone will move them on, with no host event to mark
   * the moment: `failed` and `waiting` (a refused command's backoff, a scaler's wait), and a
   * rollout waiting out `minReadySeconds` or past its progress deadline. The status is in KV, so
   * whichever replica takes the tick does this. A rollout driven by host events is not revisited:
   * a second replica reconciling the same app at the same moment could send a command twice.
   */
  private unsettledApps(lattice: string, now: number): string[] {
    const apps: string[] = [];
    for (const c of this.deps.statuses.values()) {
      const name = keys.nameIn(c.key, lattice);
      if (name !== undefined && timeWillMove(c.value, now, this.deps.config.inflightTimeoutMs))
        apps.push(name);
    }
    return apps.sort();
  }

  /** The scalers of `lattice`: this replica's, plus the lattice's remote scalers. */
  private scalersOf(lattice: string): ScalerLookup {
    return this.deps.scalersOf?.(lattice) ?? this.deps.registry;
  }

  private planInput(
    lattice: string,
    app: string,
    stored: PlanInput["stored"],
    now: number,
    cause: string | undefined,
  ): PlanInput {
    const { view, inflight } = this.deps;
    const hosts = view.hosts(lattice);
    const suspect = this.suspectSets.of(
      lattice,
      hosts,
      view.hostMap(lattice),
      now,
      this.deps.connectedSince?.() ?? 0,
    );
    return {
      lattice,
      app,
      stored,
      hosts,
      hostsById: view.hostMap(lattice),
      suspect,
      ...observed(view, inflight, lattice, app, now, suspect),
      registry: this.scalersOf(lattice),
      now,
      cause,
      previous: this.deps.statuses.get(keys.status(lattice, app))?.value,
      refusals: this.deps.refusals && refusalSource(this.deps.refusals, lattice, this.deps.config),
      scalerWarnings: this.deps.scalerWarnings?.(),
    };
  }

  /** The identities of everything a plan of `input` reads, for ResyncSkip (resync-skip.ts). */
  private inputsOf(input: PlanInput): string | undefined {
    const { inflight, refusals, config } = this.deps;
    return inputsOf(input, {
      refusalsRevision: refusals?.revision ?? 0,
      lastIssuedAt: inflight.lastIssuedAt(input.lattice, input.app),
      inflightTimeoutMs: config.inflightTimeoutMs,
    });
  }

  private async reconcileApp(
    lattice: string,
    app: string,
    causationId: string,
    cause?: string,
    { periodic = false, indexFenced = false } = {},
  ): Promise<void> {
    const started = performance.now();
    const { view } = this.deps;
    const stored = await this.deps.manifests.state(lattice, app);
    const hostsRevision = view.cache.revision; // what the (synchronous) plan below sees
    const now = Date.now();
    const input = this.planInput(lattice, app, stored, now, cause);
    // A tick's re-plan that would change nothing is skipped (resync-skip.ts says when that holds).
    const [key, inputs] = [keys.manifest(lattice, app), this.inputsOf(input)];
    if (periodic && this.settled.unchanged(key, inputs)) {
      resyncSkips(this.deps.metrics).inc();
      return;
    }
    this.settled.forget(key); // until this plan has settled
    const p = await planWithExternal(input, {
      registry: input.registry,
      deadlineMs: this.deps.config.scalerDeadlineMs,
      onFailure: this.deps.onScalerFailure,
    });
    // Commands planned from a cached index no event fenced: only once the leader confirms it.
    if (p.commands.length > 0 && !indexFenced && !(await this.deps.manifests.confirm(lattice, app))) {
      return this.reconcileApp(lattice, app, causationId, cause, { periodic, indexFenced: true });
    }
    await this.issuer.publish(lattice, app, p.commands, causationId, now);
    if (p.revert) await this.revert(lattice, p.revert, now);
    const wrote = await this.deps.status.write(lattice, app, p.status, hostsRevision);
    this.settled.planned(key, inputs, p, input.previous, wrote);
    this.deps.metrics.reconcileSeconds.observe((performance.now() - started) / 1000);
    if (p.commands.length > 0 || wrote) {
      this.deps.log.debug(
        { lattice, app, commands: p.commands.length, phase: p.status?.phase },
        "reconciled",
      );
    }
  }
}

/** The part of an event worth telling in a status message ("after host east-2 was lost"). */
function causeOf(event: NadmEvent): string | undefined {
  switch (event.type) {
    case "host_lost":
      return `host ${event.data.hostId} was lost`;
    case "host_stopped":
      return `host ${event.data.hostId} stopped`;
    default:
      return undefined;
  }
}
