/**
 * Compare-and-set under contention: 20 clients, each on its own NATS connection, put distinct
 * versions of one app at the same moment; every version must be stored (no lost update).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type * as P from "../../../src/api/protocol.js";
import { decodeAppIndex } from "../../../src/manifests/store.js";
import { testNats } from "../../support/nats.js";
import { call, manifest, ok, startApi } from "./helpers.js";

const nats = await testNats();
const nc = await nats.connect();
const buckets = await startApi(nc);

test("20 concurrent putters of one app: all 20 versions are stored", async () => {
  const versions = Array.from({ length: 20 }, (_, i) => `c${String(i).padStart(2, "0")}`);
  const clients = await Promise.all(versions.map(() => nats.connect()));
  const replies = await Promise.all(
    clients.map((c, i) => call<P.PutResult>(c, "put", manifest("race", versions[i]))),
  );
  for (const [i, env] of replies.entries()) {
    assert.ok(env.ok, `put ${versions[i]}: ${JSON.stringify(env)}`);
    assert.equal(env.result.created, true);
  }
  const listed = await ok<P.VersionsResult>(nc, "versions", { name: "race" });
  assert.deepEqual(listed.versions.map((v) => v.version).sort(), versions);

  // The KV value itself holds all of them, and the writes were serialised (one revision each).
  const entry = await buckets.manifests.get("default.race");
  assert.ok(entry);
  assert.equal(decodeAppIndex(entry).versions.length, 20);
  const counts = replies.map((env) => (env.ok ? env.result.versions : 0)).sort((a, b) => a - b);
  assert.deepEqual(
    counts,
    versions.map((_, i) => i + 1),
    "each put saw the ones before it",
  );
});
