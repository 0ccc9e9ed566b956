/**
 * Components that find each other, on a real nats-server with a real controller and two
 * process hosts: `dependsOn` holds `web` until `api` is ready (and status says so), `web`
 * starts with api's endpoints in `API_URL` and a file that follows them, the `endpoints` API op
 * lists where api listens, and scaling api rewrites the file without restarting web.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { ApiClient } from "../../../src/api/client.js";
import { HostAgent } from "../../../src/host/index.js";
import type { WorkloadInventory } from "../../../src/streams/host-record.js";
import { startController } from "../../support/controller.js";
import { httpGet } from "../../support/http.js";
import { testNats } from "../../support/nats.js";
import { waitFor } from "../../support/wait.js";

const body = async (endpoint: string) => (await httpGet(endpoint)).body;

const nats = await testNats();
const nc = await nats.connect();
await startController(nc, { tickIntervalMs: 200 });
const api = new ApiClient(nc, "default");
const dir = mkdtempSync(join(tmpdir(), "nadm-links-"));

// The API listens only after a while, so that web has something to wait for.
const apiScript = join(dir, "api.mjs");
writeFileSync(
  apiScript,
  `import http from "node:http";
setTimeout(() => http.createServer((req, res) => res.end("api " + process.pid)).listen(Number(process.env.PORT), "127.0.0.1"), 1500);
`,
);

const agents = ["h1", "h2"].map(
  (hostId) =>
    new HostAgent({
      nc,
      hostId,
      dataDir: join(dir, hostId),
      advertiseAddress: "127.0.0.1",
      heartbeatIntervalMs: 500,
      stopGraceMs: 1_000,
    }),
);
await Promise.all(agents.map((a) => a.start()));
after(async () => {
  await Promise.all(agents.map((a) => a.stop()));
  rmSync(dir, { recursive: true, force: true });
});

function manifest(version: string, apiInstances: number): string {
  return JSON.stringify({
    apiVersion: "nadm.dev/v1",
    kind: "Application",
    metadata: { name: "shop", annotations: { version } },
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
          traits: [{ type: "spreadscaler", properties: { instances: apiInstances } }],
        },
        {
          name: "web",
          type: "process",
          properties: { command: "sleep", args: ["600"], links: [{ component: "api", env: "API_URL" }] },
          dependsOn: ["api"],
          traits: [{ type: "spreadscaler", properties: { instances: 1 } }],
        },
      ],
    },
  });
}

function web(): { agent: HostAgent; key: string; inv: WorkloadInventory } | undefined {
  for (const agent of agents) {
    for (const [key, inv] of Object.entries(agent.inventory())) {
      if (inv.component === "web" && inv.running > 0) return { agent, key, inv };
    }
  }
  return undefined;
}

function environ(pid: number): Map<string, string> {
  const raw = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").filter(Boolean);
  return new Map(raw.map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]));
}

test("dependsOn, links, the endpoints file and the endpoints op", async () => {
  await api.put(manifest("v1", 2));
  await api.deploy("shop", "v1");

  const waiting = await waitFor(
    async () => {
      const s = await api.status("shop");
      return s.components.find((c) => c.name === "web")?.phase === "waiting" && s;
    },
    { what: "web waiting for api" },
  );
  assert.match(waiting.message, /web: waiting for api \(0 ready\)/);
  assert.equal(web(), undefined, "web does not run while api is not ready");

  const started = await waitFor(web, { what: "web running", timeoutMs: 15_000 });
  const pid = started.inv.pids![0]!;
  const env = environ(pid);
  const atStart = env.get("API_URL")!.split(",");
  assert.ok(
    atStart.length >= 1 && atStart.every((e) => /^127\.0\.0\.1:\d+$/.test(e)),
    `API_URL=${env.get("API_URL")}`,
  );
  const file = env.get("NADM_ENDPOINTS_FILE")!;
  assert.equal(file, join(dir, started.agent.hostId, "endpoints", `${started.key}.json`));

  // The op lists both api instances; each answers at its endpoint; the file says the same.
  const listed = await waitFor(
    async () => {
      const r = await api.endpoints("shop");
      const apis = r.components.find((c) => c.component === "api")?.endpoints ?? [];
      return apis.length === 2 && apis.map((e) => e.endpoint);
    },
    { what: "2 api endpoints" },
  );
  for (const e of listed) assert.match(await body(e), /^api \d+$/);
  await waitFor(() => JSON.stringify(JSON.parse(readFileSync(file, "utf8")).api) === JSON.stringify(listed), {
    what: "the file lists both api endpoints",
  });
  const ok = await api.status("shop");
  await waitFor(async () => (await api.status("shop")).phase === "deployed", {
    what: `deployed (was: ${ok.message})`,
  });

  // Scaling api down: the file follows, web keeps running (same pid, no restart).
  await api.put(manifest("v2", 1));
  await api.deploy("shop", "v2");
  const after1 = await waitFor(
    () => {
      const list = JSON.parse(readFileSync(file, "utf8")).api as string[];
      return list.length === 1 && list;
    },
    { what: "the file down to 1 api endpoint" },
  );
  assert.ok(listed.includes(after1[0]!));
  const now = web();
  assert.deepEqual(now?.inv.pids, [pid]);
  assert.equal(now?.inv.restarts, 0);
});
