/**
 * End to end, as processes and through the CLI: an API and a web front end (small Node
 * servers made here, packed with the system tar) shipped with `nadm artifact put`, deployed on
 * 2 hosts in 2 zones with `web` linking to and depending on `api`. The web endpoint answers
 * with data fetched from the API through the injected address; a v2 API artifact deployed
 * changes the answer, without restarting web.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { runCli } from "../support/cli.js";
import { httpGet } from "../support/http.js";
import { testNats } from "../support/nats.js";
import { instancesOf, type NadmProcess, spawnNadm } from "../support/processes.js";
import { waitFor } from "../support/wait.js";

const nats = await testNats();
const dir = mkdtempSync(join(tmpdir(), "nadm-e2e-app-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const env = { NATS_URL: nats.url };

function tarball(name: string, files: Record<string, string>): string {
  const src = join(dir, `src-${name}`);
  mkdirSync(src, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(join(src, file), text);
  const out = join(dir, `${name}.tar.gz`);
  execFileSync("tar", ["-czf", out, "-C", src, "."]);
  return out;
}

const apiServer = (version: string) => `import http from "node:http";
http.createServer((req, res) => {
  res.setHeader("content-type", "application/json");
  res.end(JSON.stringify({ data: "hello from api ${version}" }));
}).listen(Number(process.env.PORT), "127.0.0.1");
`;

// Reads the endpoints file on every request, so it follows api's instances without a restart.
const webServer = `import http from "node:http";
import fs from "node:fs";
function api() {
  const list = JSON.parse(fs.readFileSync(process.env.NADM_ENDPOINTS_FILE, "utf8")).api;
  return list[Math.floor(Math.random() * list.length)] ?? process.env.API_URL.split(",")[0];
}
http.createServer((req, res) => {
  http.get("http://" + api() + "/", (r) => {
    let body = "";
    r.on("data", (d) => (body += d));
    r.on("end", () => res.end("web got: " + JSON.parse(body).data));
  }).on("error", (e) => { res.statusCode = 502; res.end(String(e)); });
}).listen(Number(process.env.PORT), "127.0.0.1");
`;

function manifest(version: string, apiArtifact: string): string {
  const file = join(dir, `demo-${version}.json`);
  const zones = [
    { name: "east", requirements: { zone: "east" } },
    { name: "west", requirements: { zone: "west" } },
  ];
  writeFileSync(
    file,
    JSON.stringify({
      apiVersion: "nadm.dev/v1",
      kind: "Application",
      metadata: { name: "demo", annotations: { version } },
      spec: {
        components: [
          {
            name: "api",
            type: "process",
            properties: {
              artifact: { name: apiArtifact },
              command: process.execPath,
              args: ["server.mjs"],
              port: "auto",
              readiness: { type: "http", path: "/", intervalSeconds: 0.5 },
            },
            traits: [{ type: "spreadscaler", properties: { instances: 2, spread: zones } }],
          },
          {
            name: "web",
            type: "process",
            properties: {
              artifact: { name: "web-1" },
              command: process.execPath,
              args: ["server.mjs"],
              port: "auto",
              readiness: { type: "tcp" },
              links: [{ component: "api", env: "API_URL" }],
            },
            dependsOn: ["api"],
            traits: [{ type: "spreadscaler", properties: { instances: 2, spread: zones } }],
          },
        ],
      },
    }),
  );
  return file;
}

async function cli(...args: string[]) {
  const r = await runCli([...args, "--json"], { env });
  assert.equal(r.code, 0, `nadm ${args.join(" ")} failed: ${r.stdout}${r.stderr}`);
  return r.json as Record<string, unknown>;
}

const controller = spawnNadm("controller", ["controller", "--tick-interval", "250ms"], env);
const hosts: NadmProcess[] = [
  ["east-1", "east"],
  ["west-1", "west"],
].map(([id, zone]) =>
  spawnNadm(
    `host-${id}`,
    [
      "host",
      ...["--host-id", id!, "--label", `zone=${zone}`, "--heartbeat-interval", "1s"],
      ...["--advertise-address", "127.0.0.1", "--data-dir", join(dir, id!)],
    ],
    env,
  ),
);

test("a two-part app shipped as artifacts: web answers with the API's data, and a v2 API changes the answer", async (t) => {
  let passed = false;
  t.after(() => {
    if (!passed)
      for (const p of [controller, ...hosts]) console.log(`--- ${p.name}\n${p.output().slice(-3000)}`);
  });
  await waitFor(async () => ((await cli("hosts", "list")) as unknown as unknown[]).length === 2, {
    timeoutMs: 30_000,
    what: "2 hosts",
  });
  const api1 = (await cli(
    "artifact",
    "put",
    tarball("api-v1", { "server.mjs": apiServer("v1") }),
    "--name",
    "api-1",
  )) as {
    digest: string;
  };
  await cli("artifact", "put", tarball("web", { "server.mjs": webServer }), "--name", "web-1");
  await cli("app", "put", manifest("v1", "api-1"));
  await cli("app", "deploy", "demo");
  await waitFor(async () => (await cli("app", "status", "demo")).phase === "deployed", {
    timeoutMs: 60_000,
    what: "v1 deployed",
  });

  const endpoints = (await cli("app", "endpoints", "demo")) as {
    components: Array<{ component: string; endpoints: Array<{ hostId: string; endpoint: string }> }>;
  };
  const webs = endpoints.components.find((c) => c.component === "web")!.endpoints;
  assert.deepEqual(webs.map((e) => e.hostId).sort(), ["east-1", "west-1"], "web in both zones");
  for (const w of webs)
    assert.deepEqual(await httpGet(w.endpoint), { status: 200, body: "web got: hello from api v1" });

  // Deleting an artifact a stored version uses is refused, naming the version.
  const refused = await runCli(["artifact", "delete", "api-1", "--json"], { env });
  assert.equal(refused.code, 1);
  assert.match(refused.stdout, /"conflict"[\s\S]*demo@v1 \(api\)/);

  const webPids = instancesOf("demo")
    .filter((p) => p.component === "web")
    .map((p) => p.pid)
    .sort();
  await cli("artifact", "put", tarball("api-v2", { "server.mjs": apiServer("v2") }), "--name", "api-2");
  await cli("app", "put", manifest("v2", "api-2"));
  // Sampled during the upgrade: the api rolls (surge 1, unavailable 0 for 2 instances) and an
  // old instance leaves the endpoints (the web's file follows) before it stops.
  let [samples, failures, sampling] = [0, 0, true];
  const sampler = (async () => {
    while (sampling) {
      const r = await httpGet(webs[0]!.endpoint).catch(() => ({ status: 0, body: "" }));
      samples++;
      if (r.status !== 200) failures++;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  await cli("app", "deploy", "demo");
  await waitFor(
    async () => {
      const s = await cli("app", "status", "demo");
      const r = await httpGet(webs[0]!.endpoint);
      return s.phase === "deployed" && s.version === "v2" && r.body === "web got: hello from api v2";
    },
    { timeoutMs: 60_000, intervalMs: 100, what: "v2's answer" },
  );
  sampling = false;
  await sampler;
  console.log(JSON.stringify({ metric: "web_requests_during_api_upgrade", samples, failures }));
  assert.ok(samples > 0);
  assert.equal(failures, 0, `${failures} of ${samples} web requests failed during the api upgrade`);
  for (const w of webs) assert.equal((await httpGet(w.endpoint)).body, "web got: hello from api v2");
  assert.deepEqual(
    instancesOf("demo")
      .filter((p) => p.component === "web")
      .map((p) => p.pid)
      .sort(),
    webPids,
    "web was not restarted",
  );
  const list = (await cli("artifact", "list")) as unknown as Array<{ names: string[]; digest: string }>;
  assert.ok(list.some((a) => a.digest === api1.digest && a.names.includes("api-1")));
  passed = true;
});
