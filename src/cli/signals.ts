/**
 * How long-running verbs learn to stop. The first SIGINT/SIGTERM starts a graceful stop; the
 * same Ctrl-C often arrives twice (the terminal signals the whole process group and wrappers
 * such as npm relay it), so repeats within a second are ignored; a later one forces an exit
 * (children still go: they carry a parent-death signal).
 */
export function shutdownSignal(): Promise<string> {
  return new Promise((done) => {
    let first = 0;
    const onSignal = (sig: NodeJS.Signals) => {
      if (first === 0) {
        first = Date.now();
        done(sig);
      } else if (Date.now() - first > 1_000) {
        process.stderr.write(`${sig} again: exiting now\n`);
        process.exit(130);
      }
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
}
