/**
 * The CLI's answer to `unavailable` (a NATS leader election, lost quorum, a controller
 * restarting): try again with backoff until `--timeout`, telling the user what it waits for,
 * instead of failing at the first hiccup. Anything else fails at once.
 */
import { NadmError } from "../errors.js";
import { asUnavailable } from "../streams/unavailable.js";

export const DEFAULT_TIMEOUT_MS = 10_000;
const FIRST_DELAY_MS = 250;
const MAX_DELAY_MS = 2_000;

export interface RetryOptions {
  /** Absolute time (ms since the epoch) after which the last error is final. */
  deadline: number;
  /** What the call is for, when a raw NATS error has to be described ("the API"). */
  what: string;
  /** Called before each wait, with the reason and the time left. */
  onWait?: (message: string, leftMs: number) => void;
}

/** The error as a NadmError when it is worth retrying, else undefined. */
function retryable(err: unknown, what: string): NadmError | undefined {
  if (err instanceof NadmError) return err.code === "unavailable" ? err : undefined;
  return asUnavailable(err, what);
}

/** Runs `fn(attemptTimeoutMs)` until it succeeds, fails for good, or the deadline passes. */
export async function retryUnavailable<T>(
  fn: (leftMs: number) => Promise<T>,
  opts: RetryOptions,
): Promise<T> {
  let delay = FIRST_DELAY_MS;
  for (;;) {
    const left = opts.deadline - Date.now();
    try {
      return await fn(Math.max(left, 1));
    } catch (err) {
      const again = retryable(err, opts.what);
      if (!again) throw err;
      const leftAfterWait = opts.deadline - Date.now() - delay;
      if (leftAfterWait <= 0) throw again;
      opts.onWait?.(again.message, leftAfterWait);
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, MAX_DELAY_MS);
    }
  }
}

/** The one-line notice printed while waiting (stderr, so --json output stays clean). */
export function waitingNotice(message: string, leftMs: number): string {
  return `waiting: ${message} (retrying for up to ${Math.ceil(leftMs / 1000)}s more)\n`;
}
