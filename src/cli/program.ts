/**
 * The `nadm` commander program, built without running it: main.ts parses argv with it, and
 * tests walk it (e.g. to check that the Dockerfile and compose.yaml use only real commands).
 */
import { Command } from "commander";
import { registerApp } from "./app.js";
import { registerArtifact } from "./artifact.js";
import { addGlobalOptions } from "./context.js";
import { registerController, registerUp } from "./controller.js";
import { registerHosts } from "./hosts.js";
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
