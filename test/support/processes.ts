/**
 * Long-running nadm processes (controllers, hosts) for end-to-end tests: spawned from source
 * through tsx, their output kept for diagnostics, and killed by one cleanup: at the end of the
 * file when the first of them was spawned at its top level, else at the end of the test that
 * spawned it; the next spawn after a cleanup arms the next one (see spawnProgram).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { after } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const MAIN = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));

export interface NadmProcess {
  name: string;
  child: ChildProcess;
  output(): string;
  /** SIGKILL and wait for exit. */
  kill(): Promise<void>;
  /** SIGTERM and wait for exit. */
  stop(): Promise<number | null>;
}

const running = new Set<ChildProcess>();
let registered = false;

export function spawnNadm(name: string, args: string[], env: Record<string, string> = {}): NadmProcess {
  return spawnProgram(name, process.execPath, ["--import", "tsx", MAIN, ...args], {
    NADM_LOG_LEVEL: "info",
    ...env,
  });
}

/** Any program (an example remote scaler, a Go binary), killed like nadm's (see the file's doc). */
export function spawnProgram(
  name: string,
  command: string,
  args: string[],
  env: Record<string, string> = {},
): NadmProcess {
  // node:test scopes an after() called inside a test to that test. Re-armed after each cleanup:
  // armed once only, the processes of any test after the first one's were never killed here.
  if (!registered) {
    registered = true;
    after(async () => {
      registered = false;
      await Promise.all([...running].map((c) => killChild(c, "SIGKILL")));
    });
  }
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  child.once("exit", () => running.delete(child));
  let out = "";
  const keep = (d: Buffer) => {
    out = (out + d.toString("utf8")).slice(-200_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  return {
    name,
    child,
    output: () => out,
    kill: () => killChild(child, "SIGKILL").then(() => undefined),
    stop: () => killChild(child, "SIGTERM"),
  };
}

function killChild(child: ChildProcess, signal: NodeJS.Signals): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    child.once("exit", (code) => resolve(code));
    child.kill(signal);
  });
}

/** Live OS processes whose environment says they are instances of `app` (read from /proc, not from nadm). */
export function instancesOf(app: string): Array<{ pid: number; hostId: string; component: string }> {
  const found: Array<{ pid: number; hostId: string; component: string }> = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let environ: string;
    let stat: string;
    try {
      environ = readFileSync(`/proc/${entry}/environ`, "utf8");
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue;
    }
    if (/\) Z /.test(stat)) continue; // zombie: already dead
    const vars = new Map(
      environ
        .split("\0")
        .filter(Boolean)
        .map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)] as const),
    );
    if (vars.get("NADM_APP") !== app || !vars.has("NADM_INSTANCE")) continue;
    found.push({
      pid: Number(entry),
      hostId: vars.get("NADM_HOST_ID") ?? "",
      component: vars.get("NADM_COMPONENT") ?? "",
    });
  }
  return found;
}

/** hostId → number of live instance processes of the app. */
export function placementOf(app: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of instancesOf(app)) out[p.hostId] = (out[p.hostId] ?? 0) + 1;
  return out;
}

export { ROOT };
