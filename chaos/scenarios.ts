/**
 * The chaos scenarios of issue 8. Each starts a lattice (controllers and sim hosts as separate
 * processes) on the NATS it is given, deploys a burst of apps while injecting its faults,
 * undeploys some apps during the run, and ends with `finish()`: convergence and the invariants.
 * Sizes are parameters: `npm run chaos` runs them full size, `npm test` a short variant.
 */
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { HostRecord } from "../src/streams/host-record.js";
import { hostRecords, openHostsKv } from "../test/support/lattice.js";
import { zonedApp } from "../test/support/manifests.js";
import { ChaosLattice } from "./lib/lattice.js";
import { lostPairs } from "./lib/lives.js";
import type { Expectation } from "./lib/placement.js";
import { type ChaosReport, finish, placedHosts, type RunFacts } from "./lib/report.js";

export interface Sizes {
  hosts: number;
  apps: number;
  /** Apps deployed before the faults and undeployed during them. */
  undeploy: number;
  /** How long faults go on (replica and host chaos). */
  chaosMs: number;
  convergeTimeoutMs: number;
}

export interface HostChaosSizes extends Sizes {
  /** Sim-host processes, killed and restarted a whole one at a time. */
  groups: number;
  /** The hosts' heartbeat interval (default 1s): a host silent for 3 of them is declared lost. */
  heartbeat?: string;
}

export interface NatsUnderTest {
  url: string;
  connect(): Promise<NatsConnection>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function zonedProperties(i: number): { instances: number; spread?: unknown } {
  const m = JSON.parse(zonedApp(i)) as {
    spec: { components: Array<{ traits: Array<{ properties: never }> }> };
  };
  return m.spec.components[0]!.traits[0]!.properties;
}

/** A run's bookkeeping: what is deployed, what was undeployed, the faults and when. */
class Run {
  readonly expect: Expectation = { deployed: new Map(), undeployed: new Set() };
  readonly faults: string[] = [];
  lastFaultAt = 0;
  extraMinimum = 0;
  /** What each addition to `extraMinimum` counted, printed with a failed ratio. */
  readonly accounting: string[] = [];
  private readonly t0 = Date.now();

  constructor(readonly lattice: ChaosLattice) {}

  fault(what: string): void {
    this.faults.push(`${what} @${((Date.now() - this.t0) / 1000).toFixed(1)}s`);
    this.lastFaultAt = Date.now();
  }

  async deploy(i: number): Promise<void> {
    await this.lattice.deploy(i);
    this.expect.deployed.set(`app-${i}`, zonedProperties(i));
  }

  /** Deploys apps 0…n-1 and waits for them: these are undeployed later, during the faults. */
  async deployToUndeploy(n: number, timeoutMs: number): Promise<void> {
    for (let i = 0; i < n; i++) await this.deploy(i);
    await this.lattice.converged(this.expect, timeoutMs);
    // Placing them took one command per host, and undeploying takes one more.
    const placed = await placedHosts(this.lattice, this.expect.deployed.keys());
    this.extraMinimum += 2 * placed;
    this.accounting.push(
      `apps 0…${n - 1} to undeploy: placed on ${placed} (host, app) pairs, 2 commands each`,
    );
  }

  async undeploy(i: number): Promise<void> {
    await this.lattice.undeploy(i);
    this.expect.deployed.delete(`app-${i}`);
    this.expect.undeployed.add(`app-${i}`);
  }

  /** The burst: apps `from`…`to`-1, then the first `undeploy` apps undeployed. */
  async burst(from: number, to: number, undeploy: number, midway?: () => Promise<void>): Promise<void> {
    for (let i = from; i < to; i++) {
      if (midway && i === Math.floor((from + to) / 2)) await midway();
      await this.deploy(i);
    }
    for (let i = 0; i < undeploy; i++) await this.undeploy(i);
  }

  finish(scenario: string, s: Sizes, lateMinimum?: RunFacts["lateMinimum"]): Promise<ChaosReport> {
    const { expect, faults, lastFaultAt, extraMinimum, accounting } = this;
    return finish(this.lattice, {
      scenario,
      expect,
      faults,
      lastFaultAt,
      extraMinimum,
      accounting,
      lateMinimum,
      convergeTimeoutMs: s.convergeTimeoutMs,
    });
  }
}

async function withLattice(
  nats: NatsUnderTest,
  controllerArgs: string[],
  body: (run: Run) => Promise<ChaosReport>,
): Promise<ChaosReport> {
  const nc = await nats.connect();
  const lattice = await ChaosLattice.open(nc, { natsUrl: nats.url, controllerArgs });
  try {
    return await body(new Run(lattice));
  } catch (err) {
    console.log(lattice.dump());
    throw err;
  } finally {
    await lattice.close();
  }
}

/** Faults every `everyMs` until `stop()`; resolves once the loop has ended. */
function repeat(everyMs: number, fault: () => Promise<void>) {
  let on = true;
  const done = (async () => {
    while (on) {
      await sleep(everyMs);
      if (on) await fault();
    }
  })();
  return {
    stop: async () => {
      on = false;
      await done;
    },
  };
}

/** 3 controllers; a random one SIGKILLed and started again every second. */
export function replicaChaos(nats: NatsUnderTest, s: Sizes): Promise<ChaosReport> {
  return withLattice(nats, [], async (run) => {
    const { lattice } = run;
    for (const i of [0, 1, 2]) lattice.startController(i);
    lattice.startHosts("sim", s.hosts);
    await lattice.waitReady(s.hosts);
    await run.deployToUndeploy(s.undeploy, s.convergeTimeoutMs);
    const started = Date.now();
    const chaos = repeat(1_000, async () => {
      const i = Math.floor(Math.random() * 3);
      await lattice.killController(i);
      lattice.startController(i);
      run.fault(`kill controller-${i}`);
    });
    await run.burst(s.undeploy, s.apps, s.undeploy);
    await sleep(Math.max(0, s.chaosMs - (Date.now() - started)));
    await chaos.stop();
    return run.finish("replica chaos", s);
  });
}

/** 2 controllers; nats-server SIGKILLed halfway through the burst, back on its store 2 s later. */
export function natsRestartChaos(
  nats: NatsUnderTest & { restart(o: { crash: boolean; downMs: number }): Promise<void> },
  s: Sizes,
): Promise<ChaosReport> {
  return withLattice(nats, [], async (run) => {
    const { lattice } = run;
    for (const i of [0, 1]) lattice.startController(i);
    lattice.startHosts("sim", s.hosts);
    await lattice.waitReady(s.hosts);
    await run.deployToUndeploy(s.undeploy, s.convergeTimeoutMs);
    await run.burst(s.undeploy, s.apps, s.undeploy, async () => {
      await nats.restart({ crash: true, downMs: 2_000 });
      run.fault("SIGKILL nats-server, restart after 2 s");
    });
    return run.finish("NATS restart mid-burst", s);
  });
}

export interface ClusterUnderTest extends NatsUnderTest {
  kill(i: number): Promise<void>;
  restart(i: number): Promise<void>;
  indexOf(name: string): number;
}

/** 3 clustered nats-servers, R3 everything; the event stream's leader killed mid-burst, restarted later. */
export function clusterChaos(cluster: ClusterUnderTest, s: Sizes): Promise<ChaosReport> {
  return withLattice(cluster, ["--replicas", "3"], async (run) => {
    const { lattice } = run;
    for (const i of [0, 1]) lattice.startController(i);
    // Hosts after the controllers: a host opens buckets a controller has provisioned with R3.
    await lattice.waitReady(0);
    lattice.startHosts("sim", s.hosts);
    await lattice.waitReady(s.hosts);
    await run.deployToUndeploy(s.undeploy, s.convergeTimeoutMs);
    let victim = -1;
    await run.burst(s.undeploy, s.apps, s.undeploy, async () => {
      const jsm = await jetstreamManager(lattice.nc);
      const leader = (await jsm.streams.info("nadm_events")).cluster?.leader ?? "";
      victim = cluster.indexOf(leader);
      await cluster.kill(victim);
      run.fault(`SIGKILL ${leader} (nadm_events leader)`);
    });
    await sleep(2_000);
    await cluster.restart(victim);
    run.fault(`restart node ${victim}`);
    return run.finish("NATS cluster leader loss", s);
  });
}

/** 2 controllers; sim-host processes SIGKILLed and started again with the same host ids. */
export function hostChaos(nats: NatsUnderTest, s: HostChaosSizes): Promise<ChaosReport> {
  return withLattice(nats, [], async (run) => {
    const { lattice } = run;
    for (const i of [0, 1]) lattice.startController(i);
    const per = Math.ceil(s.hosts / s.groups);
    for (let g = 0; g < s.groups; g++) lattice.startHosts(`g${g}`, per, s.heartbeat);
    await lattice.waitReady(per * s.groups);
    await run.deployToUndeploy(s.undeploy, s.convergeTimeoutMs);
    const kv = await openHostsKv(lattice.nc);
    const killed: Array<{ fault: string; lives: HostRecord[] }> = [];
    const started = Date.now();
    const chaos = repeat(2_000, async () => {
      // One group down at a time: two leave fewer hosts in zone b than an app's instances there,
      // and the scaler doubles up, then spreads out again when they are back (the minimum counts
      // neither). A restart that takes long on a loaded machine holds the next kill back.
      await lattice.waitRestarted(s.convergeTimeoutMs);
      const g = Math.floor(Math.random() * s.groups);
      const prefix = `g${g}-`;
      const since = lattice.hostsStartedAt.get(`g${g}`) ?? 0;
      // The current lives' last records (a previous life's not rewritten yet was counted at its kill).
      const lives = (await hostRecords(kv)).filter(
        (r) => r.hostId.startsWith(prefix) && Date.parse(r.startedAt) >= since,
      );
      await lattice.killHosts(`g${g}`);
      lattice.restartHosts(`g${g}`);
      run.fault(`kill hosts g${g}-*`);
      killed.push({ fault: run.faults.at(-1)!, lives });
    });
    await run.burst(s.undeploy, s.apps, s.undeploy);
    await sleep(Math.max(0, s.chaosMs - (Date.now() - started)));
    await chaos.stop();
    // Converged means converged on the hosts' current lives, not on records of killed ones.
    await lattice.waitRestarted(s.convergeTimeoutMs);
    return run.finish("host chaos", s, (commands) => {
      const lost = killed.map((k) => ({ fault: k.fault, pairs: lostPairs(k.lives, commands) }));
      return {
        extra: lost.reduce((n, k) => n + k.pairs.length, 0),
        accounting: lost.map(
          (k) => `${k.fault}: ${k.pairs.length} (host, app) pairs lost: ${k.pairs.join(", ")}`,
        ),
      };
    });
  });
}
