/**
 * Global CLI options (ARCHITECTURE §10) resolved once into a Config, plus the helper every
 * verb uses to talk to the API: connect, call, print, exit with the right code.
 */

import type { NatsConnection } from "@nats-io/transport-node";
import { type Command, Option } from "commander";
import { ZodError } from "zod";
import { ApiClient } from "../api/client.js";
import {
  type ConnectionConfig,
  configPathFromEnv,
  connectionSchema,
  envDefaults,
  logLevelEnv,
  resolve,
} from "../config.js";
import { NadmError, toErrorBody } from "../errors.js";
import { connectNats } from "../streams/connection.js";
import { retryUnavailable } from "../streams/unavailable.js";
import { type ConfigFile, InvalidConfigError, LOG_LEVELS, layer, loadConfigFile } from "./config-file.js";
import { parseDuration } from "./options.js";
import { EXIT, printError, printJson } from "./output.js";
import { DEFAULT_TIMEOUT_MS, waitingNotice } from "./retry.js";

export interface GlobalOptions {
  natsUrl?: string;
  lattice?: string;
  creds?: string;
  user?: string;
  password?: string;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  json?: boolean;
  timeout?: number;
  config?: string;
  logLevel?: string;
}

export function addGlobalOptions(program: Command): Command {
  return program
    .option("--nats-url <url>", "NATS server URL(s), comma-separated (env NATS_URL)", undefined)
    .option("--lattice <name>", "lattice name (env NADM_LATTICE)", undefined)
    .option("--creds <file>", "NATS credentials file: JWT + nkey seed (env NATS_CREDS)")
    .option("--user <user>", "NATS user (env NATS_USER)")
    .option("--password <password>", "NATS password (env NATS_PASSWORD)")
    .option("--tls-ca <file>", "CA certificate for TLS (env NATS_TLS_CA)")
    .option("--tls-cert <file>", "client certificate for TLS (env NATS_TLS_CERT)")
    .option("--tls-key <file>", "client key for TLS (env NATS_TLS_KEY)")
    .option("--json", "machine-readable output: one JSON document")
    .option("--config <file>", "YAML config file; flags and environment override it (env NADM_CONFIG)")
    .addOption(
      new Option("--log-level <level>", "log level (env NADM_LOG_LEVEL; default: info)").choices(LOG_LEVELS),
    )
    .option(
      "--timeout <duration>",
      "keep retrying while NATS or the controllers are unavailable, up to this long (default: 10s)",
      parseDuration,
    );
}

/** Connection settings: flags > environment > config file > defaults. */
export function connectionConfig(opts: GlobalOptions, name = "nadm-cli"): ConnectionConfig {
  const { json: _j, timeout: _t, config: _c, logLevel: _l, ...connection } = opts;
  const { logLevel: _fl, controller: _fc, host: _fh, up: _fu, ...fromFile } = configFile(opts);
  return resolve(connectionSchema, layer(fromFile, envDefaults(), connection, { name }));
}

/** The config file `--config` (or NADM_CONFIG) names, validated; none → {}. */
export function configFile(opts: GlobalOptions): ConfigFile {
  return loadConfigFile(opts.config ?? configPathFromEnv());
}

/** --log-level > NADM_LOG_LEVEL > the config file's logLevel > info. */
export function logLevel(opts: GlobalOptions): string {
  const env = logLevelEnv();
  if (env !== undefined && !(LOG_LEVELS as readonly string[]).includes(env)) {
    throw new InvalidConfigError(`NADM_LOG_LEVEL "${env}" is not one of ${LOG_LEVELS.join(", ")}`);
  }
  return opts.logLevel ?? env ?? configFile(opts).logLevel ?? "info";
}

export function globals(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals<GlobalOptions>();
}

/** Prints the error as the user asked and exits: 2 for bad flags or arguments, 1 for everything else. */
export function fail(err: unknown, json: boolean): never {
  if (err instanceof ZodError) {
    const details = err.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
    printError({ code: "bad_request", message: "invalid option", details }, json);
    process.exit(EXIT.usage);
  }
  printError(toErrorBody(err), json);
  process.exit(err instanceof UsageError || err instanceof InvalidConfigError ? EXIT.usage : EXIT.error);
}

/** A mistake in how the command was called (exit code 2). */
export class UsageError extends NadmError {
  override name = "UsageError";
  constructor(message: string) {
    super("bad_request", message);
  }
}

/**
 * Runs one API interaction: connects, calls `fn`, prints its result (`--json`: as JSON; else
 * through `human`), closes the connection and exits 0, or prints the error and exits 1. While
 * NATS or the API is `unavailable` (leader election, controller restart), it retries with
 * backoff until `--timeout`, saying on stderr what it waits for.
 */
export async function withApi<T>(
  cmd: Command,
  fn: (client: ApiClient, nc: NatsConnection) => Promise<T>,
  human: (result: T) => string,
): Promise<void> {
  const opts = globals(cmd);
  const json = opts.json === true;
  const timeoutMs = opts.timeout ?? DEFAULT_TIMEOUT_MS;
  const retry = {
    deadline: Date.now() + timeoutMs,
    what: "NATS",
    onWait: (message: string, leftMs: number) => process.stderr.write(waitingNotice(message, leftMs)),
  };
  // One attempt may not use the whole budget, or a lost request would leave no time to retry.
  const attemptMs = (left: number) => Math.min(left, Math.max(2_000, timeoutMs / 2));
  let nc: NatsConnection | undefined;
  try {
    const cfg = connectionConfig(opts);
    const conn = await retryUnavailable(
      (left) => connectNats(cfg, { timeoutMs: Math.min(left, 3_000) }),
      retry,
    );
    nc = conn;
    const result = await retryUnavailable(
      (left) => fn(new ApiClient(conn, cfg.lattice, attemptMs(left)), conn),
      retry,
    );
    // Streaming verbs (status --watch) print as they go and return nothing more to print.
    if (json && result !== undefined) printJson(result);
    const text = json ? "" : human(result);
    if (text) process.stdout.write(`${text}\n`);
  } catch (err) {
    await nc?.close().catch(() => undefined);
    fail(err, json);
  }
  await nc.close().catch(() => undefined);
}
