/**
 * What a host lets the process driver run, decided on the host (whoever may deploy must not
 * be able to run anything on every host): an allowlist of command globs (`--allow-command`)
 * and a user to run instances as (`--run-as`). A command outside the list is refused at the
 * control boundary, before anything starts, naming `workload.spec.command`.
 */
import { execFileSync } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import { BadRequestError } from "../../errors.js";
import { UnsupportedWorkloadError } from "./types.js";

/**
 * `*` is any run of characters except `/`, `**` any run including `/`, `?` one character
 * except `/`; everything else is literal. The whole command must match.
 */
export function globToRegExp(glob: string): RegExp {
  let source = "";
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === "*" && glob[i + 1] === "*") {
      source += ".*";
      i++;
    } else if (ch === "*") source += "[^/]*";
    else if (ch === "?") source += "[^/]";
    else source += ch.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${source}$`, "s");
}

/** Looks a bare command name up on `path` (the agent's own PATH, never the manifest's). */
export function lookupOnPath(command: string, path: string | undefined): string | undefined {
  if (command.includes("/")) return undefined;
  for (const dir of (path ?? "").split(delimiter).filter(Boolean)) {
    const candidate = join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

export interface RunAsUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

export class CommandPolicy {
  private readonly patterns: RegExp[] | undefined;

  /** `allow` undefined: every command is allowed (the default, warned about at start). */
  constructor(
    readonly allow: readonly string[] | undefined,
    /** The agent's own PATH, for bare command names. */
    private readonly path: string | undefined,
  ) {
    this.patterns = allow?.map(globToRegExp);
  }

  get restricted(): boolean {
    return this.patterns !== undefined;
  }

  /**
   * Throws UnsupportedWorkloadError unless the command, as written or (a bare name) as found on
   * the agent's PATH, matches a glob.
   */
  check(command: string): void {
    if (!this.patterns) return;
    const resolved = lookupOnPath(command, this.path);
    const candidates = resolved ? [command, resolved] : [command];
    if (candidates.some((c) => this.patterns!.some((p) => p.test(c)))) return;
    const shown = resolved ? `${JSON.stringify(command)} (${resolved})` : JSON.stringify(command);
    throw new UnsupportedWorkloadError(
      "workload.spec.command",
      `host policy: command ${shown} is not allowed on this host (--allow-command ${this.allow!.join(", ")})`,
    );
  }

  /**
   * What to spawn for an allowed command: with an allowlist, a bare name becomes the file found
   * on the agent's PATH, so a manifest's own `env.PATH` cannot swap in another program.
   */
  executable(command: string): string {
    if (!this.patterns || command.includes("/")) return command;
    const resolved = lookupOnPath(command, this.path);
    if (!resolved) throw new Error(`host policy: ${command} is not on the host's PATH`);
    return resolved;
  }
}

/** Thrown at agent start: `--run-as` cannot be honoured. */
export class RunAsError extends BadRequestError {
  override name = "RunAsError";
  constructor(message: string) {
    super(message, [{ path: "runAs", message }]);
  }
}

/**
 * Resolves `--run-as USER` (a name or a numeric uid) through the system's user database. Only
 * root can start processes as another user: anything else is a clear startup error rather than
 * instances that silently run as the agent's own user.
 */
export function resolveRunAs(user: string, agentUid: number | undefined): RunAsUser {
  if (agentUid !== 0) {
    throw new RunAsError(
      `--run-as ${user}: the host agent must run as root to start instances as another user ` +
        `(it runs as uid ${agentUid ?? "unknown"}); drop --run-as or start the agent as root`,
    );
  }
  let entry: string;
  try {
    entry = execFileSync("getent", ["passwd", user], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
  } catch {
    throw new RunAsError(`--run-as ${user}: no such user on this host`);
  }
  const [name, , uid, gid, , home] = entry.trim().split("\n")[0]!.split(":");
  if (!name || !Number.isInteger(Number(uid)) || !Number.isInteger(Number(gid))) {
    throw new RunAsError(`--run-as ${user}: cannot read the user's uid and gid`);
  }
  return { name, uid: Number(uid), gid: Number(gid), home: home || "/" };
}
