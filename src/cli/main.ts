#!/usr/bin/env node
/**
 * The `nadm` command line (ARCHITECTURE §10).
 */
import { CommanderError } from "commander";
import { NADM_VERSION } from "../version.js";
import { EXIT } from "./output.js";
import { buildProgram } from "./program.js";

async function main(argv: string[]): Promise<void> {
  // `nadm schema | head` closes the pipe early: that is the reader's choice, not an error.
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(EXIT.ok);
    throw err;
  });
  // Not commander's .version(): its --version would swallow `app deploy NAME --version V`.
  if (argv[2] === "--version" || argv[2] === "-V") {
    process.stdout.write(`${NADM_VERSION}\n`);
    return;
  }
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      const ok =
        err.code === "commander.helpDisplayed" ||
        err.code === "commander.version" ||
        err.code === "commander.help";
      process.exit(ok ? EXIT.ok : EXIT.usage);
    }
    process.stderr.write(`error: ${(err as Error).message}\n`);
    process.exit(EXIT.error);
  }
}

await main(process.argv);
