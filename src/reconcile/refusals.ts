/**
 * Refused and unanswered commands, as pure functions of the stored refusal records
 * (`nadm_refusals`, written by the dispatcher) and `now`:
 *
 * - a refusal *holds* for a command the planner wants to send when it names the same host,
 *   workload and count, the same app generation and the same incarnation of the host; anything
 *   else (a new version or deploy, the placement moving, the host restarting) gets a fresh try;
 * - while it holds, the command waits out an exponential, bounded backoff from the moment the
 *   refusal was stored (the KV server's clock), then goes out as the next attempt, with an id
 *   derived from the refused command's, so every replica and tick sends the same one;
 * - the component is `failed`, saying which host refused, its reason and the next attempt.
 *
 * Nothing here keeps state: a restarted or another replica reads the same records and says and
 * does the same.
 */
import type { HostState } from "../lattice/view.js";
import type { RefusalRecord } from "../streams/refusal-record.js";
import type { Pending, PlanInput, PlannedCommand } from "./plan.js";

/** A stored refusal and when it was stored (server time, ms). */
export interface StoredRefusal extends RefusalRecord {
  at: number;
}

export interface RetryPolicy {
  /** Wait after the first failed attempt; doubled after each further one. */
  baseMs: number;
  /** Upper bound of the wait. */
  maxMs: number;
  /** Records older than this are ignored (the bucket's TTL: not every replica still has them). */
  maxAgeMs: number;
}

/** What the planner is given: the records of one lattice, and how to back off. */
export interface RefusalSource {
  get(hostId: string, workloadKey: string): StoredRefusal | undefined;
  policy: RetryPolicy;
}

/** A command the planner wanted to send that a holding refusal held back or turned into a retry. */
export interface Refused {
  component: string;
  hostId: string;
  refusal: StoredRefusal;
  /** The wait after `refusal.attempt`, and when it ends. */
  delayMs: number;
  nextAt: number;
  /** The wait is over: the next attempt is among the commands of this plan. */
  due: boolean;
}

/** The wait after failed attempt `attempt` (1-based): base, 2·base, 4·base … up to max. */
export function retryDelayMs(attempt: number, policy: Pick<RetryPolicy, "baseMs" | "maxMs">): number {
  const exponent = Math.min(Math.max(0, attempt - 1), 30);
  return Math.min(policy.maxMs, policy.baseMs * 2 ** exponent);
}

/**
 * The same input, except that a pending command the host has refused is no longer pending: the
 * refusal is its answer, and it must not stand for "what the host was told" (ARCHITECTURE §2
 * rule 6) until the in-flight timeout.
 */
export function withoutRefusedPending(input: PlanInput): PlanInput {
  const source = input.refusals;
  if (!source) return input;
  const pending = (hostId: string, key: string): Pending | undefined => {
    const p = input.pending(hostId, key);
    return p && source.get(hostId, key)?.commandId === p.id ? undefined : p;
  };
  return { ...input, pending };
}

/**
 * Applies the stored refusals to the commands the diff proposes: held back while a refusal's
 * backoff runs, sent as the next attempt once it is over, sent as a fresh try when the refusal
 * no longer holds. Every command is stamped with the app generation it was planned for.
 */
export function applyRefusals(
  proposed: readonly PlannedCommand[],
  input: PlanInput,
  hostsById: ReadonlyMap<string, HostState>,
): { commands: PlannedCommand[]; refused: Refused[] } {
  const generation = input.stored?.generation ?? 0;
  const commands: PlannedCommand[] = [];
  const refused: Refused[] = [];
  for (const proposal of proposed) {
    const c = { ...proposal, generation };
    const r = input.refusals?.get(c.hostId, c.workload.key);
    if (!r || input.now - r.at > (input.refusals?.policy.maxAgeMs ?? 0)) {
      commands.push(c);
      continue;
    }
    const startedAt = hostsById.get(c.hostId)?.record.startedAt ?? null;
    if (r.count !== c.count || r.generation !== generation || r.hostStartedAt !== startedAt) {
      // Something changed since the refusal: a fresh try, still with an id of its own.
      commands.push({ ...c, after: `${r.commandId}/${generation}/${startedAt}` });
      continue;
    }
    const delayMs = retryDelayMs(r.attempt, input.refusals!.policy);
    const nextAt = r.at + delayMs;
    const due = input.now >= nextAt;
    refused.push({ component: c.component, hostId: c.hostId, refusal: r, delayMs, nextAt, due });
    if (due) commands.push({ ...c, attempt: r.attempt + 1, after: r.commandId });
  }
  return { commands, refused };
}

function duration(ms: number): string {
  if (ms < 1_000) return `${ms} ms`;
  const s = Math.round(ms / 1_000);
  return s < 120 ? `${s} s` : `${Math.round(s / 60)} min`;
}

function refusalClause(r: Refused): string {
  const { hostId, refusal } = r;
  const what = `(attempt ${refusal.attempt})`;
  return refusal.kind === "refused"
    ? `host ${hostId} refused the command ${what}: ${refusal.reason}`
    : `host ${hostId} did not answer the command ${what}: ${refusal.reason}`;
}

const LISTED = 3;

/**
 * `host h1 refused the command (attempt 3): <reason> (0/1 ready); retrying in 8 s` — the hosts
 * that refused (the first few, by id), the counts, and the soonest next attempt.
 */
export function refusalMessage(refused: readonly Refused[], counts: string): string {
  const sorted = [...refused].sort((a, b) => (a.hostId < b.hostId ? -1 : a.hostId > b.hostId ? 1 : 0));
  const clauses = sorted.slice(0, LISTED).map(refusalClause);
  if (sorted.length > LISTED) clauses.push(`${sorted.length - LISTED} more hosts failed it too`);
  const soonest = sorted.reduce((a, b) => (b.nextAt < a.nextAt ? b : a));
  const next = soonest.due
    ? `retrying now (attempt ${soonest.refusal.attempt + 1})`
    : `retrying in ${duration(soonest.delayMs)}`;
  return `${clauses.join("; ")} (${counts}); ${next}`;
}
