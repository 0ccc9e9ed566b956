/**
 * Retention and idempotency of `put` on a real server: 1,000 puts keep the newest N plus the
 * deployed and the revert version (their manifest keys too, the others are purged), and the
 * same manifest sent twice, or by several clients at once, without a version is one version.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type * as P from "../../../src/api/protocol.js";
import { decodeAppIndex } from "../../../src/manifests/store.js";
import { keys } from "../../../src/streams/subjects.js";
import { testNats } from "../../support/nats.js";
import { manifest, ok, startApi } from "../api/helpers.js";

const KEEP = 10;
const nats = await testNats();
const nc = await nats.connect();
const buckets = await startApi(nc, { maxVersions: KEEP });

async function index(name: string) {
  const e = await buckets.manifests.get(keys.manifest("default", name));
  return e?.operation === "PUT" ? decodeAppIndex(e) : undefined;
}

async function versionKeys(name: string): Promise<string[]> {
  const out: string[] = [];
  for await (const k of await buckets.manifests.keys(keys.manifestVersions("default", name))) out.push(k);
  return out.sort();
}

test("1,000 puts keep the newest N plus the deployed and the revert version", async () => {
  const v = (i: number) => `r${String(i).padStart(4, "0")}`;
  for (let i = 1; i <= 1_000; i++) {
    await ok(nc, "put", manifest("ret", v(i), 1 + (i % 7)));
    if (i === 5) await ok(nc, "deploy", { name: "ret", version: v(5) });
    if (i === 7) await ok(nc, "deploy", { name: "ret", version: v(7) });
  }
  const app = await index("ret");
  const expected = [v(5), v(7), ...Array.from({ length: KEEP }, (_, k) => v(991 + k))];
  assert.deepEqual(
    app?.versions.map((x) => x.version),
    expected,
  );
  assert.equal(app?.deployedVersion, v(7));
  assert.equal(app?.previousVersion, v(5));
  // Exactly the kept versions have a manifest key; each one reads back.
  assert.deepEqual(
    await versionKeys("ret"),
    expected.map((x) => keys.manifestVersion("default", "ret", x)).sort(),
  );
  for (const x of [v(5), v(7), v(1000)]) {
    assert.equal((await ok<P.GetResult>(nc, "get", { name: "ret", version: x })).version, x);
  }
});

test("the same manifest put twice without a version is one version (created: false)", async () => {
  const first = await ok<P.PutResult>(nc, "put", manifest("idem"));
  const second = await ok<P.PutResult>(nc, "put", manifest("idem"));
  assert.equal(first.created, true);
  assert.deepEqual(second, { name: "idem", version: first.version, created: false, versions: 1 });
  // Other content is a new version; the first content again is still the first version.
  const other = await ok<P.PutResult>(nc, "put", manifest("idem", undefined, 3));
  assert.equal(other.created, true);
  assert.notEqual(other.version, first.version);
  const again = await ok<P.PutResult>(nc, "put", manifest("idem"));
  assert.deepEqual(again, { name: "idem", version: first.version, created: false, versions: 2 });
  // With an explicit version the old rule stands: that version with this content is new.
  const explicit = await ok<P.PutResult>(nc, "put", manifest("idem", "named"));
  assert.equal(explicit.created, true);
  assert.equal((await index("idem"))?.versions.length, 3);
});

test("10 clients putting the same version-less manifest at once store one version and leave no stray key", async () => {
  const clients = await Promise.all(Array.from({ length: 10 }, () => nats.connect()));
  const replies = await Promise.all(clients.map((c) => ok<P.PutResult>(c, "put", manifest("herd"))));
  const versions = new Set(replies.map((r) => r.version));
  assert.equal(versions.size, 1, JSON.stringify(replies));
  assert.equal(replies.filter((r) => r.created).length, 1);
  assert.equal((await index("herd"))?.versions.length, 1);
  assert.deepEqual(await versionKeys("herd"), [keys.manifestVersion("default", "herd", [...versions][0]!)]);
});
