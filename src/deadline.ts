/**
 * Waiting for something at most so long: shutdowns and catch-ups that must not hang on a NATS
 * call that never ends.
 */

/**
 * Resolves true once `work` resolves, false if `ms` pass first (`work` then goes on unawaited:
 * the caller must have handled its rejection if it may still reject). A rejection of `work`
 * before the deadline rejects.
 */
export async function within(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([work.then(() => true as const), late]);
  } finally {
    clearTimeout(timer);
  }
}
