/**
 * The app index as pure data: content digests, retention, idempotent put, deploy/undeploy
 * bookkeeping of the previous (revert) version, and deleting versions.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ErrorCode, NadmError } from "../../../src/errors.js";
import {
  type AppIndex,
  deployVersion,
  emptyIndex,
  manifestDigest,
  putVersion,
  removeVersion,
  retain,
  undeployApp,
  type VersionRef,
} from "../../../src/manifests/app-index.js";
import type { Manifest } from "../../../src/manifests/schema.js";

function ref(version: string, digest = `d-${version}`): VersionRef {
  return { version, digest, size: 1, createdAt: "2026-01-01T00:00:00.000Z" };
}

function index(versions: string[], over: Partial<AppIndex> = {}): AppIndex {
  return { ...emptyIndex("shop"), versions: versions.map((v) => ref(v)), ...over };
}

function manifest(version: string | undefined, instances = 1, description?: string): Manifest {
  const annotations = { ...(version ? { version } : {}), ...(description ? { description } : {}) };
  return {
    apiVersion: "nadm.dev/v1",
    kind: "Application",
    metadata: { name: "shop", ...(Object.keys(annotations).length > 0 ? { annotations } : {}) },
    spec: {
      components: [
        {
          name: "web",
          type: "process",
          properties: { command: "x" },
          traits: [{ type: "spreadscaler", properties: { instances } }],
        },
      ],
    },
  } as unknown as Manifest;
}

/** The same value with every object's keys in reverse order. */
function reordered<T>(value: T): T {
  if (Array.isArray(value)) return value.map(reordered) as T;
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value)
        .reverse()
        .map(([k, v]) => [k, reordered(v)]),
    ) as T;
  }
  return value;
}

test("the digest ignores the version annotation and key order, nothing else", () => {
  const cases: Array<[string, Manifest, Manifest, boolean]> = [
    ["assigned vs absent version", manifest(undefined), manifest("v20260101T000000000Z"), true],
    ["two versions, same content", manifest("v1"), manifest("v2"), true],
    ["other content", manifest("v1", 1), manifest("v1", 2), false],
    ["another annotation", manifest("v1"), manifest("v1", 1, "about"), false],
    ["key order", manifest("v1"), reordered(manifest("v1")), true],
  ];
  for (const [name, a, b, same] of cases) assert.equal(manifestDigest(a) === manifestDigest(b), same, name);
});

test("retention keeps the newest N plus the deployed and the previous version", () => {
  const cases: Array<[string, AppIndex, number, string[]]> = [
    ["under the limit", index(["a", "b"]), 3, ["a", "b"]],
    ["newest 2", index(["a", "b", "c", "d"]), 2, ["c", "d"]],
    ["deployed stays", index(["a", "b", "c", "d"], { deployedVersion: "a" }), 2, ["a", "c", "d"]],
    [
      "deployed and previous stay",
      index(["a", "b", "c", "d", "e"], { deployedVersion: "b", previousVersion: "a" }),
      2,
      ["a", "b", "d", "e"],
    ],
    [
      "pinned among the newest",
      index(["a", "b", "c"], { deployedVersion: "c", previousVersion: "b" }),
      2,
      ["b", "c"],
    ],
  ];
  for (const [name, app, keep, kept] of cases) {
    const r = retain(app, keep);
    assert.deepEqual(
      r.kept.map((v) => v.version),
      kept,
      name,
    );
    assert.equal(r.kept.length + r.dropped.length, app.versions.length, name);
  }
});

test("put: same content returns the existing version; other content under a taken version conflicts", () => {
  const app = index(["v1", "v2"]);
  const cases: Array<[string, VersionRef, boolean, { kind: string; version?: string } | "conflict"]> = [
    ["explicit, same version same content", ref("v1"), true, { kind: "existing", version: "v1" }],
    ["explicit, same version other content", ref("v1", "other"), true, "conflict"],
    ["explicit, new version same content as v1", { ...ref("v3"), digest: "d-v1" }, true, { kind: "add" }],
    [
      "no version, content of v2",
      { ...ref("vT"), digest: "d-v2" },
      false,
      { kind: "existing", version: "v2" },
    ],
    ["no version, new content", ref("vT"), false, { kind: "add" }],
  ];
  for (const [name, r, explicit, want] of cases) {
    if (want === "conflict") {
      assert.throws(
        () => putVersion(app, "shop", r, explicit, 10),
        (e: unknown) => e instanceof NadmError && e.code === ErrorCode.Conflict,
        name,
      );
      continue;
    }
    const got = putVersion(app, "shop", r, explicit, 10);
    assert.equal(got.kind, want.kind, name);
    if (got.kind === "existing") assert.equal(got.version, want.version, name);
    else assert.equal(got.index.versions.at(-1)?.version, r.version, name);
  }
  const fresh = putVersion(undefined, "new", ref("v1"), true, 10);
  assert.ok(fresh.kind === "add" && fresh.index.name === "new" && fresh.index.versions.length === 1);
});

test("put applies retention and says which versions to purge", () => {
  const app = index(["a", "b", "c"], { deployedVersion: "a" });
  const got = putVersion(app, "shop", ref("d"), true, 2);
  assert.ok(got.kind === "add");
  assert.deepEqual(
    got.index.versions.map((v) => v.version),
    ["a", "c", "d"],
  );
  assert.deepEqual(
    got.dropped.map((v) => v.version),
    ["b"],
  );
});

test("deploy and undeploy keep the version a revert goes back to", () => {
  const steps: Array<[string, (a: AppIndex) => AppIndex | undefined, string | null, string | null, number]> =
    [
      ["deploy latest", (a) => deployVersion(a, undefined), "v3", null, 1],
      ["deploy v1", (a) => deployVersion(a, "v1"), "v1", "v3", 2],
      ["undeploy", undeployApp, null, "v1", 3],
      ["deploy v2", (a) => deployVersion(a, "v2"), "v2", "v1", 4],
      ["deploy v2 again: no change", (a) => deployVersion(a, "v2"), "v2", "v1", 4],
    ];
  let app = index(["v1", "v2", "v3"]);
  for (const [name, step, deployed, previous, generation] of steps) {
    app = step(app) ?? app;
    assert.deepEqual(
      [app.deployedVersion, app.previousVersion, app.generation],
      [deployed, previous, generation],
      name,
    );
  }
  assert.throws(
    () => deployVersion(app, "v9"),
    (e: unknown) => e instanceof NadmError && e.code === "not_found",
  );
  assert.equal(undeployApp(index(["v1"])), undefined, "undeploying nothing changes nothing");
});

test("deleting versions: the deployed one undeploys, the previous one is forgotten, the last removes the app", () => {
  const app = index(["v1", "v2", "v3"], { deployedVersion: "v2", previousVersion: "v1", generation: 5 });
  const noPrev = removeVersion(app, "v1");
  assert.deepEqual([noPrev?.previousVersion, noPrev?.deployedVersion, noPrev?.generation], [null, "v2", 5]);
  const undeployed = removeVersion(app, "v2");
  assert.deepEqual([undeployed?.deployedVersion, undeployed?.generation], [null, 6]);
  assert.equal(removeVersion(index(["v1"]), "v1"), undefined);
  assert.throws(
    () => removeVersion(app, "v9"),
    (e: unknown) => e instanceof NadmError && e.code === "not_found",
  );
});
