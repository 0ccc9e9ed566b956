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
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { freePort } from "../../src/system.js";
import { waitFor } from "../support/wait.js";
import { buildPackage, commandLines, installFrom, walkthrough } from "../support/walkthrough.js";

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

test("the custom scaler walkthrough runs as written and deploys the app", async () => {
  const pkg = buildPackage(tmp);
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
  for (const block of walkthrough("docs/custom-scalers.md", "From an empty folder to a deployed app")) {
    if (block.file) {
      writeFileSync(join(cwd, block.file), block.body);
      continue;
    }
    for (const line of commandLines(block)) {
      const mk = /^mkdir (\S+) && cd \1$/.exec(line);
      if (mk) {
        cwd = join(cwd, mk[1]!);
        mkdirSync(cwd);
      } else if (line.startsWith("npm install ")) {
        installFrom(pkg, cwd, line.split(" ").slice(2));
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
