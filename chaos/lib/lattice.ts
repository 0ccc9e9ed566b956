/**
 * A lattice under chaos: controller and sim-host processes (test/support/processes), an API
 * client, the apps of a run, and the measurements every scenario ends with. Scenarios (in
 * chaos/scenarios/) inject their faults in between.
 */
import type { NatsConnection } from "@nats-io/transport-node";
import { ApiClient } from "../../src/api/client.js";
import { hostRecords, openHostsKv } from "../../test/support/lattice.js";
import { zonedApp } from "../../test/support/manifests.js";
import { type NadmProcess, spawnNadm } from "../../test/support/processes.js";
import { waitFor } from "../../test/support/wait.js";
import { type Expectation, placementProblems } from "./placement.js";

export interface LatticeOptions {
  natsUrl: string;
  /** Extra `nadm controller` flags (e.g. `--replicas 3`). */
  controllerArgs?: string[];
  log?: (line: string) => void;
}

/** Calls `fn` until it succeeds (NATS or a replica may be down for a while). */
export function retrying<T>(fn: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
  return waitFor(() => fn().catch(() => undefined) as Promise<T | undefined>, { timeoutMs, intervalMs: 100 });
}

export class ChaosLattice {
  readonly controllers: NadmProcess[] = [];
  /** Sim-host processes by their host-id prefix. */
  readonly hosts = new Map<string, NadmProcess>();
  private readonly hostArgs = new Map<string, string[]>();
  /** When each sim-host process was last started: records older than that are a previous life's. */
  readonly hostsStartedAt = new Map<string, number>();
  private readonly env: Record<string, string>;

  private constructor(
    readonly nc: NatsConnection,
    readonly api: ApiClient,
    private readonly opts: LatticeOptions,
  ) {
    // CHAOS_LOG_LEVEL=debug shows what each controller reconciled, for a run that failed.
    this.env = { NATS_URL: opts.natsUrl, NADM_LOG_LEVEL: process.env.CHAOS_LOG_LEVEL ?? "warn" };
  }

  static async open(nc: NatsConnection, opts: LatticeOptions): Promise<ChaosLattice> {
    return new ChaosLattice(nc, new ApiClient(nc, "default", 3_000), opts);
  }

  /**
   * Controllers resync only every 10 minutes: a run must converge through events, watches and
   * the reconnect path, never by waiting for the periodic net.
   */
  startController(i: number): NadmProcess {
    const args = ["controller", "--resync-interval", "600s", ...(this.opts.controllerArgs ?? [])];
    const p = spawnNadm(`controller-${i}`, args, this.env);
    this.controllers[i] = p;
    return p;
  }

  async killController(i: number): Promise<void> {
    await this.controllers[i]?.kill();
  }

  /** A sim-host process with `count` hosts `{prefix}-0…`, zones a, b, c round-robin. */
  startHosts(prefix: string, count: number, heartbeat = "1s"): NadmProcess {
    const args = ["host", "--driver", "sim", "--sim-hosts", String(count), "--host-id", prefix];
    this.hostArgs.set(prefix, [...args, "--heartbeat-interval", heartbeat, "--sim-zones", "a,b,c"]);
    const p = spawnNadm(`hosts-${prefix}`, this.hostArgs.get(prefix)!, this.env);
    this.hosts.set(prefix, p);
    this.hostsStartedAt.set(prefix, Date.now());
    return p;
  }

  async killHosts(prefix: string): Promise<void> {
    await this.hosts.get(prefix)?.kill();
  }

  /** Starts a killed sim-host process again with the same host ids. */
  restartHosts(prefix: string): void {
    this.hosts.set(prefix, spawnNadm(`hosts-${prefix}`, this.hostArgs.get(prefix)!, this.env));
    this.hostsStartedAt.set(prefix, Date.now());
  }

  /**
   * Waits until every host of every sim-host process has written a record of its current life:
   * until then the records of a killed process's hosts still say what that life ran.
   */
  async waitRestarted(timeoutMs: number): Promise<void> {
    const kv = await openHostsKv(this.nc);
    await waitFor(
      async () => {
        const records = await hostRecords(kv);
        for (const [prefix, args] of this.hostArgs) {
          const count = Number(args[args.indexOf("--sim-hosts") + 1]);
          const since = this.hostsStartedAt.get(prefix) ?? 0;
          const current = records.filter(
            (r) => r.hostId.startsWith(`${prefix}-`) && Date.parse(r.startedAt) >= since,
          );
          if (current.length < count) return false;
        }
        return true;
      },
      { timeoutMs, intervalMs: 100, what: "every restarted host's new record" },
    );
  }

  async waitReady(hosts: number): Promise<void> {
    await retrying(() => this.api.list());
    const kv = await openHostsKv(this.nc);
    await waitFor(async () => (await hostRecords(kv)).length === hosts, {
      timeoutMs: 60_000,
      what: `${hosts} hosts`,
    });
  }

  async deploy(i: number): Promise<void> {
    const put = await retrying(() => this.api.put(zonedApp(i)));
    await retrying(() => this.api.deploy(put.name, put.version));
  }

  async undeploy(i: number): Promise<void> {
    await retrying(() => this.api.undeploy(`app-${i}`));
  }

  /** What is wrong now (empty: converged): statuses, placements, undeployed apps still running. */
  async problems(expect: Expectation): Promise<string[]> {
    const list = await this.api.list();
    const out: string[] = [];
    for (const a of list.apps) {
      const deployed = expect.deployed.has(a.name);
      if (deployed && a.phase !== "deployed") out.push(`${a.name}: ${a.phase} (${a.message})`);
      if (!deployed && a.phase !== "undeployed") out.push(`${a.name}: ${a.phase}, should be undeployed`);
    }
    const missing = [...expect.deployed.keys()].filter((n) => !list.apps.some((a) => a.name === n));
    if (missing.length > 0) out.push(`not stored: ${missing.join(", ")}`);
    const records = await hostRecords(await openHostsKv(this.nc));
    return [...out, ...placementProblems(records, expect)];
  }

  /** Waits until `problems` is empty; resolves with when, or throws naming what was left. */
  async converged(expect: Expectation, timeoutMs: number): Promise<number> {
    let last: string[] = [];
    try {
      return await waitFor(
        async () => {
          last = await this.problems(expect).catch((e: Error) => [`cannot read: ${e.message}`]);
          return last.length === 0 && Date.now();
        },
        { timeoutMs, intervalMs: 250, what: "convergence" },
      );
    } catch (err) {
      throw new Error(`${(err as Error).message}:\n  ${last.slice(0, 20).join("\n  ")}`);
    }
  }

  /** Output of every process, for a failed run. */
  dump(): string {
    const all = [...this.controllers, ...this.hosts.values()].filter(Boolean);
    return all.map((p) => `--- ${p.name}\n${p.output().slice(-3000)}`).join("\n");
  }

  async close(): Promise<void> {
    await Promise.all([...this.controllers, ...this.hosts.values()].map((p) => p?.kill()));
  }
}
