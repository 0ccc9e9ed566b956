/**
 * Which NATS failures mean "try again soon" rather than "nadm is broken": a JetStream request
 * that timed out, no responders (a stream without a leader, JetStream not answering), a cluster
 * electing a leader or without quorum, a connection that is closed or reconnecting. These become
 * `unavailable` errors that say what was unavailable, so clients retry them instead of reporting
 * an internal error (ARCHITECTURE §9).
 */
import { NadmError, UnavailableError } from "../errors.js";

/** JetStream API error codes that are about the cluster's state, not about the request. */
const TRANSIENT_API_CODES = new Set([
  10005, // no suitable peers for placement (lost quorum)
  10008, // JetStream system temporarily unavailable (leader election)
  10009, // JetStream cluster can not handle request
  10118, // stream is offline
  10119, // consumer is offline
]);

const TRANSIENT_NAMES = new Set([
  "TimeoutError",
  "NoResponders",
  "NoRespondersError",
  "JetStreamNotEnabled",
  "ClosedConnectionError",
  "DrainingConnectionError",
  "ConnectionError",
]);

const TRANSIENT_TEXT =
  /timeout|timed out|no responders|not enabled|temporarily unavailable|no suitable peers|offline|connection (closed|draining)|disconnect/i;

/** True when `err` (or its cause) is a NATS failure that a retry can fix. */
export function isTransientNatsError(err: unknown, depth = 0): boolean {
  if (depth > 3 || typeof err !== "object" || err === null) return false;
  if (err instanceof NadmError) return err.code === "unavailable";
  const e = err as { name?: string; message?: string; code?: unknown; status?: unknown; cause?: unknown };
  if (e.name && TRANSIENT_NAMES.has(e.name)) return true;
  if (e.name === "JetStreamApiError") {
    return e.status === 503 || (typeof e.code === "number" && TRANSIENT_API_CODES.has(e.code));
  }
  if (e.name === "JetStreamStatusError" && (e.code === 503 || e.code === 408)) return true;
  if ((e.name === "RequestError" || e.name === "JetStreamError") && TRANSIENT_TEXT.test(e.message ?? ""))
    return true;
  return isTransientNatsError(e.cause, depth + 1);
}

/** Short, human reason for a transient failure ("timeout", "no responders"...). */
function reason(err: unknown): string {
  const e = err as { name?: string; message?: string };
  if (e?.name === "TimeoutError" || /timeout/i.test(e?.message ?? "")) return "no answer in time";
  if (e?.name === "NoResponders" || /no responders|not enabled/i.test(e?.message ?? "")) {
    return "no server answered (no stream leader)";
  }
  return e?.message || String(err);
}

/**
 * Runs `fn`; a transient NATS failure becomes `unavailable` naming `what` (e.g. "KV bucket
 * nadm_manifests"). Everything else passes through unchanged.
 */
export async function whileAvailable<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw asUnavailable(err, what) ?? err;
  }
}

/** The `unavailable` error for a transient failure, or undefined when `err` is something else. */
export function asUnavailable(err: unknown, what: string): NadmError | undefined {
  if (err instanceof NadmError) return err.code === "unavailable" ? err : undefined;
  if (!isTransientNatsError(err)) return undefined;
  return new UnavailableError(
    `${what} is unavailable: ${reason(err)} (a NATS leader election or lost quorum?); retry shortly`,
    { cause: err },
  );
}

export interface RetryOptions {
  /** Absolute time (ms since the epoch) after which the last error is final. Default: never. */
  deadline?: number;
  /** What the call is for, when a raw NATS error has to be described ("the API"). */
  what: string;
  /** Called before each wait, with the reason and the time left. */
  onWait?: (message: string, leftMs: number) => void;
  /** Checked before each wait: once true, the last error is final (the caller is stopping). */
  stopped?: () => boolean;
}

const FIRST_DELAY_MS = 250;
const MAX_DELAY_MS = 2_000;

/**
 * Runs `fn(leftMs)` until it succeeds, fails with something a retry cannot fix, the deadline
 * passes or `stopped()` says so, waiting 250 ms, then twice as long each time up to 2 s.
 * Only `unavailable` (see `asUnavailable`) is retried; the error thrown is that `unavailable`.
 */
export async function retryUnavailable<T>(
  fn: (leftMs: number) => Promise<T>,
  opts: RetryOptions,
): Promise<T> {
  const deadline = opts.deadline ?? Number.POSITIVE_INFINITY;
  let delay = FIRST_DELAY_MS;
  for (;;) {
    const left = deadline - Date.now();
    try {
      return await fn(Math.max(left, 1));
    } catch (err) {
      const again = asUnavailable(err, opts.what);
      if (!again) throw err;
      const leftAfterWait = deadline - Date.now() - delay;
      if (leftAfterWait <= 0 || opts.stopped?.()) throw again;
      opts.onWait?.(again.message, leftAfterWait);
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, MAX_DELAY_MS);
    }
  }
}
