/**
 * The optional YAML config file (`--config FILE`, env NADM_CONFIG) and how it is layered under
 * the command line: flags > environment > file > defaults (STYLE §9). The file's keys are the
 * long flag names in camelCase (`--heartbeat-interval` → `heartbeatInterval`, `--label` →
 * `label`), connection settings at the top, each long-running verb's options in its section.
 */
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { parse as parseYaml, stringify as toYaml } from "yaml";
import { z } from "zod";
import { readDuration } from "../duration.js";
import { ErrorCode, NadmError } from "../errors.js";
import { humanError, toDetails } from "../manifests/issues.js";

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

const duration = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const ms = readDuration(v);
  if (typeof ms === "string") {
    ctx.addIssue({ code: "custom", message: ms });
    return z.NEVER;
  }
  return ms;
});
const text = z.string().min(1);
const port = z.number().int().min(0).max(65535);
const count = z.number().int().min(0);
const labels = z.record(text, z.string());

const controllerSection = z.strictObject({
  scaler: z.array(text).optional(),
  httpPort: port.optional(),
  dashboardActions: z.boolean().optional(),
  tickInterval: duration.optional(),
  resyncInterval: duration.optional(),
  inflightTimeout: duration.optional(),
  concurrency: count.optional(),
  reconcileGap: duration.optional(),
  retryBase: duration.optional(),
  retryMax: duration.optional(),
  remoteScalerTimeout: duration.optional(),
  replicas: count.optional(),
  statusHistory: count.optional(),
  streamMaxAge: duration.optional(),
  maxVersions: count.optional(),
});

const hostSection = z.strictObject({
  hostId: text.optional(),
  label: labels.optional(),
  driver: z.enum(["process", "sim"]).optional(),
  dataDir: text.optional(),
  heartbeatInterval: duration.optional(),
  advertiseAddress: text.optional(),
  maxArtifactBytes: count.optional(),
  artifactCacheKeep: duration.optional(),
  drain: duration.optional(),
  allowCommand: z.array(text).optional(),
  runAs: text.optional(),
  keepInstances: z.boolean().optional(),
  httpPort: port.optional(),
  simHosts: count.optional(),
  simZones: text.optional(),
  simStartMs: count.optional(),
  simFailRate: z.number().min(0).max(1).optional(),
});

const upSection = controllerSection.extend({
  dataDir: text.optional(),
  port: port.optional(),
  hosts: count.optional(),
  label: labels.optional(),
  heartbeatInterval: duration.optional(),
  natsServer: text.optional(),
  deploy: text.optional(),
});

export const configFileSchema = z.strictObject({
  natsUrl: text.optional(),
  lattice: text.optional(),
  creds: text.optional(),
  user: text.optional(),
  password: text.optional(),
  tlsCa: text.optional(),
  tlsCert: text.optional(),
  tlsKey: text.optional(),
  logLevel: z.enum(LOG_LEVELS).optional(),
  controller: controllerSection.optional(),
  host: hostSection.optional(),
  up: upSection.optional(),
});
export type ConfigFile = z.output<typeof configFileSchema>;
export type Section = "controller" | "host" | "up";

/** A config file that cannot be read or does not validate (exit code 2, problems by path). */
export class InvalidConfigError extends NadmError {
  override name = "InvalidConfigError";
  constructor(message: string, details: { path: string; message: string }[] = []) {
    super(ErrorCode.BadRequest, message, details);
  }
}

/** Reads and validates the file; no file → an empty config. */
export function loadConfigFile(path: string | undefined): ConfigFile {
  if (path === undefined) return {};
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, "utf8"));
  } catch (err) {
    throw new InvalidConfigError(`config file ${path}: ${(err as Error).message}`);
  }
  const parsed = configFileSchema.safeParse(raw ?? {}, { error: humanError });
  if (!parsed.success) {
    const details = toDetails(parsed.error.issues);
    throw new InvalidConfigError(`invalid config file ${path}`, details);
  }
  return parsed.data;
}

type Layer = Record<string, unknown>;

/** Later layers win; an undefined value never hides an earlier one. */
export function layer(...layers: readonly Layer[]): Layer {
  const out: Layer = {};
  for (const l of layers) for (const [k, v] of Object.entries(l)) if (v !== undefined) out[k] = v;
  return out;
}

/**
 * A verb's options with flags given on the command line over `env` over `file` over the flags'
 * own defaults (commander tells which values the user typed).
 */
export function effectiveFlags<T>(cmd: Command, file: Layer = {}, env: Layer = {}): T {
  const given: Layer = {};
  const defaults: Layer = {};
  for (const opt of cmd.options) {
    const key = opt.attributeName();
    const value = cmd.getOptionValue(key);
    if (value === undefined) continue;
    if (cmd.getOptionValueSource(key) === "default") defaults[key] = value;
    else given[key] = value;
  }
  return layer(defaults, file, env, given) as T;
}

/** What `--print-config` shows: secrets replaced, also a password inside a NATS URL. */
export function redact<T>(value: T): T {
  return JSON.parse(
    JSON.stringify(value, (key, v) => {
      if (key === "password" && v !== undefined) return "<redacted>";
      if (key === "natsUrl" && typeof v === "string") {
        return v.replace(/(\/\/[^:/@,]+:)[^@/,]+@/g, "$1<redacted>@");
      }
      return v;
    }),
  ) as T;
}

/** `--print-config`: the effective configuration, redacted, as YAML (or JSON with --json). */
export function printConfig(value: unknown, opts: { json?: boolean }): void {
  const { printConfig: _, ...rest } = value as Record<string, unknown>;
  const safe = redact(rest);
  process.stdout.write(opts.json ? `${JSON.stringify(safe, null, 2)}\n` : toYaml(safe));
}
