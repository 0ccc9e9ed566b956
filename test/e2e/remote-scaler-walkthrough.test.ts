/**
 * docs/custom-scalers.md, "From an empty folder to a remote scaler", run as written: file blocks
 * are written under their names and shell lines run in order. Differences from a user's machine,
 * all because this is a test: `npm install` links this checkout's packages instead of
 * downloading, `nadm up` gets a free port and a temporary data dir, a line ending in `&` runs in
 * the background until it prints its first line (and is stopped at the end), and `app put` is
 * retried for a few seconds (the controller learns of the registration from a KV watch).
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

const tmp = mkdtempSync(join(tmpdir(), "nadm-remote-walkthrough-"));
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

/** Starts `line` in the background and resolves once it has printed `ready` (or anything). */
async function inBackground(line: string, cwd: string, env: NodeJS.ProcessEnv, ready?: string) {
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
}

test("the remote scaler walkthrough runs as written and deploys the app", async () => {
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
  for (const block of walkthrough("docs/custom-scalers.md", "From an empty folder to a remote scaler")) {
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
      } else if (line.startsWith("npx nadm up ") && line.endsWith(" &")) {
        const full = `${line.slice(0, -2)} --port ${port} --data-dir ${join(tmp, "up")}`;
        await inBackground(full, cwd, env, "nadm is up");
      } else if (line.endsWith(" &")) {
        await inBackground(line.slice(0, -2), cwd, env);
      } else if (line.startsWith("npx nadm app put ")) {
        await waitFor(() => run(line), { timeoutMs: 10_000, what: line });
      } else if (line.startsWith("npx nadm app status ")) {
        await waitFor(() => /deployed/.test(run(line)), { timeoutMs: 60_000, what: `${line} says deployed` });
        deployed = true;
      } else {
        run(line);
      }
    }
  }
  assert.ok(deployed, "the walkthrough ends with the app deployed");
  const status = JSON.parse(run("npx nadm app status spread-out --json")) as {
    components: Array<{ scaler: string; hosts: Record<string, number> }>;
  };
  const web = status.components[0]!;
  assert.equal(web.scaler, "one-each");
  const placed = Object.entries(web.hosts).filter(([, n]) => n > 0);
  assert.deepEqual(
    placed.map(([, n]) => n),
    [1, 1],
    "one instance on each of 2 hosts",
  );
});
