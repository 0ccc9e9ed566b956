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
import type { PlannedComponent } from "./rolling.js";
import { slotId } from "./rollout.js";

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
 * Where a stored refusal holds: the same count is wanted again, for the same app generation, from
 * the same incarnation of the host, and the host has not since taken that count (a later command
 * succeeded).
 */
class Holds {
  readonly generation: number;
  /** `{hostId}\n{key}` → the count the host reports it was last told. */
  readonly accepted: Map<string, number>;

  constructor(
    private readonly input: PlanInput,
    private readonly hostsById: ReadonlyMap<string, HostState>,
  ) {
    this.generation = input.stored?.generation ?? 0;
    this.accepted = new Map(input.workloads.map((w) => [`${w.host.hostId}\n${w.key}`, w.inventory.desired]));
  }

  /** The live record for the workload on the host (whether or not it holds), if any. */
  record(hostId: string, key: string): StoredRefusal | undefined {
    const source = this.input.refusals;
    const r = source?.get(hostId, key);
    return r && this.input.now - r.at <= source!.policy.maxAgeMs ? r : undefined;
  }

  startedAt(hostId: string): string | null {
    return this.hostsById.get(hostId)?.record.startedAt ?? null;
  }

  holds(r: StoredRefusal, count: number): boolean {
    return (
      r.count === count &&
      r.generation === this.generation &&
      r.hostStartedAt === this.startedAt(r.hostId) &&
      (this.accepted.get(`${r.hostId}\n${r.workloadKey}`) ?? 0) !== r.count
    );
  }

  refused(component: string, r: StoredRefusal): Refused {
    const delayMs = retryDelayMs(r.attempt, this.input.refusals!.policy);
    const nextAt = r.at + delayMs;
    return { component, hostId: r.hostId, refusal: r, delayMs, nextAt, due: this.input.now >= nextAt };
  }
}

/**
 * Applies the stored refusals to the commands the diff proposes: held back while a refusal's
 * backoff runs, sent as the next attempt once it is over, sent as a fresh try (with an id of its
 * own) when the refusal no longer holds. A placement whose retry is in flight still counts as
 * refused until its host accepts. Every command is stamped with the app generation.
 */
export function applyRefusals(
  proposed: readonly PlannedCommand[],
  components: readonly PlannedComponent[],
  input: PlanInput,
  hostsById: ReadonlyMap<string, HostState>,
): { commands: PlannedCommand[]; refused: Refused[] } {
  const h = new Holds(input, hostsById);
  const stamped = proposed.map((c) => ({ ...c, generation: h.generation }));
  // Paused: nothing is sent, so nothing is retried either; the status says paused.
  if (!input.refusals || input.stored?.paused) return { commands: stamped, refused: [] };
  const commands: PlannedCommand[] = [];
  const refused: Refused[] = [];
  for (const c of stamped) {
    const r = h.record(c.hostId, c.workload.key);
    if (!r) commands.push(c);
    else if (!h.holds(r, c.count))
      commands.push({ ...c, after: `${r.commandId}/${h.generation}/${h.startedAt(c.hostId)}` });
    else {
      const entry = h.refused(c.component, r);
      refused.push(entry);
      if (entry.due) commands.push({ ...c, attempt: r.attempt + 1, after: r.commandId });
    }
  }
  refused.push(...inFlight(components, h, new Set(proposed.map((c) => `${c.hostId}\n${c.workload.key}`))));
  return { commands, refused };
}

/** Placements with a holding refusal whose retry is pending (so not proposed) and not yet accepted. */
function inFlight(components: readonly PlannedComponent[], h: Holds, proposed: Set<string>): Refused[] {
  const out: Refused[] = [];
  for (const c of components) {
    if (c.unmanaged) continue;
    // Mid-rollout the count wanted now is the step's, not the end state's.
    const step = c.rollout?.step;
    const wanted = step?.rolling
      ? [...c.placements.keys()].map((h) => [h, step.counts.get(slotId(h, c.key)) ?? 0] as const)
      : c.placements;
    for (const [hostId, count] of wanted) {
      const slot = `${hostId}\n${c.key}`;
      if (proposed.has(slot) || (h.accepted.get(slot) ?? 0) === count) continue;
      const r = h.record(hostId, c.key);
      if (r && h.holds(r, count)) out.push(h.refused(c.name, r));
    }
  }
  return out;
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
