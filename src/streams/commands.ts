/**
 * Commands (ARCHITECTURE §5): absolute, idempotent orders "run exactly N instances of workload W"
 * to one host, on `nadm.cmd.{lattice}.{hostId}`, and the host's control protocol.
 */
import { createHash } from "node:crypto";
import { z } from "zod";

export const workloadSpecSchema = z.object({
  key: z.string().min(1),
  rev: z.string().min(1),
  /** Component type, e.g. "process". */
  type: z.string().min(1),
  /** The component's properties (for `process`: command, args, env, cwd, port, readiness). */
  spec: z.record(z.string(), z.unknown()),
});
export type WorkloadSpec = z.infer<typeof workloadSpecSchema>;

export const commandSchema = z.object({
  id: z.string().min(1),
  lattice: z.string().min(1),
  hostId: z.string().min(1),
  app: z.string().min(1),
  component: z.string().min(1),
  workload: workloadSpecSchema,
  count: z.number().int().min(0).max(100_000),
  reason: z.string(),
  causationId: z.string(),
  basedOnRevision: z.number().int().min(0),
  issuedAt: z.string(),
  /**
   * The life of the host the command was planned for: its record's `startedAt` then. A host that
   * restarted since is told afresh from its new record, so the dispatcher drops a command for an
   * earlier life as moot and the in-flight view stops counting it (absent: planned by an older
   * controller, or for a host no longer in the view).
   */
  hostStartedAt: z.string().optional(),
  /** The app generation the command was planned for (a refusal of it holds until that changes). */
  generation: z.number().int().min(0).optional(),
  /** Absent for a first try; n for the n-th attempt after refusals (docs/ARCHITECTURE.md). */
  attempt: z.number().int().min(1).optional(),
});
export type Command = z.infer<typeof commandSchema>;

/**
 * The deterministic `Nats-Msg-Id` of ARCHITECTURE §2 rule 2: replicas that see the same host
 * state compute the same id, so the stream's duplicate window drops the copies. A command that
 * follows a stored refusal is based on that refusal instead (`after`: derived from the refused
 * command's id), not on the host's revision: every replica and every tick then computes the
 * same id for the same attempt, however many heartbeats came in between.
 */
export function commandId(parts: {
  lattice: string;
  hostId: string;
  workloadKey: string;
  count: number;
  basedOnRevision: number;
  /** The host's state the command was computed from (see reconcile/plan.ts `hostBasis`). */
  basis?: string;
  after?: string;
}): string {
  const basis =
    parts.after !== undefined
      ? `after ${parts.after}`
      : parts.basis !== undefined
        ? `state ${parts.basis}`
        : `${parts.basedOnRevision}`;
  const text = `${parts.lattice}\n${parts.hostId}\n${parts.workloadKey}\n${parts.count}\n${basis}`;
  return `cmd-${createHash("sha256").update(text).digest("hex").slice(0, 32)}`;
}

/**
 * Where a command stands in `nadm_commands`: the dispatcher sends it in headers so that a host
 * never applies an older command after a newer one for the same workload (a redelivery after a
 * dispatcher crash can arrive late). `epoch` (the stream's creation time) tells a recreated
 * stream, whose sequences start again, from an old one.
 */
export const COMMAND_ORDER_HEADERS = { seq: "Nadm-Command-Seq", epoch: "Nadm-Command-Epoch" } as const;

export interface CommandOrder {
  epoch: string;
  seq: number;
}

/** True when `next` was issued before `last` in the same stream: applying it would go back in time. */
export function isOlder(next: CommandOrder | undefined, last: CommandOrder | undefined): boolean {
  return next !== undefined && last !== undefined && next.epoch === last.epoch && next.seq < last.seq;
}

/** A host's reply to a command (ARCHITECTURE §5): what the dispatcher reads. */
export type CommandReply =
  | { ok: true; running: number; ready?: number; superseded?: boolean }
  | { ok: false; error: string };

/** Any reply on `nadm.ctl.{lattice}.{hostId}`: to a command, or to `{op: "inventory"}`. */
export type ControlReply = CommandReply | { ok: true; inventory: unknown };

export function encodeJson(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}

export function decodeJson(data: Uint8Array): unknown {
  return JSON.parse(new TextDecoder().decode(data));
}
