/**
 * The host agent (`nadm host`): answers commands on `nadm.ctl.{lattice}.{hostId}` by converging
 * workloads to absolute instance counts, and reports what it runs in its KV record plus events
 * (ARCHITECTURE §2–§5). Lifecycle: `start()` once, `stop()` once (SIGINT/SIGTERM).
 */
import { join } from "node:path";
import { type JetStreamClient, jetstream } from "@nats-io/jetstream";
import type { KV } from "@nats-io/kv";
import type { Msg, Subscription } from "@nats-io/transport-node";
import { ArtifactStore } from "../artifacts/store.js";
import { within } from "../deadline.js";
import { errorMessage } from "../errors.js";
import { type CommandOrder, type ControlReply, encodeJson, isOlder } from "../streams/commands.js";
import { closeConnection } from "../streams/connection.js";
import { eventSource, publishEvent } from "../streams/events.js";
import type { HostRecord, WorkloadInventory } from "../streams/host-record.js";
import { LinkState } from "../streams/link.js";
import { openBucketsWhenAvailable } from "../streams/provision.js";
import { subjects } from "../streams/subjects.js";
import { ArtifactCache } from "./artifacts/cache.js";
import { type ControlRequest, commandOrder, parseControlRequest } from "./control.js";
import { EndpointsBoard } from "./endpoints.js";
import { AgentLifecycleError } from "./errors.js";
import { acceptedBy, type Handoff, handedPids, takeHandoff, writeHandoff } from "./handoff.js";
import { LivenessWriter, livenessValue } from "./liveness-writer.js";
import { type HostAgentOptions, type ResolvedHostAgentOptions, resolveHostAgentOptions } from "./options.js";
import { RecordWriter } from "./record-writer.js";
import type { InstanceFailure } from "./supervisor.js";
import { Workload } from "./workload.js";
import { WorkloadInputs } from "./workload-inputs.js";

type State = "new" | "starting" | "running" | "stopping" | "stopped";
/** How long a handover waits for its last record write. */
const HANDOVER_WRITE_MS = 5_000;
/**
 * How long a stop waits to delete the record and publish `host_stopped`. Past it (NATS slow or
 * gone) the host stops anyway: the liveness sweep removes the record 3 heartbeats later.
 */
const RETIRE_MS = 5_000;
type CommandRequest = Extract<ControlRequest, { kind: "command" }>;

export class HostAgent {
  readonly options: ResolvedHostAgentOptions;
  private state: State = "new";
  private readonly workloads = new Map<string, Workload>();
  /** Per workload key, the newest command applied (its place in the command stream). */
  private readonly lastOrders = new Map<string, CommandOrder>();
  private writer: RecordWriter | undefined;
  private liveness: LivenessWriter | undefined;
  private hostsKv: KV | undefined;
  /** Other hosts' endpoints, followed only once some workload here links to a component. */
  private board: EndpointsBoard | undefined;
  private artifacts: ArtifactCache | undefined;
  private js: JetStreamClient | undefined;
  private sub: Subscription | undefined;
  private cancelHeartbeat: (() => void) | undefined;
  private heartbeatSeq = 0;
  /** Workload key → the last command applied before it retired, and when. */
  private readonly retired = new Map<string, { commandId: string | null; at: number }>();
  private startedAt = "";
  private stopping: Promise<void> | undefined;

  constructor(options: HostAgentOptions) {
    this.options = resolveHostAgentOptions(options);
  }

  get hostId(): string {
    return this.options.hostId;
  }

  get lattice(): string {
    return this.options.lattice;
  }

  /** Revision of the host's last KV write (0 before the first). */
  get revision(): number {
    return this.writer?.lastRevision ?? 0;
  }

  /**
   * Kills leftovers of a previous run, starts answering commands, writes the record and
   * publishes `host_started`. Resolves once the record is in KV.
   */
  async start(): Promise<void> {
    if (this.state !== "new") throw new AgentLifecycleError(`start() called on a ${this.state} agent`);
    this.state = "starting";
    const o = this.options;
    await o.driver.load?.();
    const handoff = o.driver.adopt
      ? acceptedBy(o.driver, takeHandoff(o.dataDir, o, o.logger), o.logger)
      : undefined;
    await o.driver.recover?.(handedPids(handoff));
    this.collectArtifacts();
    const buckets =
      o.kv && o.livenessKv
        ? { hosts: o.kv, liveness: o.livenessKv }
        : await openBucketsWhenAvailable(o.nc, o.resources, o.logger, () => this.state !== "starting");
    const kv: KV = o.kv ?? buckets.hosts;
    this.hostsKv = kv;
    if (this.state !== "starting") throw new AgentLifecycleError("stop() was called while starting");
    this.js = o.js ?? jetstream(o.nc);
    // An adopted life continues the previous one: same startedAt, so controllers see no restart.
    this.startedAt = handoff?.startedAt ?? new Date().toISOString();
    this.heartbeatSeq = handoff?.heartbeatSeq ?? 0;
    for (const [key, order] of Object.entries(handoff?.lastOrders ?? {})) this.lastOrders.set(key, order);
    this.writer = new RecordWriter({
      kv,
      js: this.js,
      lattice: o.lattice,
      hostId: o.hostId,
      logger: o.logger,
      build: () => this.record(),
      afterWrite: (record) => {
        o.metrics?.recordWrites.inc({ host: o.hostId });
        this.retireIdle(record);
      },
      link: LinkState.of(o.nc),
    });
    const writer = this.writer;
    this.liveness = new LivenessWriter({
      kv: o.livenessKv ?? buckets.liveness,
      lattice: o.lattice,
      hostId: o.hostId,
      logger: o.logger,
      // Declared lost while alive: the record write finds it deleted and says host_started.
      onSwept: () => {
        if (this.state === "running") void writer.request();
      },
      timeoutMs: Math.max(250, Math.floor(o.heartbeatIntervalMs * 0.8)),
      link: LinkState.of(o.nc),
    });
    if (handoff) await this.adopt(handoff);
    // Subscribe before the first write: once the controller sees the record, commands must land.
    this.sub = o.nc.subscribe(subjects.control(o.lattice, o.hostId), {
      callback: (err, msg) => {
        if (!err) this.onControl(msg);
      },
    });
    this.state = "running";
    await this.writer.request();
    if (this.state !== "running") throw new AgentLifecycleError("stop() was called while starting");
    const firstBeat = o.heartbeatOffsetMs > 0 ? o.heartbeatOffsetMs : o.heartbeatIntervalMs;
    this.cancelHeartbeat = o.heartbeat.every(() => this.beat(), firstBeat, o.heartbeatIntervalMs);
    o.logger.info({ driver: o.driver.name }, "host started");
  }

  /**
   * Stops answering commands, stops every instance (SIGTERM, SIGKILL after `stopGraceMs`),
   * deletes the record and publishes `host_stopped`. Safe to call more than once.
   * With `handOver` (and the `keepInstances` option) the instances keep running and the record
   * stays: the next agent with the same host id and data dir adopts both.
   */
  stop(opts: { handOver?: boolean } = {}): Promise<void> {
    this.stopping ??= this.shutdown(opts.handOver === true && this.options.keepInstances);
    return this.stopping;
  }

  /** Why the agent is not ready to take commands (undefined once it is): for /readyz. */
  get notReady(): string | undefined {
    if (this.state !== "running") return `host ${this.hostId} is ${this.state}`;
    return this.revision > 0 ? undefined : `host ${this.hostId} has not written its record yet`;
  }

  /** What the host runs now, keyed by workload key. */
  inventory(): Record<string, WorkloadInventory> {
    const withPids = this.options.driver.name === "process";
    const out: Record<string, WorkloadInventory> = {};
    for (const [key, workload] of this.workloads) out[key] = workload.inventory(withPids);
    return out;
  }

  private async shutdown(handOver: boolean): Promise<void> {
    const o = this.options;
    const wasStarted = this.state !== "new";
    this.state = "stopping";
    this.cancelHeartbeat?.();
    this.sub?.unsubscribe();
    if (wasStarted && this.writer && handOver) {
      await this.handOver(this.writer);
    } else if (wasStarted && this.writer && this.js) {
      await Promise.all([...this.workloads.values()].map((w) => w.stopAll()));
      for (const w of this.workloads.values()) w.close();
      this.board?.stop();
      await o.driver.close?.();
      await this.retireWithin(this.writer, this.js, RETIRE_MS);
    }
    if (o.ownsConnection) await closeConnection(o.nc);
    this.state = "stopped";
    o.logger.info("host stopped");
  }

  /**
   * Leaves every instance running, writes the record once more (so that it says what runs now),
   * leaves it in KV and writes the handoff file the next agent adopts from.
   */
  private async handOver(writer: RecordWriter): Promise<void> {
    const o = this.options;
    const workloads = await Promise.all([...this.workloads.values()].map((w) => w.handOver()));
    // Bounded: with NATS down the write would wait for it; the next agent writes anyway.
    await within(
      writer.request().then(() => writer.detach()),
      HANDOVER_WRITE_MS,
    );
    void writer.detach(); // frozen now, even if the race was lost
    const { lattice, hostId } = o;
    const lastOrders = Object.fromEntries(this.lastOrders);
    writeHandoff(o.dataDir, {
      lattice,
      hostId,
      startedAt: this.startedAt,
      heartbeatSeq: this.heartbeatSeq,
      lastOrders,
      workloads,
    });
    this.board?.stop();
    await o.driver.close?.({ keepInstances: true });
    const pids = workloads.flatMap((w) => w.instances.map((i) => i.pid));
    o.logger.info({ pids }, "instances left running for the next agent (--keep-instances)");
  }

  private async adopt(handoff: Handoff): Promise<void> {
    for (const w of handoff.workloads) {
      const workload = this.newWorkload(w.ref, this.options.driver.prepare(w.ref)); // checked by acceptedBy()
      this.workloads.set(w.ref.key, workload);
      await workload.adopt(w);
    }
    const pids = Object.values(this.inventory()).flatMap((inv) => inv.pids ?? []);
    this.options.logger.info(
      { pids, handedOver: handoff.writtenAt },
      "adopted instances of the previous agent",
    );
  }

  /**
   * Retires the host unless NATS is unreachable or the retire takes longer than `ms`: a stop must
   * not wait on NATS (1,000 sim hosts stopping with NATS gone took minutes, two request timeouts
   * each). The liveness sweep removes a record we could not delete (ARCHITECTURE §2).
   */
  private async retireWithin(writer: RecordWriter, js: JetStreamClient, ms: number): Promise<void> {
    const log = this.options.logger;
    if (!LinkState.of(this.options.nc).connected) {
      void writer.detach();
      log.warn("NATS unreachable: host record left for the liveness sweep");
      return;
    }
    const retired = this.retire(writer, js).catch((err: unknown) => {
      log.warn({ err: errorMessage(err) }, "could not delete the host record");
    });
    if (!(await within(retired, ms)))
      log.warn({ ms }, "host record not deleted in time: left for the liveness sweep");
  }

  /** Deletes the record, then says so with `host_stopped` carrying the deletion's revision. */
  private async retire(writer: RecordWriter, js: JetStreamClient): Promise<void> {
    const o = this.options;
    const revision = await writer.close();
    await this.liveness?.remove();
    await publishEvent(js, o.lattice, "host_stopped", eventSource(o.lattice, { hostId: o.hostId }), {
      hostId: o.hostId,
      stateRevision: revision,
    });
  }

  /** A heartbeat: a small write of its own; the record is written only when it changes. */
  private beat(): void {
    if (this.state !== "running") return;
    this.heartbeatSeq++;
    this.liveness?.beat(livenessValue(this.startedAt, this.heartbeatSeq));
  }

  private record(): HostRecord {
    const o = this.options;
    return {
      hostId: o.hostId,
      lattice: o.lattice,
      labels: o.labels,
      driver: o.driver.name,
      version: o.version,
      startedAt: this.startedAt,
      updatedAt: new Date().toISOString(),
      heartbeatIntervalMs: o.heartbeatIntervalMs,
      heartbeatSeq: this.heartbeatSeq,
      retired: this.retiredLately(),
      address: o.advertiseAddress,
      inventory: this.inventory(),
    };
  }

  private onControl(msg: Msg): void {
    void this.answer(msg).then((body) => msg.respond(encodeJson(body)));
  }

  private async answer(msg: Msg): Promise<ControlReply> {
    let request: ControlRequest | { error: string };
    try {
      request = parseControlRequest(msg.data, this.options);
    } catch (err) {
      return { ok: false, error: errorMessage(err) };
    }
    if ("error" in request) return { ok: false, error: request.error };
    if (request.kind === "inventory") return { ok: true, inventory: this.inventory() };
    const started = performance.now();
    const reply = await this.apply({ ...request, order: commandOrder(msg.headers) });
    const seconds = (performance.now() - started) / 1000;
    this.options.metrics?.commandSeconds.observe({ result: reply.ok ? "ok" : "refused" }, seconds);
    return reply;
  }

  /** Converges one workload; replies once instances are spawned/stopped and the record says so. */
  private async apply({ command, ref, properties, order }: CommandRequest): Promise<ControlReply> {
    if (this.state !== "running") return { ok: false, error: `host ${this.hostId} is ${this.state}` };
    // Checked and recorded before any await, and kept after a workload retires: a late
    // redelivery of an older command must never undo a newer one (ARCHITECTURE §2 rule 3).
    if (isOlder(order, this.lastOrders.get(ref.key))) {
      return { ok: true, running: this.workloads.get(ref.key)?.counts().running ?? 0, superseded: true };
    }
    if (order) this.lastOrders.set(ref.key, order);
    let workload = this.workloads.get(ref.key);
    if (!workload) {
      if (command.count === 0) return { ok: true, running: 0 }; // nothing runs, nothing to record
      if (properties === undefined) {
        return {
          ok: false,
          error: `workload.spec: empty, and ${ref.key} does not run here: nothing to start it from`,
        };
      }
      workload = this.newWorkload(ref, properties);
      this.workloads.set(ref.key, workload);
    }
    try {
      const running = await workload.converge(command.count, command.id);
      await this.writer?.request();
      return { ok: true, running };
    } catch (err) {
      this.options.logger.error({ err: errorMessage(err), workload: ref.key }, "command failed");
      return { ok: false, error: errorMessage(err) };
    }
  }

  private newWorkload(ref: CommandRequest["ref"], properties: unknown): Workload {
    const o = this.options;
    const inputs = WorkloadInputs.for(ref, o.driver.needs?.(properties) ?? {}, {
      dataDir: o.dataDir,
      logger: o.logger,
      board: () => {
        this.board ??= new EndpointsBoard(this.hostsKv!, o.lattice, o.logger);
        return this.board;
      },
      cache: () => this.artifactCache(),
      onChange: () => this.requestWrite(),
    });
    return new Workload(
      ref,
      properties,
      {
        driver: o.driver,
        hostId: o.hostId,
        address: o.advertiseAddress,
        backoff: o.backoff,
        stopGraceMs: o.stopGraceMs,
        drainMs: o.drainMs,
        onChange: () => this.requestWrite(),
        onFailure: (w: Workload, failure: InstanceFailure) => {
          o.logger.warn({ workload: w.key, reason: failure.reason }, "instance failed");
          this.writer?.noteFailure(w.key, failure);
        },
      },
      inputs,
    );
  }

  /** Something to report changed: a KV write (coalesced with any already queued). */
  private requestWrite(): void {
    if (this.state === "running") void this.writer?.request();
  }

  /** Retired workloads still inside the command stream's dedupe window (older ones are forgotten). */
  private retiredLately(): Record<string, string | null> {
    const cutoff = Date.now() - this.options.resources.duplicateWindowMs;
    const out: Record<string, string | null> = {};
    for (const [key, r] of this.retired) {
      if (r.at < cutoff || this.workloads.has(key)) this.retired.delete(key);
      else out[key] = r.commandId;
    }
    return out;
  }

  /** Drops workloads whose all-zero state has been written (and its workload_scaled published). */
  private retireIdle(record: HostRecord): void {
    let removed = false;
    for (const [key, inv] of Object.entries(record.inventory)) {
      const workload = this.workloads.get(key);
      if (inv.desired === 0 && inv.running === 0 && inv.failed === 0 && workload?.idle) {
        workload.close();
        this.workloads.delete(key);
        this.retired.set(key, { commandId: workload.lastCommandId, at: Date.now() });
        removed = true;
      }
    }
    if (removed && this.state === "running") {
      void this.writer?.request();
      this.collectArtifacts();
    }
  }

  private artifactCache(): ArtifactCache {
    const o = this.options;
    let store: Promise<ArtifactStore> | undefined;
    this.artifacts ??= new ArtifactCache({
      root: join(o.dataDir, "artifacts"),
      maxBytes: o.maxArtifactBytes,
      logger: o.logger,
      source: () => {
        store ??= ArtifactStore.connect(o.nc);
        store.catch(() => {
          store = undefined; // try again at the next start
        });
        return store;
      },
    });
    return this.artifacts;
  }

  /** Drops cached artifacts no workload here uses any more (after `artifactCacheKeepMs`). */
  private collectArtifacts(): void {
    const inUse = new Set([...this.workloads.values()].flatMap((w) => w.artifactDigest ?? []));
    try {
      this.artifactCache().collect(inUse, this.options.artifactCacheKeepMs);
    } catch (err) {
      this.options.logger.warn({ err: errorMessage(err) }, "could not collect cached artifacts");
    }
  }
}
