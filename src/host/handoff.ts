/**
 * `{dataDir}/handoff.json`: what a host agent stopped with `--keep-instances` leaves to its next
 * life so that it can adopt the instances it left running (docs/operations.md "Upgrading"):
 * the workloads as last commanded, each instance's pid, port and readiness, and what the
 * controller keys on (the record's `startedAt`, the newest command order per workload).
 *
 * Read once and removed at the next start: a later crash must not adopt from a stale file
 * (`instances.json` then says what to kill). Written only at a planned stop, so a crashed
 * agent's instances are never adopted, only killed.
 */
import { chmodSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { errorMessage } from "../errors.js";
import type { Logger } from "../log.js";
import type { Driver } from "./drivers/types.js";

const FILE = "handoff.json";

const instanceSchema = z.object({
  index: z.number().int().min(0),
  pid: z.number().int().positive(),
  port: z.number().int().positive().optional(),
  ready: z.boolean(),
  readyAt: z.number().optional(),
});

const workloadSchema = z.object({
  ref: z.object({
    app: z.string(),
    component: z.string(),
    rev: z.string(),
    key: z.string(),
    type: z.string(),
    spec: z.record(z.string(), z.unknown()),
  }),
  desired: z.number().int().min(0),
  lastCommandId: z.string().nullable(),
  restarts: z.number().int().min(0),
  lastError: z.string().nullable(),
  instances: z.array(instanceSchema),
});

const handoffSchema = z.object({
  version: z.literal(1),
  lattice: z.string(),
  hostId: z.string(),
  writtenAt: z.string(),
  startedAt: z.string(),
  heartbeatSeq: z.number().int().min(0),
  lastOrders: z.record(z.string(), z.object({ epoch: z.string(), seq: z.number() })),
  workloads: z.array(workloadSchema),
});

export type Handoff = z.infer<typeof handoffSchema>;

/** Write-then-rename, readable by the agent's user only (specs may carry secrets in `env`). */
export function writeHandoff(dataDir: string, handoff: Omit<Handoff, "version" | "writtenAt">): void {
  const path = join(dataDir, FILE);
  const tmp = `${path}.tmp`;
  const body: Handoff = { version: 1, writtenAt: new Date().toISOString(), ...handoff };
  writeFileSync(tmp, JSON.stringify(body), { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

/**
 * The handoff left for this host, removed from disk; undefined when there is none, or it is
 * unreadable or another host's (then the leftovers are killed, as after a crash).
 */
export function takeHandoff(
  dataDir: string,
  who: { lattice: string; hostId: string },
  logger: Logger,
): Handoff | undefined {
  const path = join(dataDir, FILE);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
  rmSync(path, { force: true });
  let parsed: ReturnType<typeof handoffSchema.safeParse>;
  try {
    parsed = handoffSchema.safeParse(JSON.parse(text));
  } catch {
    parsed = handoffSchema.safeParse(undefined);
  }
  if (!parsed.success) {
    logger.warn({ path }, "unreadable handoff file: instances left by the previous run are killed");
    return undefined;
  }
  const handoff = parsed.data;
  if (handoff.lattice !== who.lattice || handoff.hostId !== who.hostId) {
    logger.warn(
      { path, was: `${handoff.lattice}/${handoff.hostId}` },
      "handoff file of another host id or lattice: instances left by it are killed",
    );
    return undefined;
  }
  return handoff;
}

/** Pids of every instance handed over. */
export function handedPids(handoff: Handoff | undefined): Set<number> {
  return new Set(handoff?.workloads.flatMap((w) => w.instances.map((i) => i.pid)) ?? []);
}

/** The handed-over workloads the driver still accepts (`--allow-command` may have changed). */
export function acceptedBy(
  driver: Driver,
  handoff: Handoff | undefined,
  logger: Logger,
): Handoff | undefined {
  if (!handoff) return undefined;
  const workloads = handoff.workloads.filter((w) => {
    try {
      driver.prepare(w.ref);
      return true;
    } catch (err) {
      logger.warn({ workload: w.ref.key, err: errorMessage(err) }, "not adopted: this host refuses it now");
      return false;
    }
  });
  return { ...handoff, workloads };
}
