/**
 * The CLI's answer to `unavailable` (a NATS leader election, lost quorum, a controller
 * restarting): `retryUnavailable` (streams/unavailable.ts) with backoff until `--timeout`,
 * telling the user what it waits for, instead of failing at the first hiccup.
 */
export const DEFAULT_TIMEOUT_MS = 10_000;

/** The one-line notice printed while waiting (stderr, so --json output stays clean). */
export function waitingNotice(message: string, leftMs: number): string {
  return `waiting: ${message} (retrying for up to ${Math.ceil(leftMs / 1000)}s more)\n`;
}
