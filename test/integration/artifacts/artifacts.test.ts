/**
 * Artifacts through NATS, on a real nats-server with a real controller and a process host:
 * content-addressed storage with names, digests pinned at `app put`, a host that fetches
 * (reporting progress), verifies, unpacks and runs the code, notices a corrupted cache and
 * fetches again, collects what no workload uses, and reports a deleted artifact by name.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { ApiClient } from "../../../src/api/client.js";
import { ArtifactStore } from "../../../src/artifacts/store.js";
import { NadmError } from "../../../src/errors.js";
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
const store = await ArtifactStore.open(nc);
const dir = mkdtempSync(join(tmpdir(), "nadm-artifacts-"));
const hostDir = join(dir, "host");
const agent = new HostAgent({
  nc,
  hostId: "h1",
  dataDir: hostDir,
  advertiseAddress: "127.0.0.1",
  heartbeatIntervalMs: 500,
  stopGraceMs: 1_000,
  backoff: { baseMs: 300, maxMs: 1_000 },
  artifactCacheKeepMs: 0,
});
await agent.start();
after(async () => {
  await agent.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A .tar.gz of a tiny server answering `answer`, started by `run.sh` (a command inside the artifact). */
function serverTarball(name: string, answer: string, padding = 0): string {
  const src = join(dir, `src-${name}`);
  mkdirSync(src, { recursive: true });
  writeFileSync(
    join(src, "server.mjs"),
    `import http from "node:http";
http.createServer((req, res) => res.end(${JSON.stringify(answer)})).listen(Number(process.env.PORT), "127.0.0.1");
`,
  );
  writeFileSync(join(src, "run.sh"), `#!/bin/sh\nexec "$NODE" server.mjs\n`, { mode: 0o755 });
  if (padding > 0) writeFileSync(join(src, "padding.bin"), randomBytes(padding));
  const out = join(dir, `${name}.tar.gz`);
  execFileSync("tar", ["-czf", out, "-C", src, "."]);
  return out;
}

function app(name: string, artifact: object): string {
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
            artifact,
            command: "run.sh",
            env: { NODE: process.execPath },
            port: "auto",
            readiness: { type: "tcp" },
          },
          traits: [{ type: "spreadscaler", properties: { instances: 1 } }],
        },
      ],
    },
  });
}

function inventoryOf(app: string): WorkloadInventory | undefined {
  return Object.values(agent.inventory()).find((w) => w.app === app);
}

async function deploy(text: string): Promise<void> {
  const put = await api.put(text);
  await api.deploy(put.name, put.version);
}

test("content is stored once, names are links, a shared content outlives one of its names", async () => {
  const file = serverTarball("store", "x");
  const first = await store.put(file, "store-1");
  const again = await store.put(file, "store-1-copy");
  assert.equal(first.uploaded, true);
  assert.equal(again.uploaded, false, "the same content twice is stored once");
  assert.equal(again.digest, first.digest);
  assert.match(first.digest, /^sha256:[0-9a-f]{64}$/);
  const info = await store.info("store-1");
  assert.deepEqual(info?.names, ["store-1", "store-1-copy"]);
  assert.equal(info?.kind, "tar.gz");
  assert.equal((await store.list()).filter((a) => a.digest === first.digest).length, 1);

  assert.deepEqual(await store.delete("store-1-copy"), { names: ["store-1-copy"], digest: null });
  assert.ok(await store.info(first.digest), "still named by store-1");
  assert.deepEqual(await store.delete("store-1"), { names: ["store-1"], digest: first.digest });
  assert.equal(await store.info(first.digest), null);
});

test("app put pins the digest a name points at, and refuses names not stored", async () => {
  const v1 = await store.put(serverTarball("pin-a", "a"), "pin-1");
  await api.put(app("pinned", { name: "pin-1" }));
  const stored = (await api.get("pinned", "v1")).manifest as {
    spec: { components: Array<{ properties: { artifact: { name: string; digest: string } } }> };
  };
  assert.deepEqual(stored.spec.components[0]?.properties.artifact, { name: "pin-1", digest: v1.digest });

  // Re-pointing the name changes nothing already stored.
  const other = await store.put(serverTarball("pin-b", "b"), "pin-1");
  assert.notEqual(other.digest, v1.digest);
  const again = (await api.get("pinned", "v1")).manifest as typeof stored;
  assert.equal(again.spec.components[0]?.properties.artifact.digest, v1.digest);

  await assert.rejects(api.put(app("unknown", { name: "nope-1" })), (err: unknown) => {
    assert.ok(err instanceof NadmError);
    assert.equal(err.code, "invalid_manifest");
    assert.equal(err.details[0]?.path, "spec.components[0].properties.artifact.name");
    assert.match(err.details[0]?.message ?? "", /no artifact named "nope-1"/);
    return true;
  });
});

test("a host fetches with progress, verifies, unpacks and runs it; a corrupted cache is fetched again; unused entries are collected", async () => {
  // 24 MB of random padding: long enough to see progress.
  const put = await store.put(serverTarball("web", "v1", 24 * 1024 * 1024), "web-1");
  const hex = put.digest.slice("sha256:".length);
  const seen: string[] = [];
  const watching = setInterval(() => {
    const a = inventoryOf("fetch")?.artifact;
    if (a) seen.push(`${a.state} ${a.bytes}/${a.size}`);
  }, 5);
  await deploy(app("fetch", { name: "web-1" }));
  await waitFor(async () => (await api.status("fetch")).phase === "deployed", {
    what: "deployed",
    timeoutMs: 20_000,
  });
  clearInterval(watching);
  assert.ok(
    seen.some((s) => /^fetching [1-9]\d*\/\d+$/.test(s)),
    `progress reported while fetching: ${[...new Set(seen)].join(", ")}`,
  );
  assert.equal(inventoryOf("fetch")?.artifact?.state, "ready");
  const history = await api.history("fetch");
  assert.ok(
    history.entries.some((e) => /fetching artifact web-1 \(2\d MB, \d+ %\) on h1/.test(e.message)),
    `status told the fetch: ${history.entries.map((e) => e.message).join(" | ")}`,
  );
  const endpoint = await waitFor(() => inventoryOf("fetch")?.endpoints?.[0], { what: "an endpoint" });
  assert.equal(await body(endpoint), "v1");

  // Flip bytes in the cached copy, then kill the instance: its restart verifies the cache.
  const cached = join(hostDir, "artifacts", hex, "tree", "server.mjs");
  const original = readFileSync(cached, "utf8");
  writeFileSync(cached, original.replace('"v1"', '"XX"'));
  const pid = inventoryOf("fetch")!.pids![0]!;
  process.kill(pid, "SIGKILL");
  const answer = await waitFor(
    async () => {
      const e = inventoryOf("fetch")?.endpoints?.[0];
      return e && e !== endpoint ? body(e) : undefined;
    },
    { what: "the restarted instance answering", timeoutMs: 15_000 },
  );
  assert.equal(answer, "v1", "the corrupted cache was detected by digest and fetched again");
  assert.equal(readFileSync(cached, "utf8"), original);

  await api.undeploy("fetch");
  await waitFor(() => inventoryOf("fetch") === undefined, { what: "workload retired" });
  await waitFor(() => !existsSync(join(hostDir, "artifacts", hex)), { what: "cache entry collected" });
});

test("a deleted artifact makes the component failed, naming what is missing", async () => {
  const put = await store.put(serverTarball("gone", "g"), "gone-1");
  await api.put(app("gone", { name: "gone-1" }));
  await store.delete("gone-1");
  await api.deploy("gone", "v1");
  const failed = await waitFor(
    async () => {
      const s = await api.status("gone");
      return s.phase === "failed" && s;
    },
    { what: "failed", timeoutMs: 15_000 },
  );
  assert.equal(
    failed.message,
    `artifact gone-1 (${put.digest.slice(0, 19)}) is missing from nadm_artifacts on h1 (0/1 ready)`,
  );
  await api.undeploy("gone");
});
