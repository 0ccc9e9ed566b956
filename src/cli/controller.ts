/**
 * `nadm controller` (one replica) and `nadm up` (embedded nats-server + controller + hosts).
 */
import { createServer } from "node:net";
import { join, resolve as resolvePath } from "node:path";
import type { Command } from "commander";
import { ApiClient } from "../api/client.js";
import { controllerSchema, resolve, resourcesEnvDefaults, resourcesSchema } from "../config.js";
import { startController } from "../controller.js";
import { NatsServerNotFoundError, startNatsServer } from "../embedded/nats-server.js";
import type { HostAgent } from "../host/agent.js";
import { agentsReady } from "../host/observe.js";
import { createLogger } from "../log.js";
import { createHostMetrics, createMetrics } from "../metrics.js";
import { loadScalers } from "../plugins.js";
import { closeConnection, connectNats } from "../streams/connection.js";
import { readManifestInput } from "./app.js";
import { effectiveFlags, printConfig } from "./config-file.js";
import { configFile, connectionConfig, fail, globals, logLevel } from "./context.js";
import { startLocalHosts } from "./hosts.js";
import { collect, collectLabel, parseDuration, parseInteger } from "./options.js";
import { EXIT } from "./output.js";
import { shutdownSignal } from "./signals.js";

interface ControllerFlags {
  scaler?: string[];
  scalerDeadline?: number;
  httpPort?: number;
  dashboardActions?: boolean;
  tickInterval?: number;
  resyncInterval?: number;
  inflightTimeout?: number;
  concurrency?: number;
  reconcileGap?: number;
  replicas?: number;
  statusHistory?: number;
  streamMaxAge?: number;
  retryBase?: number;
  retryMax?: number;
  maxVersions?: number;
  remoteScalerTimeout?: number;
  printConfig?: boolean;
}

function addControllerOptions(cmd: Command): Command {
  return cmd
    .option("--print-config", "print the effective configuration (secrets redacted) and exit")
    .option("--scaler <path>", "load a custom scaler module (repeatable)", collect)
    .option(
      "--scaler-deadline <duration>",
      "how long one custom scaler call may run before it is stopped (default: 50ms)",
      parseDuration,
    )
    .option(
      "--remote-scaler-timeout <duration>",
      "how long a remote scaler (nadm.scaler.*) may take to answer (default: 1s)",
      parseDuration,
    )
    .option(
      "--http-port <port>",
      "serve the dashboard, /livez, /readyz and /metrics on this port",
      parseInteger,
    )
    .option(
      "--dashboard-actions",
      "let the dashboard deploy, undeploy, pause, resume and roll back (default: read-only)",
    )
    .option("--tick-interval <duration>", "lattice tick period (default: 1s)", parseDuration)
    .option(
      "--resync-interval <duration>",
      "re-reconcile every deployed app this often (default: 30s)",
      parseDuration,
    )
    .option(
      "--inflight-timeout <duration>",
      "how long an issued command counts as pending (default: 30s)",
      parseDuration,
    )
    .option(
      "--concurrency <n>",
      "messages each pull asks for (default: 64); events in hand are bounded by the durable's max_ack_pending (1,000 across replicas), not by this",
      parseInteger,
    )
    .option(
      "--reconcile-gap <duration>",
      "least time between two reconciles of one app; reports arriving within it share one (default: 20ms)",
      parseDuration,
    )
    .option(
      "--retry-base <duration>",
      "wait before retrying a refused command, doubled per attempt (default: 1s)",
      parseDuration,
    )
    .option(
      "--retry-max <duration>",
      "longest wait between retries of a refused command (default: 60s)",
      parseDuration,
    )
    .option("--replicas <n>", "stream/KV replicas for clustered NATS: 1, 3 or 5 (default: 1)", parseInteger)
    .option(
      "--status-history <n>",
      "status transitions kept per app for `app history`, at most 64 (default: 64)",
      parseInteger,
    )
    .option(
      "--stream-max-age <duration>",
      "how long events and commands are kept, e.g. for `app history --commands` (default: 1h)",
      parseDuration,
    )
    .option(
      "--max-versions <n>",
      "versions kept per app, plus the deployed and previous ones (env NADM_MAX_VERSIONS, default 100)",
      parseInteger,
    );
}

function controllerConfigs(f: ControllerFlags) {
  return {
    resources: resolve(resourcesSchema, {
      replicas: f.replicas,
      statusHistory: f.statusHistory,
      streamMaxAgeMs: f.streamMaxAge,
      ...(f.maxVersions === undefined ? {} : { maxVersions: f.maxVersions }),
    }),
    controller: resolve(controllerSchema, {
      scalerPaths: f.scaler ?? [],
      scalerDeadlineMs: f.scalerDeadline,
      httpPort: f.httpPort,
      dashboardActions: f.dashboardActions === true,
      tickIntervalMs: f.tickInterval,
      resyncIntervalMs: f.resyncInterval,
      inflightTimeoutMs: f.inflightTimeout,
      concurrency: f.concurrency,
      reconcileGapMs: f.reconcileGap,
      retryBaseMs: f.retryBase,
      retryMaxMs: f.retryMax,
      remoteScalerTimeoutMs: f.remoteScalerTimeout,
    }),
  };
}

export function registerController(program: Command): void {
  addControllerOptions(
    program.command("controller").description("run one controller replica (API, reconcile, dispatch, tick)"),
  ).action(async (_flags: ControllerFlags, cmd: Command) => {
    const opts = globals(cmd);
    try {
      const flags = effectiveFlags<ControllerFlags>(cmd, configFile(opts).controller, resourcesEnvDefaults());
      const cfg = connectionConfig(opts, "nadm-controller");
      const { resources, controller } = controllerConfigs(flags);
      const level = logLevel(opts);
      if (flags.printConfig)
        return printConfig({ connection: cfg, logLevel: level, controller, resources }, opts);
      const log = createLogger({ level, name: "nadm-controller" });
      const registry = await loadScalers(controller.scalerPaths);
      const nc = await connectNats(cfg, { waitOnFirstConnect: true });
      const replica = await startController({ nc, resources, controller, registry, log });
      const sig = await shutdownSignal();
      log.info({ sig }, "stopping controller");
      await replica.stop();
      await closeConnection(nc);
      process.exit(EXIT.ok);
    } catch (err) {
      fail(err, opts.json === true);
    }
  });
}

interface UpFlags extends ControllerFlags {
  dataDir: string;
  port: number;
  hosts: number;
  label?: Record<string, string>;
  natsServer?: string;
  deploy?: string;
  heartbeatInterval?: number;
}

export function registerUp(program: Command): void {
  addControllerOptions(
    program
      .command("up")
      .description("run everything locally in the foreground: nats-server + a controller + host agent(s)")
      .option("--data-dir <dir>", "where nats-server and the hosts keep their state", ".nadm")
      .option("--port <port>", "nats-server client port", parseInteger, 4222)
      .option("--hosts <n>", "number of process hosts to run", parseInteger, 1)
      .option("--label <k=v>", "label for the hosts (repeatable)", collectLabel)
      .option("--heartbeat-interval <duration>", "host heartbeat period (default: 5s)", parseDuration)
      .option("--nats-server <path>", "nats-server binary (default: found on PATH or in /usr/sbin)")
      .option("--deploy <file>", "store and deploy this manifest once everything is up"),
  ).action(async (_flags: UpFlags, cmd: Command) => {
    const opts = globals(cmd);
    try {
      const file = configFile(opts);
      const flags = effectiveFlags<UpFlags>(cmd, { ...file.controller, ...file.up }, resourcesEnvDefaults());
      const level = logLevel(opts);
      if (flags.printConfig)
        return printConfig({ ...flags, logLevel: level, ...controllerConfigs(flags) }, opts);
      const log = createLogger({ level, name: "nadm" });
      const dataDir = resolvePath(flags.dataDir);
      const server = await startNatsServer({
        storeDir: join(dataDir, "nats"),
        port: flags.port,
        binary: flags.natsServer,
      });
      log.info({ url: server.url, dataDir }, "nats-server started");
      const cfg = connectionConfig({ ...opts, natsUrl: server.url }, "nadm-up");
      const httpPort = flags.httpPort ?? (await portOr0(DEFAULT_UP_HTTP_PORT));
      const { resources, controller } = controllerConfigs({ ...flags, httpPort });
      const registry = await loadScalers(controller.scalerPaths);
      const nc = await connectNats(cfg, { waitOnFirstConnect: true });
      // One registry and one /readyz for everything `up` runs: the controller's and its hosts'.
      const metrics = createMetrics();
      let agents: readonly HostAgent[] = [];
      const readiness = [agentsReady(() => agents), () => (agents.length ? undefined : "hosts starting")];
      const replica = await startController({ nc, resources, controller, registry, log, metrics, readiness });
      const hosts = await startLocalHosts({
        metrics: createHostMetrics(metrics.registry, false),
        nc,
        lattice: cfg.lattice,
        count: flags.hosts,
        labels: flags.label ?? {},
        dataDir,
        heartbeatIntervalMs: flags.heartbeatInterval,
        log,
      });
      agents = hosts.agents;
      if (flags.deploy) await deployFile(new ApiClient(nc, cfg.lattice), flags.deploy);
      printWelcome(server.url, flags, `http://127.0.0.1:${replica.httpPort}/`);
      const sig = await shutdownSignal();
      log.info({ sig }, "stopping: hosts, controller, nats-server");
      await hosts.stop();
      await replica.stop();
      await closeConnection(nc);
      await server.stop();
      process.exit(EXIT.ok);
    } catch (err) {
      if (err instanceof NatsServerNotFoundError) {
        process.stderr.write(`${err.message}\n`);
        process.exit(EXIT.error);
      }
      fail(err, opts.json === true);
    }
  });
}

async function deployFile(client: ApiClient, file: string): Promise<void> {
  const put = await client.put(readManifestInput(file));
  await client.deploy(put.name, put.version);
}

/** `nadm up` serves the dashboard here unless told `--http-port`; another free port if it is taken. */
const DEFAULT_UP_HTTP_PORT = 8080;

function portOr0(port: number): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve(0));
    probe.listen(port, () => probe.close(() => resolve(port)));
  });
}

function printWelcome(url: string, flags: UpFlags, dashboard: string): void {
  const env = flags.port === 4222 ? "" : `NATS_URL=${url} `;
  process.stdout.write(
    [
      "",
      `nadm is up: nats-server at ${url}, 1 controller, ${flags.hosts} host${flags.hosts === 1 ? "" : "s"}.`,
      `Dashboard: ${dashboard}${flags.dashboardActions ? "" : " (read-only; --dashboard-actions adds deploy buttons)"}`,
      flags.deploy ? `Deployed ${flags.deploy}. In another terminal:` : "In another terminal:",
      `  ${env}npx nadm app list`,
      `  ${env}npx nadm app status echo --watch`,
      `  ${env}npx nadm hosts list`,
      `  ${env}npx nadm commands watch`,
      "Ctrl-C stops everything.",
      "",
    ].join("\n"),
  );
}
