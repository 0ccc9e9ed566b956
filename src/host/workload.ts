/**
 * One workload on one host: its instance slots and the counts the inventory reports.
 * `converge(count)` is absolute and idempotent (ARCHITECTURE §1 "command"), and runs one at a
 * time per workload.
 */
import type { WorkloadInventory } from "../streams/host-record.js";
import type { Driver, HandedInstance, InstanceSpec, WorkloadRef } from "./drivers/types.js";
import { Mutex } from "./mutex.js";
import { type BackoffPolicy, type InstanceFailure, SupervisedInstance } from "./supervisor.js";
import type { WorkloadInputs } from "./workload-inputs.js";

export interface WorkloadContext<P> {
  driver: Driver<P>;
  hostId: string;
  /** How other hosts reach this one: the host part of the endpoints it reports. */
  address: string;
  backoff: BackoffPolicy;
  stopGraceMs: number;
  /** How long instances being scaled away leave the endpoints before they stop (0: at once). */
  drainMs?: number;
  /** Counts changed: the agent schedules a KV write. */
  onChange(): void;
  /** An instance failed: the agent publishes `workload_failed` after the next write. */
  onFailure(workload: Workload<P>, failure: InstanceFailure): void;
}

/** One workload as an agent hands it to its next life (`--keep-instances`). */
export interface WorkloadHandover {
  ref: WorkloadRef;
  desired: number;
  lastCommandId: string | null;
  restarts: number;
  lastError: string | null;
  instances: HandedInstance[];
}

export class Workload<P = unknown> {
  desired = 0;
  lastCommandId: string | null = null;
  restarts = 0;
  lastError: string | null = null;
  private readonly mutex = new Mutex();
  /** Instances being scaled away: no longer in the endpoints others see, stopped soon. */
  private readonly draining = new Set<SupervisedInstance<P>>();
  /** In creation order, so "newest" is at the end. */
  private slots: SupervisedInstance<P>[] = [];

  constructor(
    readonly ref: WorkloadRef,
    private readonly properties: P,
    private readonly ctx: WorkloadContext<P>,
    private readonly inputs?: WorkloadInputs,
  ) {}

  get key(): string {
    return this.ref.key;
  }

  /** Nothing wanted, nothing left, nothing queued: the workload can leave the inventory. */
  get idle(): boolean {
    return this.desired === 0 && this.slots.length === 0 && !this.mutex.busy;
  }

  /** Runs exactly `count` instances; resolves with the number running once spawned/stopped. */
  converge(count: number, commandId: string | null): Promise<number> {
    return this.mutex.run(async () => {
      this.desired = count;
      this.lastCommandId = commandId;
      this.ctx.onChange();
      const live = this.slots.filter((s) => !s.stopping);
      if (count > live.length) await this.grow(count - live.length);
      else if (count < live.length) await this.drainThenShrink(live.slice(count));
      return this.counts().running;
    });
  }

  /** The artifact this workload runs, if any. */
  get artifactDigest(): string | undefined {
    return this.inputs?.digest;
  }

  /** The workload left this host for good: release what the host provided for it. */
  close(): void {
    this.inputs?.close();
  }

  /**
   * Takes over what the previous agent handed over, then converges to its last command: only
   * instances that did not survive the handover are started.
   */
  async adopt(state: Omit<WorkloadHandover, "ref">): Promise<number> {
    // Links: the endpoints file the instances read is kept current again; artifact: found in
    // the cache and reported as it was. A failure here only matters to the next start.
    await this.inputs?.forStart().catch(() => undefined);
    this.restarts = state.restarts;
    this.lastError = state.lastError;
    for (const instance of [...state.instances].sort((a, b) => a.index - b.index)) {
      const slot = this.newSlot(instance.index);
      if (slot.adopt(instance)) this.slots.push(slot);
    }
    return this.converge(state.desired, state.lastCommandId);
  }

  /** Leaves every instance running for the next agent (after commands in progress finish). */
  handOver(): Promise<WorkloadHandover> {
    return this.mutex.run(async () => ({
      ref: this.ref,
      desired: this.desired,
      lastCommandId: this.lastCommandId,
      restarts: this.restarts,
      lastError: this.lastError,
      instances: this.slots.flatMap((s) => s.detach() ?? []),
    }));
  }

  /** Stops every instance (host shutdown); `desired` stays as the last command said. */
  stopAll(): Promise<void> {
    return this.mutex.run(() => this.shrink([...this.slots]));
  }

  private async grow(n: number): Promise<void> {
    const added: SupervisedInstance<P>[] = [];
    for (let i = 0; i < n; i++) {
      const slot = this.newSlot(this.freeIndex());
      this.slots.push(slot);
      added.push(slot);
    }
    const starts = Promise.all(added.map((s) => s.start()));
    // A download can take minutes: answer the command now; the inventory shows the progress.
    if (!this.inputs?.slow) await starts;
  }

  /**
   * Scaling down: the victims that others can reach leave the reported endpoints first (the
   * record is written, linked components' endpoint files follow), then stop after `drainMs`.
   */
  private async drainThenShrink(victims: SupervisedInstance<P>[]): Promise<void> {
    const drainMs = this.ctx.drainMs ?? 0;
    if (drainMs > 0 && victims.some((s) => s.port !== undefined)) {
      for (const s of victims) this.draining.add(s);
      this.ctx.onChange();
      await new Promise((resolve) => setTimeout(resolve, drainMs));
    }
    try {
      await this.shrink(victims);
    } finally {
      for (const s of victims) this.draining.delete(s);
    }
  }

  private async shrink(victims: SupervisedInstance<P>[]): Promise<void> {
    // Newest first is the caller's choice of `victims`; stopping them in parallel is safe.
    await Promise.all(victims.map((s) => s.stop(this.ctx.stopGraceMs)));
    this.slots = this.slots.filter((s) => !victims.includes(s));
    this.ctx.onChange();
  }

  /** Lowest index no slot uses (slots being stopped included: they still own their log file). */
  private freeIndex(): number {
    const used = new Set(this.slots.map((s) => s.index));
    let index = 0;
    while (used.has(index)) index++;
    return index;
  }

  private newSlot(index: number): SupervisedInstance<P> {
    const spec = { hostId: this.ctx.hostId, workload: this.ref, properties: this.properties, index };
    const inputs = this.inputs;
    const prepare = inputs ? () => inputs.forStart() as Promise<Partial<InstanceSpec<P>>> : undefined;
    return new SupervisedInstance(
      this.ctx.driver,
      spec,
      this.ctx.backoff,
      {
        onChange: () => this.ctx.onChange(),
        onFailure: (failure) => {
          this.lastError = failure.reason;
          this.ctx.onFailure(this, failure);
        },
        onRestart: () => {
          this.restarts++;
        },
      },
      prepare,
    );
  }

  counts(): { running: number; ready: number; failed: number } {
    let running = 0;
    let ready = 0;
    let failed = 0;
    for (const slot of this.slots) {
      if (slot.alive) running++;
      if (slot.phase === "ready") ready++;
      if (slot.phase === "backoff") failed++;
    }
    return { running, ready, failed };
  }

  inventory(withPids: boolean): WorkloadInventory {
    const entry: WorkloadInventory = {
      app: this.ref.app,
      component: this.ref.component,
      rev: this.ref.rev,
      desired: this.desired,
      ...this.counts(),
      restarts: this.restarts,
      lastError: this.lastError,
      lastCommandId: this.lastCommandId,
      readyAt: this.slots.flatMap((s) => (s.readyAt === undefined ? [] : [s.readyAt])).sort((a, b) => a - b),
    };
    if (withPids) {
      entry.pids = this.slots.map((s) => s.pid).filter((pid): pid is number => pid !== undefined);
    }
    const probe = this.slots.find((s) => s.failingProbe)?.failingProbe;
    if (probe) entry.probe = probe;
    const endpoints = this.slots.flatMap((s) =>
      s.port === undefined || this.draining.has(s) ? [] : [endpoint(this.ctx.address, s.port)],
    );
    if (endpoints.length > 0) entry.endpoints = endpoints.sort();
    const artifact = this.inputs?.report();
    if (artifact) entry.artifact = artifact;
    return entry;
  }
}

/** `10.0.0.5:4312`, or `[fd00::5]:4312` for an IPv6 address. */
export function endpoint(address: string, port: number): string {
  return address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`;
}
