/** Resolves when SIGINT or SIGTERM arrives: how every long-running verb learns to stop. */
export function shutdownSignal(): Promise<string> {
  return new Promise((done) => {
    for (const sig of ["SIGINT", "SIGTERM"] as const) process.once(sig, () => done(sig));
  });
}
