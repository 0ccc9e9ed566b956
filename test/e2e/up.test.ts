/**
 * The quickstart, as a user runs it: `nadm up --deploy manifests/echo.yaml` brings up
 * nats-server, a controller and process hosts, the echo app answers HTTP, and Ctrl-C stops
 * everything: no instance, host or nats-server process is left behind.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { freePort } from "../../src/system.js";
import { runCli } from "../support/cli.js";
import { instancesOf, spawnNadm } from "../support/processes.js";
import { waitFor } from "../support/wait.js";

const dir = mkdtempSync(join(tmpdir(), "nadm-up-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function natsServersOn(storeDir: string): number[] {
  return readdirSync("/proc")
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, "utf8").split("\0").includes(storeDir);
      } catch {
        return false;
      }
    })
    .map(Number);
}

test("nadm up runs everything, deploys the echo app, and Ctrl-C stops it all", async () => {
  const port = await freePort();
  const httpPort = await freePort();
  const env = { NATS_URL: `nats://127.0.0.1:${port}` };
  const up = spawnNadm(
    "up",
    [
      "up",
      "--data-dir",
      dir,
      "--port",
      String(port),
      "--hosts",
      "2",
      "--label",
      "zone=local",
      "--deploy",
      "manifests/echo.yaml",
      "--http-port",
      String(httpPort),
    ],
    { NADM_LOG_LEVEL: "warn" },
  );
  await waitFor(() => up.output().includes("nadm is up"), { timeoutMs: 30_000, what: "the welcome text" });
  assert.match(up.output(), /Deployed manifests\/echo\.yaml/);
  await waitFor(
    async () => {
      const r = await runCli(["app", "status", "echo", "--json"], { env });
      return (r.json as { phase?: string } | undefined)?.phase === "deployed";
    },
    { timeoutMs: 30_000, what: "echo deployed" },
  );
  const hosts = await runCli(["hosts", "list", "--json"], { env });
  const listed = hosts.json as Array<{ hostId: string; labels: Record<string, string> }>;
  assert.deepEqual(listed.map((h) => [h.hostId, h.labels.zone]).sort(), [
    ["local-1", "local"],
    ["local-2", "local"],
  ]);

  // The echo server logs its port; it answers with who served the request.
  const logs = join(dir, "hosts");
  const portOf = (host: string) => {
    const workloadDir = readdirSync(join(logs, host, "logs")).find((d) => d.startsWith("echo.echo."))!;
    const file = readdirSync(join(logs, host, "logs", workloadDir)).find((f) => f.endsWith(".log"))!;
    return /listening on (\d+)/.exec(readFileSync(join(logs, host, "logs", workloadDir, file), "utf8"))?.[1];
  };
  const echoPort = await waitFor(() => portOf("local-1") ?? portOf("local-2"), { what: "an echo port" });
  const reply = (await (await fetch(`http://127.0.0.1:${echoPort}/hello`)).json()) as Record<string, string>;
  assert.equal(reply.app, "echo");
  assert.equal(reply.url, "/hello");
  assert.equal(instancesOf("echo").length, 2);

  // One set of probes for everything `up` runs: ready, with the controller's and the hosts' series.
  const probe = (path: string) => fetch(`http://127.0.0.1:${httpPort}${path}`);
  assert.equal((await probe("/livez")).status, 200);
  assert.equal((await probe("/readyz")).status, 200);
  const metrics = await (await probe("/metrics")).text();
  assert.match(metrics, /nadm_apps\{lattice="default",phase="deployed"\} 1/);
  assert.match(
    metrics,
    /nadm_host_instances\{host="local-1",workload="echo\.echo\.[^"]+",state="running"\} 1/,
  );
  assert.match(metrics, /nadm_host_record_writes_total\{host="local-2"\} [1-9]/);

  assert.equal(await up.stop(), 0, "Ctrl-C (SIGTERM here) exits 0");
  assert.equal(instancesOf("echo").length, 0, "no instance left");
  await waitFor(() => natsServersOn(join(dir, "nats")).length === 0, {
    timeoutMs: 5_000,
    what: "nats-server gone",
  });
});

test("nadm up killed outright (SIGKILL) leaves no nats-server or instance behind", async () => {
  const port = await freePort();
  const dataDir = join(dir, "killed");
  const up = spawnNadm(
    "up-killed",
    ["up", "--data-dir", dataDir, "--port", String(port), "--deploy", "manifests/echo.yaml"],
    { NADM_LOG_LEVEL: "warn", NATS_URL: `nats://127.0.0.1:${port}` },
  );
  await waitFor(() => instancesOf("echo").length === 2, {
    timeoutMs: 30_000,
    what: "echo instances running",
  });
  assert.equal(natsServersOn(join(dataDir, "nats")).length, 1);
  await up.kill();
  await waitFor(() => instancesOf("echo").length === 0 && natsServersOn(join(dataDir, "nats")).length === 0, {
    timeoutMs: 2_000,
    what: "instances and nats-server gone with their parent",
  });
});
