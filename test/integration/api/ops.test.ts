/**
 * Every API op over NATS (ARCHITECTURE §9) against an in-process responder on a real server.
 * The responder keeps at most 3 versions per app, so the history cap is visible.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type * as P from "../../../src/api/protocol.js";
import { decodeAppIndex } from "../../../src/manifests/store.js";
import type { AppStatus } from "../../../src/streams/app-status.js";
import { testNats } from "../../support/nats.js";
import { call, manifest, manifestYaml, ok, startApi } from "./helpers.js";

const nats = await testNats();
const nc = await nats.connect();
const buckets = await startApi(nc, { maxVersions: 3 });

async function stored(name: string) {
  const e = await buckets.manifests.get(`default.${name}`);
  return e?.operation === "PUT" ? decodeAppIndex(e) : undefined;
}

function statusValue(name: string, over: Partial<AppStatus> = {}): AppStatus {
  return {
    name,
    version: "v1",
    phase: "deployed",
    message: "1/1 ready",
    observedGeneration: 1,
    updatedAt: "2026-01-01T00:00:00.000Z",
    components: [
      {
        name: "web",
        scaler: "spreadscaler",
        phase: "deployed",
        message: "ok",
        desired: 1,
        running: 1,
        ready: 1,
        hosts: { h1: 1 },
      },
    ],
    ...over,
  };
}

test("put accepts YAML and JSON, assigns a version when absent, and is idempotent", async () => {
  const yaml = await ok<P.PutResult>(nc, "put", manifestYaml("shop", "v1"));
  assert.deepEqual(yaml, { name: "shop", version: "v1", created: true, versions: 1 });
  const json = await ok<P.PutResult>(nc, "put", manifest("shop", "v2"));
  assert.deepEqual(json, { name: "shop", version: "v2", created: true, versions: 2 });

  const assigned = await ok<P.PutResult>(nc, "put", manifest("auto"));
  assert.match(assigned.version, /^v\d{8}T\d{9}Z$/, "version assigned from the time of put");
  assert.equal((await stored("auto"))?.versions[0]?.version, assigned.version);

  // The same content again, as YAML or as JSON: nothing new is stored.
  const revision = (await buckets.manifests.get("default.shop"))?.revision;
  for (const body of [manifestYaml("shop", "v1"), JSON.stringify(manifest("shop", "v1"))]) {
    assert.deepEqual(await ok(nc, "put", body), { name: "shop", version: "v1", created: false, versions: 2 });
  }
  assert.equal((await buckets.manifests.get("default.shop"))?.revision, revision, "no KV write");

  const conflict = await call(nc, "put", manifest("shop", "v1", 5));
  assert.equal(conflict.ok, false);
  assert.ok(!conflict.ok);
  assert.equal(conflict.error.code, "conflict");
  assert.deepEqual(
    conflict.error.details?.map((d) => d.path),
    ["metadata.annotations.version"],
  );
  assert.equal((await stored("shop"))?.versions.length, 2);
});

test("get returns the deployed version, else the latest, or the one asked for", async () => {
  await ok(nc, "put", manifest("getter", "v1", 1));
  await ok(nc, "put", manifest("getter", "v2", 2));
  const latest = await ok<P.GetResult>(nc, "get", { name: "getter" });
  assert.equal(latest.version, "v2");
  assert.equal(latest.deployed, false);
  const m = latest.manifest as { metadata: { annotations: { version: string } }; spec: unknown };
  assert.equal(m.metadata.annotations.version, "v2");
  assert.match(JSON.stringify(m.spec), /"instances":2/);

  await ok(nc, "deploy", { name: "getter", version: "v1" });
  const deployed = await ok<P.GetResult>(nc, "get", { name: "getter" });
  assert.equal(deployed.version, "v1");
  assert.equal(deployed.deployed, true);
  const asked = await ok<P.GetResult>(nc, "get", { name: "getter", version: "v2" });
  assert.equal(asked.version, "v2");
  assert.equal(asked.deployed, false);
  const missing = await call(nc, "get", { name: "getter", version: "v9" });
  assert.ok(!missing.ok);
  assert.equal(missing.error.code, "not_found");
});

test("list and versions describe what is stored", async () => {
  await ok(nc, "put", manifest("lister", "a"));
  await ok(nc, "put", manifest("lister", "b"));
  await ok(nc, "deploy", { name: "lister", version: "a" });
  const { apps } = await ok<P.ListResult>(nc, "list");
  const lister = apps.find((a) => a.name === "lister");
  assert.deepEqual(lister, {
    name: "lister",
    latestVersion: "b",
    deployedVersion: "a",
    versions: 2,
    paused: false,
    phase: "reconciling",
    message: "version a deployed; waiting for a controller to reconcile it",
  });
  assert.deepEqual(
    apps.map((a) => a.name),
    [...apps.map((a) => a.name)].sort(),
    "sorted by name",
  );
  const other = await ok<P.ListResult>(nc, "list", undefined, "elsewhere");
  assert.deepEqual(other.apps, [], "lattices are separate");
  // A deleted app's key still has its delete marker in the stream: not listed.
  await ok(nc, "put", manifest("lister-gone", "a"));
  await ok(nc, "delete", { name: "lister-gone" });
  const after = await ok<P.ListResult>(nc, "list");
  assert.equal(
    after.apps.find((a) => a.name === "lister-gone"),
    undefined,
    "deleted apps are not listed",
  );

  const v = await ok<P.VersionsResult>(nc, "versions", { name: "lister" });
  assert.deepEqual(
    v.versions.map((x) => [x.version, x.deployed]),
    [
      ["a", true],
      ["b", false],
    ],
  );
  assert.ok(v.versions.every((x) => !Number.isNaN(Date.parse(x.createdAt))));
});

test("deploy defaults to the latest, refuses unknown versions; undeploy clears it", async () => {
  await ok(nc, "put", manifest("dep", "v1"));
  await ok(nc, "put", manifest("dep", "v2"));
  assert.deepEqual(await ok(nc, "deploy", { name: "dep" }), { name: "dep", version: "v2", changed: true });
  assert.deepEqual(await ok(nc, "deploy", { name: "dep" }), { name: "dep", version: "v2", changed: false });
  assert.equal((await stored("dep"))?.deployedVersion, "v2");

  const unknown = await call(nc, "deploy", { name: "dep", version: "v7" });
  assert.ok(!unknown.ok);
  assert.equal(unknown.error.code, "not_found");
  assert.equal((await stored("dep"))?.deployedVersion, "v2", "unchanged by the failed deploy");

  assert.deepEqual(await ok(nc, "undeploy", { name: "dep" }), { name: "dep", version: null, changed: true });
  assert.equal((await stored("dep"))?.deployedVersion, null);
  assert.deepEqual(await ok(nc, "undeploy", { name: "dep" }), { name: "dep", version: null, changed: false });
});

test("delete removes one version, undeploys the deployed one, or removes the whole app", async () => {
  for (const v of ["v1", "v2", "v3"]) await ok(nc, "put", manifest("del", v));
  await ok(nc, "deploy", { name: "del", version: "v2" });

  const one = await ok<P.DeleteResult>(nc, "delete", { name: "del", version: "v1" });
  assert.deepEqual(one, { name: "del", version: "v1", deleted: true, undeployed: false });
  assert.deepEqual(
    (await stored("del"))?.versions.map((v) => v.version),
    ["v2", "v3"],
  );
  assert.equal((await stored("del"))?.deployedVersion, "v2");

  const deployed = await ok<P.DeleteResult>(nc, "delete", { name: "del", version: "v2" });
  assert.equal(deployed.undeployed, true);
  const after = await stored("del");
  assert.equal(after?.deployedVersion, null, "deleting the deployed version undeploys it");
  assert.deepEqual(
    after?.versions.map((v) => v.version),
    ["v3"],
  );

  await ok(nc, "deploy", { name: "del" });
  const all = await ok<P.DeleteResult>(nc, "delete", { name: "del" });
  assert.deepEqual(all, { name: "del", version: null, deleted: true, undeployed: true });
  assert.equal(await stored("del"), undefined);
  const gone = await call(nc, "get", { name: "del" });
  assert.ok(!gone.ok);
  assert.equal(gone.error.code, "not_found");

  // The key's tombstone does not block a new app of the same name.
  assert.deepEqual(await ok(nc, "put", manifest("del", "v1")), {
    name: "del",
    version: "v1",
    created: true,
    versions: 1,
  });
});

test("status is `undeployed` without a deployment, else read from nadm_status; history lists it", async () => {
  await ok(nc, "put", manifest("stat", "v1"));
  const none = await ok<AppStatus>(nc, "status", { name: "stat" });
  assert.equal(none.phase, "undeployed");
  assert.equal(none.version, null);

  await ok(nc, "deploy", { name: "stat" });
  const pending = await ok<AppStatus>(nc, "status", { name: "stat" });
  assert.equal(pending.phase, "reconciling", "deployed, nothing in nadm_status yet");

  const first = statusValue("stat", { phase: "waiting", message: "0/1 ready: no hosts" });
  const second = statusValue("stat");
  await buckets.status.put("default.stat", JSON.stringify(first));
  const rev2 = await buckets.status.put("default.stat", JSON.stringify(second));
  assert.deepEqual(await ok(nc, "status", { name: "stat" }), second);
  const listed = (await ok<P.ListResult>(nc, "list")).apps.find((a) => a.name === "stat");
  assert.equal(listed?.phase, "deployed");
  assert.equal(listed?.message, "1/1 ready");

  const h = await ok<P.HistoryResult>(nc, "history", { name: "stat" });
  assert.deepEqual(
    h.entries.map((e) => [e.phase, e.message]),
    [
      ["waiting", "0/1 ready: no hosts"],
      ["deployed", "1/1 ready"],
    ],
  );
  assert.equal(h.entries.at(-1)?.revision, rev2);
});

test("pause and resume flip the stored flag, and say when nothing changed", async () => {
  await ok(nc, "put", manifest("pz", "v1"));
  await ok(nc, "deploy", { name: "pz" });
  assert.deepEqual(await ok(nc, "pause", { name: "pz" }), { name: "pz", paused: true, changed: true });
  assert.equal((await stored("pz"))?.paused, true);
  assert.deepEqual(await ok(nc, "pause", { name: "pz" }), { name: "pz", paused: true, changed: false });
  assert.equal((await ok<P.ListResult>(nc, "list")).apps.find((a) => a.name === "pz")?.paused, true);
  assert.deepEqual(await ok(nc, "resume", { name: "pz" }), { name: "pz", paused: false, changed: true });
  assert.equal((await stored("pz"))?.paused, false);
});

test("validate checks a manifest without storing it", async () => {
  const before = await ok<P.ListResult>(nc, "list");
  const v = await ok<P.ValidateResult>(nc, "validate", manifestYaml("never-stored", "v1"));
  assert.deepEqual(v, { valid: true, name: "never-stored", version: "v1", components: ["web"] });
  assert.deepEqual(await ok(nc, "list"), before);
  const bad = await call(nc, "validate", { ...manifest("x", "v1"), kind: "Deployment" });
  assert.ok(!bad.ok);
  assert.equal(bad.error.code, "invalid_manifest");
  assert.deepEqual(
    bad.error.details?.map((d) => d.path),
    ["kind"],
  );
});

test("every named op answers not_found for an unknown app", async () => {
  for (const op of [
    "get",
    "versions",
    "delete",
    "deploy",
    "undeploy",
    "status",
    "history",
    "pause",
    "resume",
  ]) {
    const env = await call(nc, op, { name: "no-such-app" });
    assert.ok(!env.ok, op);
    assert.equal(env.error.code, "not_found", op);
    assert.match(env.error.message, /no-such-app/, op);
  }
});

test("the version history keeps the newest N plus the deployed and the previous version", async () => {
  for (const v of ["v1", "v2", "v3"]) await ok(nc, "put", manifest("capped", v));
  await ok(nc, "deploy", { name: "capped", version: "v1" });
  await ok(nc, "deploy", { name: "capped", version: "v2" });
  const put4 = await ok<P.PutResult>(nc, "put", manifest("capped", "v4"));
  assert.equal(put4.versions, 4, "v1 is the previous version, v2 deployed: both stay beside the newest 3");
  for (const v of ["v5", "v6"]) await ok(nc, "put", manifest("capped", v));
  const app = await stored("capped");
  assert.deepEqual(
    app?.versions.map((v) => v.version),
    ["v1", "v2", "v4", "v5", "v6"],
  );
  assert.equal(app?.deployedVersion, "v2");
  assert.equal(app?.previousVersion, "v1");
  // A dropped version's manifest key is gone too; a kept one is readable.
  assert.equal((await buckets.manifests.get("default.capped.v.v3"))?.operation, "PURGE");
  assert.equal((await ok<P.GetResult>(nc, "get", { name: "capped", version: "v1" })).version, "v1");
});
