/**
 * Waiting for a condition with a deadline: the only synchronisation tests use (no bare sleeps).
 */
export async function waitFor<T>(
  probe: () => T | undefined | false | null | Promise<T | undefined | false | null>,
  opts: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false && value !== null) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const why = lastError ? `: last error ${(lastError as Error).message}` : "";
      throw new Error(
        `timed out after ${opts.timeoutMs ?? 10_000} ms waiting for ${opts.what ?? "condition"}${why}`,
      );
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 50));
  }
}

/**
 * Teardown that must not hold a test file forever: waits for `stopping` at most `ms`, then says
 * on stderr what did not finish and lets the file end (npm test runs with --test-force-exit, so
 * what is left of it does not keep the process alive). The test's own assertions are unaffected.
 */
export async function stopWithin(what: string, stopping: Promise<unknown>, ms = 30_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<"late">((resolve) => {
    timer = setTimeout(() => resolve("late"), ms);
  });
  const outcome = await Promise.race([stopping.then(() => "done" as const), late]);
  clearTimeout(timer);
  if (outcome === "late") console.error(`# teardown: ${what} did not stop within ${ms} ms; left behind`);
}
