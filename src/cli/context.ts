/**
 * Global CLI options (ARCHITECTURE §10) resolved once into a Config, plus the helper every
 * verb uses to talk to the API: connect, call, print, exit with the right code.
 */

import type { NatsConnection } from "@nats-io/transport-node";
import type { Command } from "commander";
import { ZodError } from "zod";
import { ApiClient } from "../api/client.js";
import { type ConnectionConfig, connectionSchema, envDefaults, resolve } from "../config.js";
import { NadmError, toErrorBody } from "../errors.js";
import { connectNats } from "../streams/connection.js";
import { EXIT, printError, printJson } from "./output.js";

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
}

export function addGlobalOptions(program: Command): Command {
  return program
    .option("--nats-url <url>", "NATS server URL(s), comma-separated (env NATS_URL)", undefined)
    .option("--lattice <name>", "lattice name (env NADM_LATTICE)", undefined)
    .option("--creds <file>", "NATS credentials file")
    .option("--user <user>", "NATS user")
    .option("--password <password>", "NATS password")
    .option("--tls-ca <file>", "CA certificate for TLS")
    .option("--tls-cert <file>", "client certificate for TLS")
    .option("--tls-key <file>", "client key for TLS")
    .option("--json", "machine-readable output: one JSON document");
}

export function connectionConfig(opts: GlobalOptions, name = "nadm-cli"): ConnectionConfig {
  const defined = Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined));
  return resolve(connectionSchema, { ...envDefaults(), ...defined, name });
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
  process.exit(err instanceof UsageError ? EXIT.usage : EXIT.error);
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
 * through `human`), closes the connection and exits 0, or prints the error and exits 1.
 */
export async function withApi<T>(
  cmd: Command,
  fn: (client: ApiClient, nc: NatsConnection) => Promise<T>,
  human: (result: T) => string,
): Promise<void> {
  const opts = globals(cmd);
  const json = opts.json === true;
  let nc: NatsConnection | undefined;
  try {
    const cfg = connectionConfig(opts);
    nc = await connectNats(cfg, { timeoutMs: 3_000 });
    const result = await fn(new ApiClient(nc, cfg.lattice), nc);
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
