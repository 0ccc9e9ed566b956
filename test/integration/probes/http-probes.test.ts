/**
 * HTTP readiness and liveness probes on real processes, with a real host and controller: an
 * instance is ready only while its readiness path answers as expected; one whose liveness path
 * answers 500 is restarted after exactly `failureThreshold` failures, and `app status` says why.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, type TestContext, test } from "node:test";
import { ApiClient } from "../../../src/api/client.js";
import { HostAgent } from "../../../src/host/index.js";
import type { WorkloadInventory } from "../../../src/streams/host-record.js";
import { startController } from "../../support/controller.js";
import { testNats } from "../../support/nats.js";
import { waitFor } from "../../support/wait.js";

const nats = await testNats();
const nc = await nats.connect();
await startController(nc, { tickIntervalMs: 200 });
const dir = mkdtempSync(join(tmpdir(), "nadm-probes-"));
after(() => rmSync(dir, { recursive: true, force: true }));

// Answers /ready with 200 once READY_FLAG exists (503 before), /healthz with 500 while
// BROKEN_FLAG exists (200 otherwise), and appends every start and /healthz answer to HITS
// synchronously, before answering (stdout could lose its last lines to the SIGTERM).
const server = join(dir, "server.mjs");
writeFileSync(
  server,
  `import http from "node:http";
import fs from "node:fs";
const hit = (line) => fs.appendFileSync(process.env.HITS, line + "\\n");
hit("start " + process.pid);
http.createServer((req, res) => {
  if (req.url === "/healthz") {
    const code = fs.existsSync(process.env.BROKEN_FLAG) ? 500 : 200;
    hit("healthz " + code);
    res.writeHead(code).end();
  } else if (req.url === "/ready") {
    res.writeHead(fs.existsSync(process.env.READY_FLAG) ? 200 : 503).end();
  } else res.end("hello");
}).listen(Number(process.env.PORT), "127.0.0.1");
`,
);

/** One lattice per test: its own host, and an API client for it. */
async function lattice(t: TestContext, name: string) {
  const dataDir = join(dir, name);
  const agent = new HostAgent({
    nc,
    lattice: name,
    hostId: "probe-host",
    dataDir,
    heartbeatIntervalMs: 500,
    stopGraceMs: 1_000,
    backoff: { baseMs: 300, maxMs: 1_000 },
  });
  t.after(() => agent.stop());
  await agent.start();
  const api = new ApiClient(nc, name);
  const inventoryOf = (app: string): WorkloadInventory | undefined =>
    Object.values(agent.inventory()).find((w) => w.app === app && w.desired > 0);
  const deploy = async (text: string) => {
    const put = await api.put(text);
    await api.deploy(put.name, put.version);
  };
  return { agent, api, dataDir, inventoryOf, deploy };
}

function manifest(name: string, flags: { ready: string; broken: string }, probes: object): string {
  return JSON.stringify({
    apiVersion: "nadm.dev/v1",
    kind: "Application",
    metadata: { name, annotations: { version: "v1" } },
    spec: {
      components: [
        {
          name: "web",
          type: "process",
          properties: {
            command: process.execPath,
            args: [server],
            port: "auto",
            env: { READY_FLAG: flags.ready, BROKEN_FLAG: flags.broken, HITS: `${flags.broken}.hits` },
            ...probes,
          },
          traits: [{ type: "spreadscaler", properties: { instances: 1 } }],
        },
      ],
    },
  });
}

test("http readiness: not ready (probe and answer reported) until the path answers 200, and not ready again after failureThreshold failures", async (t) => {
  const { api, inventoryOf, deploy } = await lattice(t, "readiness");
  const flags = { ready: join(dir, "r1-ready"), broken: join(dir, "r1-broken") };
  const readiness = { type: "http", path: "/ready", intervalSeconds: 0.2, failureThreshold: 2 };
  await deploy(manifest("ready-app", flags, { readiness }));

  const waiting = await waitFor(
    () => inventoryOf("ready-app")?.probe?.includes("HTTP 503") && inventoryOf("ready-app"),
    {
      what: "a failing readiness probe reported",
    },
  );
  assert.equal(waiting.ready, 0);
  assert.equal(waiting.running, 1);
  assert.match(waiting.probe ?? "", /^readiness probe GET :\d+\/ready: HTTP 503$/);
  const status = await waitFor(
    async () => {
      const s = await api.status("ready-app");
      return /readiness probe GET :\d+\/ready: HTTP 503/.test(s.message) && s;
    },
    { what: "status naming the readiness probe" },
  );
  assert.equal(status.phase, "reconciling");

  writeFileSync(flags.ready, "");
  const ready = await waitFor(() => inventoryOf("ready-app")?.ready === 1 && inventoryOf("ready-app"), {
    what: "ready once /ready answers 200",
  });
  assert.equal(ready.probe, undefined, "a passing probe clears the report");
  await waitFor(async () => (await api.status("ready-app")).phase === "deployed", { what: "deployed" });

  unlinkSync(flags.ready);
  const lost = await waitFor(() => inventoryOf("ready-app")?.ready === 0 && inventoryOf("ready-app"), {
    what: "not ready again",
  });
  assert.equal(lost.running, 1, "a failing readiness probe does not restart the instance");
  assert.equal(lost.restarts, 0);
});

test("http liveness answering 500: restarted after exactly failureThreshold failures, with the crash backoff, and status says why", async (t) => {
  const { api, inventoryOf, deploy } = await lattice(t, "liveness");
  const flags = { ready: join(dir, "l1-ready"), broken: join(dir, "l1-broken") };
  writeFileSync(flags.ready, "");
  const liveness = { type: "http", path: "/healthz", intervalSeconds: 0.2, failureThreshold: 3 };
  await deploy(manifest("live-app", flags, { liveness }));
  await waitFor(async () => (await api.status("live-app")).phase === "deployed", { what: "deployed" });
  const first = inventoryOf("live-app")!;
  assert.equal(first.restarts, 0);

  writeFileSync(flags.broken, "");
  const restarted = await waitFor(
    () => (inventoryOf("live-app")?.restarts ?? 0) >= 1 && inventoryOf("live-app"),
    {
      what: "a restart",
    },
  );
  assert.match(
    restarted.lastError ?? "",
    /^liveness probe GET :\d+\/healthz failed 3 times in a row: HTTP 500$/,
  );

  // Every answer was recorded: no more than 3 failing answers between breaking and the restart
  // (fewer only when a probe timed out on a loaded machine: a timeout is a failure too; that the
  // third failure in a row is what restarted it, the error message above says).
  const logFile = `${flags.broken}.hits`;
  const lines = await waitFor(
    () => {
      const all = readFileSync(logFile, "utf8").split("\n").filter(Boolean);
      return all.filter((l) => l.startsWith("start ")).length >= 2 && all;
    },
    { what: "the instance started again" },
  );
  const log = lines.join("\n");
  const secondStart = lines.findIndex((l, i) => i > 0 && l.startsWith("start "));
  const beforeRestart = lines.slice(0, secondStart);
  const failing = beforeRestart.filter((l) => l === "healthz 500").length;
  assert.ok(failing >= 1 && failing <= 3, `${failing} failing answers before the restart:\n${log}`);
  assert.notEqual(beforeRestart.at(-1), "healthz 200", "not killed after a healthy answer");

  const told = await waitFor(
    async () => {
      const s = await api.status("live-app");
      return /liveness probe GET :\d+\/healthz failed 3 times in a row: HTTP 500/.test(s.message) && s;
    },
    { what: "status saying the liveness probe failed", timeoutMs: 15_000 },
  );
  assert.notEqual(told.phase, "deployed");

  // Healthy again: the restarted instance stays up.
  rmSync(flags.broken);
  await waitFor(async () => (await api.status("live-app")).phase === "deployed", { what: "deployed again" });
  assert.ok(!existsSync(flags.broken));
});
