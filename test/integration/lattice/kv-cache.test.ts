/**
 * The watch-fed KV cache and its revision fence (read-your-writes): `reach(rev)` resolves once
 * the cache has seen the bucket at `rev`, times out otherwise, and a direct `refresh` of one
 * key never claims the cache has caught up on the others.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Kvm } from "@nats-io/kv";
import { KvCache } from "../../../src/lattice/kv-cache.js";
import { silentLogger } from "../../../src/log.js";
import { testNats } from "../../support/nats.js";

const nats = await testNats();
const nc = await nats.connect();
const kvm = new Kvm(nc);

async function cacheOf(bucket: string) {
  const kv = await kvm.create(bucket, { history: 1 });
  return { kv, cache: new KvCache(kv, (e) => e.string(), silentLogger()) };
}

test("initial values load before start() resolves, then updates and deletes follow", async () => {
  const { kv, cache } = await cacheOf("c1");
  await kv.put("a", "1");
  const rev = await kv.put("b", "2");
  await cache.start();
  assert.equal(cache.revision, rev);
  assert.deepEqual([...cache.values()].map((c) => [c.key, c.value]).sort(), [
    ["a", "1"],
    ["b", "2"],
  ]);
  const r3 = await kv.put("a", "3");
  assert.equal(await cache.reach(r3, 5_000), true);
  assert.equal(cache.get("a")?.value, "3");
  await kv.delete("b");
  const tomb = (await kv.get("b"))!.revision;
  assert.equal(await cache.reach(tomb, 5_000), true);
  assert.equal(cache.get("b"), undefined);
  cache.stop();
});

test("an empty bucket starts at once; reach() of a revision never written times out with false", async () => {
  const { cache } = await cacheOf("c2");
  await cache.start();
  assert.equal(cache.revision, 0);
  const t = Date.now();
  assert.equal(await cache.reach(99, 200), false);
  assert.ok(Date.now() - t >= 190);
  cache.stop();
});

test("refresh() reads one key directly without advancing the fence for other keys", async () => {
  const { kv, cache } = await cacheOf("c3");
  await cache.start();
  cache.stop(); // the watch no longer feeds it: only refresh() can
  const rev = await kv.put("x", "fresh");
  assert.equal(cache.get("x"), undefined);
  assert.equal((await cache.refresh("x"))?.value, "fresh");
  assert.equal(cache.revision < rev, true, "a direct read says nothing about other keys");
});

test("a watch that ends under the cache is started again from the next revision", async () => {
  const { kv, cache } = await cacheOf("c4");
  await kv.put("a", "1");
  await cache.start();
  // End the underlying watch as a server-side failure would (the cache itself is not stopped).
  (cache as unknown as { stopWatch: () => void }).stopWatch();
  const rev = await kv.put("a", "2");
  assert.equal(await cache.reach(rev, 5_000), true, "updates after the watch ended still arrive");
  assert.equal(cache.get("a")?.value, "2");
  cache.stop();
});
