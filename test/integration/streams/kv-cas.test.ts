/**
 * casUpdate with a seed (`read`): the key as the caller just read it. A fresh seed saves the
 * read; a stale one costs one conflicting write and then a fresh read, and never a lost update.
 * Against a real bucket, counting the reads the function makes.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { type KV, type KvEntry, Kvm } from "@nats-io/kv";
import { type CasDecision, type Current, casUpdate } from "../../../src/streams/kv-cas.js";
import { testNats } from "../../support/nats.js";

const nats = await testNats();
const nc = await nats.connect();
const kvm = new Kvm(nc);

/** The bucket with its `get` calls counted. */
function counted(kv: KV): { kv: KV; gets: () => number } {
  let gets = 0;
  const proxy = new Proxy(kv, {
    get(target, prop, receiver) {
      if (prop === "get")
        return (...args: Parameters<KV["get"]>) => {
          gets++;
          return target.get(...args);
        };
      const value = Reflect.get(target, prop, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { kv: proxy, gets: () => gets };
}

const decode = (e: KvEntry) => Number(e.string());
const encode = (n: number) => String(n);
const increment = (c: Current<number> | undefined): CasDecision<number> => ({ put: (c?.value ?? 0) + 1 });

interface Case {
  name: string;
  /** Writes before the seed is read, and the seed (undefined: none given). */
  arrange: (kv: KV, key: string) => Promise<KvEntry | null | undefined>;
  /** Writes after the seed was read (a concurrent writer). */
  meanwhile?: (kv: KV, key: string) => Promise<void>;
  value: number;
  gets: number;
}

/** Puts `value` under `key`, then returns the key as read (the seed). */
async function putAndRead(kv: KV, key: string, value = "4"): Promise<KvEntry | null> {
  await kv.put(key, value);
  return kv.get(key);
}

const cases: Case[] = [
  {
    name: "no seed: reads once",
    arrange: async (kv, k) => void (await kv.put(k, "4")),
    value: 5,
    gets: 1,
  },
  {
    name: "fresh seed: no read",
    arrange: putAndRead,
    value: 5,
    gets: 0,
  },
  { name: "absent key, seed null: created without a read", arrange: async () => null, value: 1, gets: 0 },
  {
    name: "deleted key, seed is its tombstone: written over it without a read",
    arrange: async (kv, k) => {
      await kv.put(k, "4");
      await kv.delete(k);
      return kv.get(k);
    },
    value: 1,
    gets: 0,
  },
  {
    name: "stale seed: the write conflicts, a fresh read decides (no update lost)",
    arrange: putAndRead,
    meanwhile: async (kv, k) => void (await kv.put(k, "10")),
    value: 11,
    gets: 1,
  },
  {
    name: "stale null seed: the key was created meanwhile",
    arrange: async () => null,
    meanwhile: async (kv, k) => void (await kv.put(k, "7")),
    value: 8,
    gets: 1,
  },
];

const bucket = await kvm.create("cas", { history: 1 });
for (const [i, c] of cases.entries()) {
  test(c.name, async () => {
    const key = `k${i}`;
    const read = await c.arrange(bucket, key);
    await c.meanwhile?.(bucket, key);
    const { kv, gets } = counted(bucket);
    const opts = read === undefined ? {} : { read };
    const result = await casUpdate(kv, key, decode, encode, increment, opts);
    assert.deepEqual(result.decision, { put: c.value });
    assert.equal((await bucket.get(key))?.string(), String(c.value));
    assert.equal(result.revision, (await bucket.get(key))?.revision);
    assert.equal(gets(), c.gets);
  });
}

test("keep on a seed returns the value it decided on", async () => {
  await bucket.put("kept", "3");
  const read = await bucket.get("kept");
  const result = await casUpdate(bucket, "kept", decode, encode, () => ({ keep: true }), { read });
  assert.deepEqual(result.current, { value: 3, revision: read?.revision });
});
