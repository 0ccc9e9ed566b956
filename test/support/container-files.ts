/**
 * Reading the Dockerfile and compose.yaml the way Docker would, and checking a `nadm` command
 * line against the real commander program (src/cli/program.ts): every command's action is
 * replaced by a recorder and commander itself parses the arguments, so unknown commands,
 * unknown flags, missing arguments and unparsable values fail exactly as they would at run time.
 */
import type { Command } from "commander";
import { parse } from "yaml";
import { buildProgram } from "../../src/cli/program.js";

export interface DockerInstruction {
  keyword: string;
  args: string;
  line: number;
}

/** Instructions with continuation lines joined and comments dropped. */
export function parseDockerfile(text: string): DockerInstruction[] {
  const out: DockerInstruction[] = [];
  let pending: { text: string; line: number } | undefined;
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (line.startsWith("#") || (line === "" && !pending)) return;
    const continued = line.endsWith("\\");
    const body = continued ? line.slice(0, -1).trim() : line;
    pending = pending ? { text: `${pending.text} ${body}`, line: pending.line } : { text: body, line: i + 1 };
    if (continued) return;
    const [keyword = "", ...rest] = pending.text.split(/\s+/);
    out.push({ keyword: keyword.toUpperCase(), args: rest.join(" "), line: pending.line });
    pending = undefined;
  });
  return out;
}

/** Instructions of the last stage (after the last FROM): what the image runs. */
export function finalStage(instructions: DockerInstruction[]): DockerInstruction[] {
  const from = instructions.map((i) => i.keyword).lastIndexOf("FROM");
  return instructions.slice(from + 1);
}

/** The JSON (exec) form of ENTRYPOINT/CMD/HEALTHCHECK CMD; throws on the shell form. */
export function execForm(args: string): string[] {
  const value: unknown = JSON.parse(args);
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) {
    throw new Error(`not an exec-form array: ${args}`);
  }
  return value;
}

export interface ComposeService {
  image?: string;
  build?: string | { context: string };
  entrypoint?: string[] | string;
  command?: string[] | string;
  restart?: string;
  healthcheck?: { disable?: boolean; test?: string[] };
  depends_on?: Record<string, { condition: string }> | string[];
  volumes?: string[];
  profiles?: string[];
}

/** compose.yaml with YAML merge keys (`<<: *nadm`) resolved, as Compose resolves them. */
export function parseCompose(text: string): { services: Record<string, ComposeService> } {
  return parse(text, { merge: true }) as { services: Record<string, ComposeService> };
}

/** Services that run the nadm image (built from this repository). */
export function nadmServices(compose: { services: Record<string, ComposeService> }): string[] {
  return Object.entries(compose.services)
    .filter(([, s]) => s.build !== undefined)
    .map(([name]) => name);
}

export type CliCheck = { ok: true; command: string; help: boolean } | { ok: false; error: string };

/**
 * Parses `args` (what follows `nadm`) with the real program, running no action. `command` is
 * the path of the command reached, e.g. "app deploy"; `help` when the arguments only ask for help.
 */
export async function checkCliArgs(args: readonly string[]): Promise<CliCheck> {
  const program = buildProgram();
  let reached: string | undefined;
  let errors = "";
  walk(program, (cmd) => {
    cmd.configureOutput({
      writeOut: () => undefined,
      writeErr: (s) => {
        errors += s;
      },
    });
    // Groups (`app`, `hosts`) have no action of their own: commander shows help, an error here.
    if (cmd.commands.length === 0) {
      cmd.action(() => {
        reached = commandPath(cmd);
      });
    }
  });
  try {
    await program.parseAsync([...args], { from: "user" });
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === "commander.helpDisplayed") return { ok: true, command: "", help: true };
    return { ok: false, error: errors.trim() || String(err) };
  }
  return reached === undefined
    ? { ok: false, error: "no command was reached" }
    : { ok: true, command: reached, help: false };
}

function walk(cmd: Command, visit: (cmd: Command) => void): void {
  visit(cmd);
  for (const sub of cmd.commands) walk(sub, visit);
}

function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}
