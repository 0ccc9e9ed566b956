/**
 * `nadm host` (run a host agent, or a fleet of simulated ones) and `nadm hosts list`.
 */
import { join, resolve as resolvePath } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Command } from "commander";
import { resolveRunAs } from "../host/drivers/process-policy.js";
import { formatHostsTable, HostAgent, listHosts, resolveHostId, runSimFleet } from "../host/index.js";
import { trackInstances } from "../host/observe.js";
import { createLogger, type Logger } from "../log.js";
import { createHostMetrics, type HostMetrics } from "../metrics.js";
import { closeConnection, connectNats } from "../streams/connection.js";
import { BUCKETS } from "../streams/subjects.js";
import { NADM_VERSION } from "../version.js";
import { effectiveFlags, printConfig } from "./config-file.js";
import { configFile, connectionConfig, fail, globals, logLevel, UsageError, withApi } from "./context.js";
import { serveHostProbes } from "./host-probes.js";
import { collect, collectLabel, parseDuration, parseInteger } from "./options.js";
import { EXIT } from "./output.js";
import { shutdownSignal } from "./signals.js";

interface HostFlags {
  hostId?: string;
  label?: Record<string, string>;
  driver: string;
  dataDir: string;
  heartbeatInterval?: number;
  advertiseAddress?: string;
  maxArtifactBytes?: number;
  artifactCacheKeep?: number;
  drain?: number;
  allowCommand?: string[];
  runAs?: string;
  keepInstances?: boolean;
  simHosts: number;
  simZones: string;
  simStartMs: number;
  simFailRate: number;
  httpPort?: number;
  printConfig?: boolean;
}

/** Runs `count` process hosts in this process (for `nadm up`); ids `local-1` … */
export async function startLocalHosts(opts: {
  nc: NatsConnection;
  lattice: string;
  count: number;
  labels: Record<string, string>;
  dataDir: string;
  heartbeatIntervalMs?: number;
  log: Logger;
  /** Where the hosts' series go (`nadm up`: the controller's registry). */
  metrics?: HostMetrics;
}): Promise<{ agents: readonly HostAgent[]; stop(): Promise<void> }> {
  const agents = Array.from(
    { length: opts.count },
    (_, i) =>
      new HostAgent({
        nc: opts.nc,
        lattice: opts.lattice,
        hostId: `local-${i + 1}`,
        labels: opts.labels,
        driver: "process",
        dataDir: join(opts.dataDir, "hosts", `local-${i + 1}`),
        // All on this machine: endpoints on loopback work whatever the network.
        advertiseAddress: "127.0.0.1",
        heartbeatIntervalMs: opts.heartbeatIntervalMs,
        version: NADM_VERSION,
        logger: opts.log,
        metrics: opts.metrics,
      }),
  );
  await Promise.all(agents.map((a) => a.start()));
  const untrack = opts.metrics ? agents.map((a) => trackInstances(opts.metrics!, a)) : [];
  return {
    agents,
    stop: async () => {
      for (const u of untrack) u();
      await Promise.all(agents.map((a) => a.stop()));
    },
  };
}

async function runHost(cmd: Command): Promise<void> {
  const opts = globals(cmd);
  try {
    const flags = effectiveFlags<HostFlags>(cmd, configFile(opts).host);
    const level = logLevel(opts);
    if (flags.printConfig) {
      return printConfig(
        { connection: connectionConfig(opts, "nadm-host"), logLevel: level, host: flags },
        opts,
      );
    }
    const log = createLogger({ level, name: "nadm-host" });
    if (flags.driver !== "process" && flags.driver !== "sim") {
      throw new UsageError(`--driver must be process or sim, not "${flags.driver}"`);
    }
    if (flags.driver === "sim" && (flags.allowCommand || flags.runAs || flags.keepInstances)) {
      throw new UsageError("--allow-command, --run-as and --keep-instances apply to --driver process only");
    }
    // Before connecting: a host that cannot honour --run-as must not wait for NATS first.
    if (flags.runAs) resolveRunAs(flags.runAs, process.getuid?.());
    const cfg = connectionConfig(opts, "nadm-host");
    const dataDir = resolvePath(flags.dataDir);
    const nc = await connectNats(cfg, { waitOnFirstConnect: true });
    const metrics = createHostMetrics();
    let stop: (sig: string) => Promise<unknown>;
    let agents: readonly HostAgent[];
    if (flags.driver === "sim") {
      const fleet = await runSimFleet({
        nc,
        count: flags.simHosts,
        lattice: cfg.lattice,
        hostIdPrefix: flags.hostId ?? "sim",
        labels: flags.label ?? {},
        zones: flags.simZones.split(",").filter(Boolean),
        heartbeatIntervalMs: flags.heartbeatInterval,
        simStartMs: flags.simStartMs,
        simFailRate: flags.simFailRate,
        version: NADM_VERSION,
        logger: log,
        metrics,
      });
      log.info({ hosts: fleet.hostIds.length }, "simulated hosts started");
      stop = () => fleet.stop();
      agents = fleet.agents;
    } else {
      const hostId = await resolveHostId(flags.hostId, dataDir);
      const agent = new HostAgent({
        nc,
        lattice: cfg.lattice,
        hostId,
        labels: flags.label ?? {},
        driver: "process",
        dataDir,
        heartbeatIntervalMs: flags.heartbeatInterval,
        advertiseAddress: flags.advertiseAddress,
        maxArtifactBytes: flags.maxArtifactBytes,
        artifactCacheKeepMs: flags.artifactCacheKeep,
        drainMs: flags.drain,
        allowCommands: flags.allowCommand,
        runAs: flags.runAs,
        keepInstances: flags.keepInstances === true,
        version: NADM_VERSION,
        logger: log,
        metrics,
      });
      await agent.start();
      agents = [agent];
      log.info({ hostId, lattice: cfg.lattice }, "host started");
      // --keep-instances: SIGTERM (an upgrade, a service restart) hands the instances over to
      // the next agent; SIGINT (Ctrl-C) still stops them.
      stop = (sig) => agent.stop({ handOver: sig === "SIGTERM" });
    }
    const probes =
      flags.httpPort === undefined
        ? undefined
        : await serveHostProbes({ port: flags.httpPort, nc, metrics, agents });
    const sig = await shutdownSignal();
    log.info({ sig }, "stopping host");
    await stop(sig);
    probes?.stop();
    await closeConnection(nc);
    process.exit(EXIT.ok);
  } catch (err) {
    fail(err, opts.json === true);
  }
}

export function registerHosts(program: Command): void {
  program
    .command("host")
    .description("run a host agent that runs workloads (or --driver sim: many simulated hosts)")
    .option("--host-id <id>", "stable host id (default: generated once and kept in --data-dir)")
    .option("--label <k=v>", "host label (repeatable)", collectLabel)
    .option("--driver <driver>", "process (real OS processes) or sim (simulated)", "process")
    .option("--data-dir <dir>", "host id, instance logs and pid file", ".nadm/host")
    .option("--heartbeat-interval <duration>", "how often the host reports (default: 5s)", parseDuration)
    .option(
      "--advertise-address <addr>",
      "host part of the endpoints this host reports (default: its first non-loopback IPv4)",
    )
    .option("--max-artifact-bytes <n>", "largest artifact this host fetches (default: 1 GiB)", parseInteger)
    .option(
      "--artifact-cache-keep <duration>",
      "how long an artifact no workload uses stays cached (default: 1h)",
      parseDuration,
    )
    .option(
      "--drain <duration>",
      "on scale-down, how long instances leave the endpoints before they stop (default: 1s; 0s = at once)",
      parseDuration,
    )
    .option(
      "--allow-command <glob>",
      "only run instances whose command matches (repeatable; * within a path segment, ** across; default: any, with a warning)",
      collect,
    )
    .option("--run-as <user>", "run instances as this user (the agent must run as root)")
    .option(
      "--keep-instances",
      "on SIGTERM leave instances running for the next agent with this --host-id and --data-dir, which adopts them (upgrades); SIGINT still stops them",
    )
    .option("--http-port <port>", "serve /livez, /readyz and /metrics on this port", parseInteger)
    .option("--sim-hosts <n>", "with --driver sim: number of simulated hosts", parseInteger, 1)
    .option("--sim-zones <list>", "with --driver sim: zone labels, round-robin", "a,b,c")
    .option(
      "--sim-start-ms <ms>",
      "with --driver sim: time until an instance is ready (0: at once)",
      parseInteger,
      50,
    )
    .option(
      "--sim-fail-rate <rate>",
      "with --driver sim: fraction of instance starts that fail",
      Number.parseFloat,
      0,
    )
    .option("--print-config", "print the effective configuration (secrets redacted) and exit")
    .action(async (_flags: HostFlags, cmd: Command) => runHost(cmd));

  program
    .command("hosts")
    .description("hosts of the lattice")
    .command("list")
    .description("list live hosts with labels, driver, age and workloads")
    .action(async (_o, cmd: Command) => {
      await withApi(
        cmd,
        async (client, nc) => {
          const kvm = new Kvm(nc);
          const [kv, liveness] = await Promise.all([
            kvm.open(BUCKETS.hosts),
            // Absent before controllers of this version provisioned it: last seen from records only.
            kvm.open(BUCKETS.liveness).catch(() => undefined),
          ]);
          return listHosts(kv, await jetstreamManager(nc), client.lattice, liveness);
        },
        (hosts) => (hosts.length === 0 ? "no hosts in this lattice" : formatHostsTable(hosts, Date.now())),
      );
    });
}
