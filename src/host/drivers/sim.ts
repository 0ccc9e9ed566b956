/**
 * The `sim` driver: simulated instances for tests and benchmarks. An instance runs as soon as
 * it is started and becomes ready `startMs` later (at once with 0); a seeded fraction `failRate` of starts fail,
 * and go through the same supervision and backoff as a crashing process. No OS resources: one
 * process can host thousands of sim hosts.
 */
import { parseWorkload } from "../../components/catalog.js";
import { seededRandom } from "../../random.js";
import type { Driver, InstanceEvents, InstanceHandle, InstanceSpec, WorkloadRef } from "./types.js";

export interface SimDriverOptions {
  /**
   * Time from start to ready. Default 50 ms. 0: ready as soon as it runs (no "running but not
   * ready" phase), so the record write that reports the start already reports it ready.
   */
  startMs?: number;
  /** Fraction (0..1) of instance starts that fail. Default 0. */
  failRate?: number;
  /** PRNG seed, so failures are repeatable. Default 1. */
  seed?: number;
}

export class SimStartError extends Error {
  override name = "SimStartError";
}

export class SimDriver implements Driver<null> {
  readonly name = "sim" as const;
  private readonly startMs: number;
  private readonly failRate: number;
  private readonly random: () => number;

  constructor(opts: SimDriverOptions = {}) {
    this.startMs = opts.startMs ?? 50;
    this.failRate = opts.failRate ?? 0;
    this.random = seededRandom(opts.seed ?? 1);
  }

  /**
   * Refuses what a real host refuses (the component-type catalog's check, not a host's policy),
   * so a simulated fleet answers bad workloads as a real one; then the properties are not used.
   */
  prepare(workload: WorkloadRef): null {
    parseWorkload(workload);
    return null;
  }

  async start(_spec: InstanceSpec<null>, events: InstanceEvents): Promise<InstanceHandle> {
    if (this.failRate > 0 && this.random() < this.failRate)
      throw new SimStartError("simulated start failure");
    let stopped = false;
    // Before the handle exists: the supervisor applies it once start() resolves (straight to ready).
    if (this.startMs === 0) events.onReady();
    const timer = this.startMs > 0 ? setTimeout(() => events.onReady(), this.startMs) : undefined;
    return {
      stop: async () => {
        if (stopped) return;
        stopped = true;
        clearTimeout(timer);
        events.onExit({ exitCode: 0, signal: null });
      },
    };
  }
}
