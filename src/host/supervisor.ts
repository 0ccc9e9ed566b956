/**
 * Supervision of one instance slot, independent of the driver: start, notice readiness and
 * unexpected exits, restart with exponential backoff, stop on request.
 *
 * Backoff: the n-th consecutive failure waits `baseMs · 2^(n-1)`, capped at `maxMs` (defaults
 * 1 s doubling to 60 s). The failure streak resets when an instance had been *ready* for at
 * least `resetAfterMs` (default 10 s) before it failed: readiness, not mere liveness, is what
 * shows that the instance works, and 10 s is long enough to rule out a crash loop while short
 * enough that a rare crash of a healthy instance is retried after 1 s again.
 */
import { errorMessage } from "../errors.js";
import type {
  Driver,
  HandedInstance,
  InstanceEvents,
  InstanceExit,
  InstanceHandle,
  InstanceSpec,
  ProbeReport,
} from "./drivers/types.js";

export interface BackoffPolicy {
  /** Delay before the first restart. Default 1 s. */
  baseMs: number;
  /** Upper bound of the delay. Default 60 s. */
  maxMs: number;
  /** Ready time after which the failure streak is forgotten. Default 10 s. */
  resetAfterMs: number;
}

export const DEFAULT_BACKOFF: Readonly<BackoffPolicy> = Object.freeze({
  baseMs: 1_000,
  maxMs: 60_000,
  resetAfterMs: 10_000,
});

/** Delay before restarting after `failures` consecutive failures (≥ 1). */
export function restartDelay(policy: BackoffPolicy, failures: number): number {
  const exponent = Math.min(Math.max(failures, 1) - 1, 30);
  return Math.min(policy.baseMs * 2 ** exponent, policy.maxMs);
}

export interface InstanceFailure {
  reason: string;
  exitCode: number | null;
  signal: string | null;
}

export function describeExit(exit: InstanceExit): string {
  if (exit.reason) return exit.reason;
  const how = exit.exitCode !== null ? `exited with code ${exit.exitCode}` : `killed by ${exit.signal}`;
  return exit.lastStderr ? `${how}: ${exit.lastStderr}` : how;
}

export interface SupervisorHooks {
  /** The phase changed (running/ready/failed counts may differ). */
  onChange(): void;
  /** The instance ended unexpectedly or could not start. Called before the matching onChange. */
  onFailure(failure: InstanceFailure): void;
  /** A restart after backoff begins. */
  onRestart(): void;
}

export type InstancePhase = "starting" | "running" | "ready" | "backoff" | "stopping" | "stopped";

/** One launch of the instance; callbacks of an older launch are ignored. */
interface Run {
  handle?: InstanceHandle;
  ready: boolean;
  exit?: InstanceExit;
}

export class SupervisedInstance<P = unknown> {
  private phaseValue: InstancePhase = "stopped";
  private run: Run | undefined;
  private launching: Promise<void> | undefined;
  private stopRequested = false;
  private failures = 0;
  private readySince = 0;
  private backoffTimer: NodeJS.Timeout | undefined;
  private probeFailure: string | undefined;
  private announceStop: () => void = () => undefined;
  /** Resolves when stop() is called: a launch still preparing gives up instead of waiting. */
  private readonly stopped = new Promise<void>((resolve) => {
    this.announceStop = resolve;
  });

  constructor(
    private readonly driver: Driver<P>,
    readonly spec: InstanceSpec<P>,
    private readonly policy: BackoffPolicy,
    private readonly hooks: SupervisorHooks,
    /**
     * What the host provides for each start (endpoints, the artifact): run before every launch,
     * so a restart sees current endpoints and re-verifies the artifact. A rejection is a failed
     * start, retried with backoff.
     */
    private readonly prepare?: () => Promise<Partial<InstanceSpec<P>>>,
  ) {}

  get phase(): InstancePhase {
    return this.phaseValue;
  }

  get index(): number {
    return this.spec.index;
  }

  /** When the instance last became ready (ms since the epoch), while it is ready. */
  get readyAt(): number | undefined {
    return this.phaseValue === "ready" && this.readySince > 0 ? this.readySince : undefined;
  }

  /** The instance exists (launched and not yet exited). */
  get alive(): boolean {
    return this.phaseValue === "running" || this.phaseValue === "ready" || this.phaseValue === "stopping";
  }

  get pid(): number | undefined {
    return this.alive ? this.run?.handle?.pid : undefined;
  }

  /** Port of a ready instance: where it can be reached (endpoints list only ready instances). */
  get port(): number | undefined {
    return this.phaseValue === "ready" ? this.run?.handle?.port : undefined;
  }

  /** The last failing probe answer of the current launch, until that probe passes again. */
  get failingProbe(): string | undefined {
    return this.probeFailure;
  }

  get stopping(): boolean {
    return this.stopRequested;
  }

  /** Launches the instance; resolves once it runs or its failure has been recorded. */
  start(): Promise<void> {
    this.launching = this.launch();
    return this.launching;
  }

  /** Stops the instance (and any pending restart); resolves when it is gone. */
  async stop(graceMs: number): Promise<void> {
    this.stopRequested = true;
    this.announceStop();
    clearTimeout(this.backoffTimer);
    await this.launching;
    const run = this.run;
    if (run?.handle && !run.exit) {
      this.setPhase("stopping");
      await run.handle.stop(graceMs);
    }
    this.setPhase("stopped");
  }

  private async launch(): Promise<void> {
    const run: Run = { ready: false };
    this.run = run;
    this.probeFailure = undefined;
    this.setPhase("starting");
    try {
      const spec = await this.specForStart();
      if (!spec) {
        this.setPhase("stopped");
        return;
      }
      run.handle = await this.driver.start(spec, this.eventsOf(run));
    } catch (err) {
      if (this.stopRequested) this.setPhase("stopped");
      else this.fail({ reason: `failed to start: ${errorMessage(err)}`, exitCode: null, signal: null });
      return;
    }
    // Callbacks may have fired before start() resolved; apply them now in order.
    if (run.exit) this.exitOf(run, run.exit);
    else if (run.ready) this.readyOf(run);
    else this.setPhase("running");
  }

  /**
   * Takes over an instance the previous agent handed over (`--keep-instances`), keeping its
   * readiness (and when it became ready). False when the driver could not: start it instead.
   */
  adopt(instance: HandedInstance): boolean {
    const run: Run = { ready: false };
    const handle = this.driver.adopt?.(this.spec, instance, this.eventsOf(run));
    if (!handle) return false;
    run.handle = handle;
    this.run = run;
    if (run.exit) this.exitOf(run, run.exit);
    else if (instance.ready) {
      run.ready = true;
      this.readySince = instance.readyAt ?? Date.now();
      this.setPhase("ready");
    } else this.setPhase("running");
    return true;
  }

  /**
   * Leaves the instance running for the next agent and stops supervising it (no restart, no
   * callbacks). What the next agent needs to adopt it; undefined when nothing runs to hand over.
   */
  detach(): HandedInstance | undefined {
    this.stopRequested = true;
    clearTimeout(this.backoffTimer);
    const handle = this.run?.handle;
    if (!this.alive || !handle?.detach || handle.pid === undefined) return undefined;
    handle.detach();
    return {
      index: this.index,
      pid: handle.pid,
      port: handle.port,
      ready: this.phaseValue === "ready",
      readyAt: this.readyAt,
    };
  }

  private eventsOf(run: Run): InstanceEvents {
    return {
      onReady: () => this.readyOf(run),
      onUnready: () => this.unreadyOf(run),
      onProbe: (report) => this.probeOf(run, report),
      onExit: (exit) => this.exitOf(run, exit),
    };
  }

  /** The spec plus what `prepare` provides; undefined when stop() came first. */
  private async specForStart(): Promise<InstanceSpec<P> | undefined> {
    if (!this.prepare) return this.spec;
    const preparing = this.prepare();
    // If stop() wins the race, nobody awaits `preparing` any more: keep its rejection quiet.
    preparing.catch(() => undefined);
    const extra = await Promise.race([preparing, this.stopped.then(() => undefined)]);
    return extra && !this.stopRequested ? { ...this.spec, ...extra } : undefined;
  }

  private readyOf(run: Run): void {
    run.ready = true;
    if (run !== this.run || !run.handle || run.exit || this.stopRequested) return;
    this.readySince = Date.now();
    this.setPhase("ready");
  }

  private unreadyOf(run: Run): void {
    run.ready = false;
    if (run !== this.run || !run.handle || run.exit || this.stopRequested) return;
    this.readySince = 0;
    this.setPhase("running");
  }

  private probeOf(run: Run, report: ProbeReport): void {
    if (run !== this.run) return;
    const next = report.ok
      ? this.probeFailure?.startsWith(report.probe)
        ? undefined
        : this.probeFailure
      : report.message;
    if (next === this.probeFailure) return;
    this.probeFailure = next;
    this.hooks.onChange();
  }

  private exitOf(run: Run, exit: InstanceExit): void {
    run.exit = exit;
    if (run !== this.run || !run.handle || this.stopRequested) return;
    this.fail({ reason: describeExit(exit), exitCode: exit.exitCode, signal: exit.signal });
  }

  private fail(failure: InstanceFailure): void {
    const wasStable = this.readySince > 0 && Date.now() - this.readySince >= this.policy.resetAfterMs;
    this.failures = wasStable ? 1 : this.failures + 1;
    this.readySince = 0;
    const delay = restartDelay(this.policy, this.failures);
    this.hooks.onFailure(failure);
    this.setPhase("backoff");
    this.backoffTimer = setTimeout(() => {
      if (this.stopRequested) return;
      this.hooks.onRestart();
      void this.start();
    }, delay);
  }

  private setPhase(phase: InstancePhase): void {
    if (phase === this.phaseValue) return;
    this.phaseValue = phase;
    this.hooks.onChange();
  }
}
