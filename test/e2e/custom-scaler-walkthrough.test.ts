/**
 * docs/custom-scalers.md, "From an empty folder to a deployed app", run as written: every file
 * block is written under its name, every shell line is run in order. nadm is built from this
 * checkout into a package folder (dist + package.json, so "nadm" and "nadm/testing" resolve
 * through the package's real `exports`), and two things differ from a user's machine, both
 * because this is a test: `npm install nadm` links that folder instead of downloading, and
 * `nadm up` gets a free port and a temporary data dir (tests run side by side).
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
import { join } from "node:path";
import { after, test } from "node:test";
import { freePort } from "../../src/system.js";
import { ROOT } from "../support/processes.js";
import { waitFor } from "../support/wait.js";

interface Block {
  lang: string;
  file?: string;
  body: string;
}

/** The fenced blocks of the walkthrough section, in order. */
function walkthrough(): Block[] {
  const doc = readFileSync(join(ROOT, "docs/custom-scalers.md"), "utf8");
  const section = doc.split(/^## /m).find((s) => s.startsWith("From an empty folder"));
  assert.ok(section, "the walkthrough section exists");
  return [...section.matchAll(/^```(\w+)(?: file=(\S+))?\n([\s\S]*?)^```$/gm)].map((m) => ({
    lang: m[1]!,
    file: m[2],
    body: m[3]!,
  }));
}

const tmp = mkdtempSync(join(tmpdir(), "nadm-walkthrough-"));
let up: ChildProcess | undefined;
after(async () => {
  if (up?.pid && up.exitCode === null) {
    const exited = new Promise((r) => up?.once("exit", r));
    process.kill(-up.pid, "SIGTERM"); // its own process group: npx, nadm up, nats-server, hosts
    await exited;
  }
  rmSync(tmp, { recursive: true, force: true });
});

/** nadm as a package: compiled dist, package.json, and this checkout's dependencies. */
function buildPackage(): string {
  const pkg = join(tmp, "nadm-package");
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

function installFrom(pkg: string, cwd: string): void {
  mkdirSync(join(cwd, "node_modules/.bin"), { recursive: true });
  symlinkSync(pkg, join(cwd, "node_modules/nadm"));
  symlinkSync(join(pkg, "dist/cli/main.js"), join(cwd, "node_modules/.bin/nadm"));
}

test("the custom scaler walkthrough runs as written and deploys the app", async () => {
  const pkg = buildPackage();
  const port = await freePort();
  const env = {
    ...process.env,
    NATS_URL: `nats://127.0.0.1:${port}`,
    PATH: `${process.env.PATH}:/usr/sbin`,
    NADM_LOG_LEVEL: "warn",
  };
  let cwd = tmp;
  const run = (line: string) =>
    execFileSync("sh", ["-c", line], { cwd, env, encoding: "utf8", stdio: "pipe" });
  let deployed = false;
  for (const block of walkthrough()) {
    if (block.file) {
      writeFileSync(join(cwd, block.file), block.body);
      continue;
    }
    for (const line of block.body.split("\n").filter((l) => l.trim() && !l.startsWith("#"))) {
      const mk = /^mkdir (\S+) && cd \1$/.exec(line);
      if (mk) {
        cwd = join(cwd, mk[1]!);
        mkdirSync(cwd);
      } else if (line === "npm install nadm") {
        installFrom(pkg, cwd);
      } else if (line.startsWith("npx nadm up ")) {
        const full = `exec ${line} --port ${port} --data-dir ${join(tmp, "up")}`;
        up = spawn("sh", ["-c", full], { cwd, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
        let out = "";
        up.stdout?.on("data", (d: Buffer) => (out += d.toString()));
        up.stderr?.on("data", (d: Buffer) => (out += d.toString()));
        await waitFor(() => out.includes("nadm is up"), { timeoutMs: 60_000, what: `"nadm is up" (${out})` });
      } else if (line.startsWith("npx nadm app status ")) {
        await waitFor(() => /deployed/.test(run(line)), { timeoutMs: 60_000, what: `${line} says deployed` });
        deployed = true;
      } else {
        run(line);
      }
    }
  }
  assert.ok(deployed, "the walkthrough ends with the app deployed");
  const status = JSON.parse(run("npx nadm app status packed --json")) as {
    components: Array<{ hosts: Record<string, number> }>;
  };
  const counts = Object.values(status.components[0]?.hosts ?? {})
    .filter((n) => n > 0)
    .sort();
  assert.deepEqual(counts, [1, 2], "3 instances packed on 2 hosts");
});
