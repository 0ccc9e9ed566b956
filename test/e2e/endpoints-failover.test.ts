/**
 * End to end, as processes: a controller and three hosts (web on `front`, api on one of two
 * `back` hosts). SIGKILL the host running api: the web instance's endpoints file drops the dead
 * endpoint and gains the replacement within 3 heartbeats + 1 s, and web is not restarted.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { runCli } from "../support/cli.js";
import { testNats } from "../support/nats.js";
import { instancesOf, type NadmProcess, spawnNadm } from "../support/processes.js";
import { waitFor } from "../support/wait.js";

const nats = await testNats();
const dir = mkdtempSync(join(tmpdir(), "nadm-e2e-endpoints-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const env = { NATS_URL: nats.url };
const HEARTBEAT_MS = 1_000;

const apiScript = join(dir, "api.mjs");
writeFileSync(
  apiScript,
  `import http from "node:http";
http.createServer((req, res) => res.end("api")).listen(Number(process.env.PORT), "127.0.0.1");
`,
);
const manifestFile = join(dir, "shop.json");
writeFileSync(
  manifestFile,
  JSON.stringify({
    apiVersion: "nadm.dev/v1",
    kind: "Application",
    metadata: { name: "shop", annotations: { version: "v1" } },
    spec: {
      components: [
        {
          name: "api",
          type: "process",
          properties: {
            command: process.execPath,
            args: [apiScript],
            port: "auto",
            readiness: { type: "tcp" },
          },
          traits: [
            {
              type: "spreadscaler",
              properties: { instances: 1, spread: [{ name: "back", requirements: { zone: "back" } }] },
            },
          ],
        },
        {
          name: "web",
          type: "process",
          properties: { command: "sleep", args: ["600"], links: [{ component: "api", env: "API_URL" }] },
          dependsOn: ["api"],
          traits: [
            {
              type: "spreadscaler",
              properties: { instances: 1, spread: [{ name: "front", requirements: { zone: "front" } }] },
            },
          ],
        },
      ],
    },
  }),
);

async function cli(...args: string[]) {
  const r = await runCli([...args, "--json"], { env });
  assert.equal(r.code, 0, `nadm ${args.join(" ")} failed: ${r.stdout}${r.stderr}`);
  return r.json as Record<string, unknown>;
}

const controller = spawnNadm("controller", ["controller", "--tick-interval", "250ms"], env);
const hosts: Record<string, NadmProcess> = Object.fromEntries(
  [
    ["front-1", "front"],
    ["back-1", "back"],
    ["back-2", "back"],
  ].map(([id, zone]) => [
    id,
    spawnNadm(
      `host-${id}`,
      [
        "host",
        "--host-id",
        id!,
        "--label",
        `zone=${zone}`,
        "--heartbeat-interval",
        `${HEARTBEAT_MS}ms`,
        "--advertise-address",
        "127.0.0.1",
        "--data-dir",
        join(dir, id!),
      ],
      env,
    ),
  ]),
);

function endpointsFile(): string[] | undefined {
  try {
    const files = readdirSync(join(dir, "front-1", "endpoints")).filter((f) => f.endsWith(".json"));
    return files.length === 1
      ? (JSON.parse(readFileSync(join(dir, "front-1", "endpoints", files[0]!), "utf8")).api as string[])
      : undefined;
  } catch {
    return undefined;
  }
}

test("SIGKILL of the api's host: web's endpoints file follows within 3 heartbeats + 1 s, web not restarted", async (t) => {
  let passed = false;
  t.after(() => {
    if (!passed)
      for (const p of [controller, ...Object.values(hosts)])
        console.log(`--- ${p.name}\n${p.output().slice(-3000)}`);
  });
  await waitFor(async () => ((await cli("hosts", "list")) as unknown as unknown[]).length === 3, {
    timeoutMs: 30_000,
    what: "3 hosts",
  });
  await cli("app", "put", manifestFile);
  await cli("app", "deploy", "shop");
  await waitFor(async () => (await cli("app", "status", "shop")).phase === "deployed", {
    timeoutMs: 30_000,
    what: "deployed",
  });
  const listed = (await cli("app", "endpoints", "shop")) as {
    components: Array<{ component: string; endpoints: Array<{ hostId: string; endpoint: string }> }>;
  };
  const old = listed.components.find((c) => c.component === "api")!.endpoints[0]!;
  assert.deepEqual(endpointsFile(), [old.endpoint]);
  const webBefore = instancesOf("shop").filter((p) => p.component === "web");
  assert.equal(webBefore.length, 1);

  const killedAt = Date.now();
  await hosts[old.hostId]!.kill();
  const replaced = await waitFor(
    () => {
      const list = endpointsFile();
      return list?.length === 1 && list[0] !== old.endpoint && list;
    },
    { timeoutMs: 20_000, intervalMs: 20, what: "the endpoints file to name the replacement" },
  );
  const ms = Date.now() - killedAt;
  console.log(JSON.stringify({ metric: "endpoints_file_failover_ms", value: ms, heartbeatMs: HEARTBEAT_MS }));
  assert.ok(ms <= 3 * HEARTBEAT_MS + 1_000, `the file changed after ${ms} ms, more than 3 heartbeats + 1 s`);
  const now = (await cli("app", "endpoints", "shop")) as typeof listed;
  const survivor = old.hostId === "back-1" ? "back-2" : "back-1";
  assert.deepEqual(
    now.components.find((c) => c.component === "api")?.endpoints.map((e) => [e.hostId, e.endpoint]),
    [[survivor, replaced[0]]],
  );
  assert.deepEqual(
    instancesOf("shop")
      .filter((p) => p.component === "web")
      .map((p) => p.pid),
    webBefore.map((p) => p.pid),
    "web was not restarted",
  );
  passed = true;
});
