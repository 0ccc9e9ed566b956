#!/usr/bin/env node
/**
 * The `nadm` command line (ARCHITECTURE §10).
 */
import { Command, CommanderError } from "commander";
import { NADM_VERSION } from "../version.js";
import { registerApp } from "./app.js";
import { registerArtifact } from "./artifact.js";
import { addGlobalOptions } from "./context.js";
import { registerController, registerUp } from "./controller.js";
import { registerHosts } from "./hosts.js";
import { EXIT } from "./output.js";
import { registerSchema } from "./schema.js";
import { registerWatch } from "./watch.js";

export function buildProgram(): Command {
  const program = new Command("nadm")
    .description("nadm — NATS Application Deployment Manager: declarative, leaderless deployments on NATS")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();
  addGlobalOptions(program);
  program.addHelpText(
    "after",
    "\nRun `nadm --version` for the version, `nadm COMMAND --help` for a command's options.",
  );
  registerUp(program);
  registerController(program);
  registerHosts(program);
  registerApp(program);
  registerArtifact(program);
  registerWatch(program);
  registerSchema(program);
  for (const cmd of program.commands) propagateExitOverride(cmd);
  return program;
}

function propagateExitOverride(cmd: Command): void {
  cmd.exitOverride();
  for (const sub of cmd.commands) propagateExitOverride(sub);
}

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
