import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, type TestContext, test } from "node:test";
import { fileURLToPath } from "node:url";
import { resolve, resourcesSchema } from "../../../src/config.js";
import { InstancesFile, readProcStat } from "../../../src/host/drivers/pid-file.js";
import { hostRecordSchema } from "../../../src/streams/host-record.js";
import { provision } from "../../../src/streams/provision.js";
import { keys, subjects } from "../../../src/streams/subjects.js";
import { testNats } from "../../support/nats.js";
import { waitFor } from "../../support/wait.js";
import { control, isAlive, liveInstancePids, makeCommand } from "./helpers.js";

const nats = await testNats();
const nc = await nats.connect();
const { hosts: kv } = await provision(nc, { resources: resolve(resourcesSchema, {}) });
const dataDir = mkdtempSync(join(tmpdir(), "nadm-orphans-"));
after(() => rmSync(dataDir, { recursive: true, force: true }));

const FIXTURE = fileURLToPath(new URL("./fixtures/run-agent.ts", import.meta.url));
const [lattice, hostId] = ["orphans", "h-orphans"];

/** Starts the agent in a child process; killed at the end of the test whatever happens. */
async function runAgent(t: TestContext): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", FIXTURE, JSON.stringify({ natsUrl: nats.url, lattice, hostId, dataDir })],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });
  let out = "";
  child.stdout?.setEncoding("utf8").on("data", (d: string) => {
    out += d;
  });
  await waitFor(() => out.includes("ready") || child.exitCode !== null, {
    timeoutMs: 15_000,
    what: "agent ready",
  });
  assert.ok(out.includes("ready"), "the agent started");
  return child;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((r) => child.once("exit", () => r()));
}

test("instances die within 2 s when the agent is SIGKILLed", async (t) => {
  const agent = await runAgent(t);
  const reply = await control(
    nc,
    subjects.control(lattice, hostId),
    makeCommand(lattice, hostId, { spec: { command: "sleep", args: ["300"] } }, 3),
  );
  assert.deepEqual(reply, { ok: true, running: 3 });
  assert.equal(liveInstancePids(hostId).length, 3);
  agent.kill("SIGKILL");
  await exited(agent);
  const t0 = Date.now();
  await waitFor(() => liveInstancePids(hostId).length === 0, {
    timeoutMs: 2_000,
    intervalMs: 20,
    what: "no orphans",
  });
  t.diagnostic(`instances gone ${Date.now() - t0} ms after the agent's exit was observed`);
});

test("an agent restarted with the same id and data dir kills stale instances, not recycled pids", async (t) => {
  // Stand-ins: `stale` is ours from a previous life; `decoy` has a recorded pid but another
  // start time (as if the pid had been recycled) and must survive.
  const stale = spawn("sleep", ["300"], { detached: true, stdio: "ignore" });
  const decoy = spawn("sleep", ["300"], { detached: true, stdio: "ignore" });
  t.after(() => {
    for (const c of [stale, decoy]) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  });
  await waitFor(() => readProcStat(stale.pid!) && readProcStat(decoy.pid!));
  const file = InstancesFile.at(dataDir);
  file.add({
    pid: stale.pid!,
    startTicks: readProcStat(stale.pid!)!.startTicks,
    workloadKey: "demo.web.r1",
    index: 0,
  });
  file.add({
    pid: decoy.pid!,
    startTicks: readProcStat(decoy.pid!)!.startTicks + 1,
    workloadKey: "demo.web.r1",
    index: 1,
  });

  const agent = await runAgent(t);
  await waitFor(() => stale.signalCode === "SIGKILL", {
    timeoutMs: 2_000,
    what: "the stale instance to be killed",
  });
  assert.ok(isAlive(decoy.pid!), "a recycled pid is left alone");
  // The record a SIGKILLed life left behind was taken over (compare-and-set on its revision).
  const entry = await kv.get(keys.host(lattice, hostId));
  assert.equal(entry?.operation, "PUT");
  assert.equal(hostRecordSchema.parse(entry?.json()).hostId, hostId);

  agent.kill("SIGTERM");
  await exited(agent);
  assert.equal(agent.exitCode, 0, "graceful exit on SIGTERM");
  assert.notEqual((await kv.get(keys.host(lattice, hostId)))?.operation, "PUT", "record deleted on SIGTERM");
});
