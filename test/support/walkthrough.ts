/**
 * Running a docs walkthrough as written: its fenced blocks in order (`lang file=NAME` blocks are
 * files, `sh` blocks are command lines), with nadm built from this checkout into a package folder
 * so `nadm` and `nadm/testing` resolve through the package's real `exports`.
 */
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after } from "node:test";
import { freePort } from "../../src/system.js";
import { ROOT } from "./processes.js";
import { waitFor } from "./wait.js";

export interface Block {
  lang: string;
  file?: string;
  body: string;
}

/** The fenced blocks of the section of `doc` whose `## ` heading starts with `heading`. */
export function walkthrough(doc: string, heading: string): Block[] {
  const text = readFileSync(join(ROOT, doc), "utf8");
  const section = text.split(/^## /m).find((s) => s.startsWith(heading));
  assert.ok(section, `the section "${heading}" exists in ${doc}`);
  return [...section.matchAll(/^```(\w+)(?: file=(\S+))?\n([\s\S]*?)^```$/gm)].map((m) => ({
    lang: m[1]!,
    file: m[2],
    body: m[3]!,
  }));
}

/** Command lines of a `sh` block: no blanks, no comments. */
export function commandLines(block: Block): string[] {
  return block.body.split("\n").filter((l) => l.trim() && !l.startsWith("#"));
}

/** nadm as a package under `dir`: compiled dist, package.json, and this checkout's dependencies. */
export function buildPackage(dir: string): string {
  const pkg = join(dir, "nadm-package");
  mkdirSync(pkg);
  execFileSync(join(ROOT, "node_modules/.bin/tsc"), [
    "-p",
    join(ROOT, "tsconfig.build.json"),
    "--outDir",
    join(pkg, "dist"),
  ]);
  copyFileSync(join(ROOT, "package.json"), join(pkg, "package.json"));
  symlinkSync(join(ROOT, "node_modules"), join(pkg, "node_modules"));
  chmodSync(join(pkg, "dist/cli/main.js"), 0o755);
  return pkg;
}

/** `npm install PKG...` without the registry: nadm from `pkg`, anything else from this checkout. */
export function installFrom(pkg: string, cwd: string, names: readonly string[]): void {
  mkdirSync(join(cwd, "node_modules/.bin"), { recursive: true });
  for (const name of names) {
    const target = join(cwd, "node_modules", name);
    mkdirSync(dirname(target), { recursive: true });
    if (name === "nadm") {
      symlinkSync(pkg, target);
      symlinkSync(join(pkg, "dist/cli/main.js"), join(cwd, "node_modules/.bin/nadm"));
    } else {
      symlinkSync(join(ROOT, "node_modules", name), target);
    }
  }
}

export interface WalkthroughRun {
  /** Runs one more command line in the walkthrough's last folder, with its environment. */
  run(line: string): string;
  /** Whether an `npx nadm app status` line saw `deployed`. */
  deployed: boolean;
}

/**
 * Runs the section `heading` of `doc` as written, with these differences from a user's
 * machine, all because it is a test: `npm install` links this checkout's packages, `nadm up`
 * gets a free port and a temporary data dir and runs in the background until it says it is up,
 * any other line ending in `&` runs in the background until it prints something, `app put` is
 * retried for a few seconds (a remote scaler's registration reaches controllers through a KV
 * watch), and `app status` is repeated until it says `deployed`. Everything started is stopped,
 * and the folder removed, when the test file ends.
 */
export async function runWalkthrough(doc: string, heading: string): Promise<WalkthroughRun> {
  const tmp = mkdtempSync(join(tmpdir(), "nadm-walkthrough-"));
  const background: ChildProcess[] = [];
  after(async () => {
    for (const child of background.reverse()) {
      if (!child.pid || child.exitCode !== null) continue;
      const exited = new Promise((r) => child.once("exit", r));
      process.kill(-child.pid, "SIGTERM"); // its own process group (npx, nadm up, nats-server, hosts)
      await exited;
    }
    rmSync(tmp, { recursive: true, force: true });
  });
  const pkg = buildPackage(tmp);
  const port = await freePort();
  const env = {
    ...process.env,
    NATS_URL: `nats://127.0.0.1:${port}`,
    PATH: `${process.env.PATH}:/usr/sbin`,
    NADM_LOG_LEVEL: "warn",
  };
  let cwd = tmp;
  const state: WalkthroughRun = {
    run: (line) => execFileSync("sh", ["-c", line], { cwd, env, encoding: "utf8", stdio: "pipe" }),
    deployed: false,
  };
  const inBackground = async (line: string, ready?: string) => {
    const child = spawn("sh", ["-c", `exec ${line}`], {
      cwd,
      env,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    background.push(child);
    let out = "";
    child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
    await waitFor(() => (ready ? out.includes(ready) : out.length > 0), {
      timeoutMs: 60_000,
      what: `${line} to start (${out})`,
    });
  };
  for (const block of walkthrough(doc, heading)) {
    if (block.file) {
      writeFileSync(join(cwd, block.file), block.body);
      continue;
    }
    for (const line of commandLines(block)) {
      const mk = /^mkdir (\S+) && cd \1$/.exec(line);
      const command = line.replace(/ &$/, "");
      if (mk) {
        cwd = join(cwd, mk[1]!);
        mkdirSync(cwd);
      } else if (line.startsWith("npm install ")) {
        installFrom(pkg, cwd, line.split(" ").slice(2));
      } else if (line.startsWith("npx nadm up ")) {
        await inBackground(`${command} --port ${port} --data-dir ${join(tmp, "up")}`, "nadm is up");
      } else if (line.endsWith(" &")) {
        await inBackground(command);
      } else if (line.startsWith("npx nadm app put ")) {
        await waitFor(() => state.run(line), { timeoutMs: 10_000, what: line });
      } else if (line.startsWith("npx nadm app status ")) {
        await waitFor(() => /deployed/.test(state.run(line)), {
          timeoutMs: 60_000,
          what: `${line} says deployed`,
        });
        state.deployed = true;
      } else {
        state.run(line);
      }
    }
  }
  return state;
}
