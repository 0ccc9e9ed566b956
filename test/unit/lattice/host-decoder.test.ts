import assert from "node:assert/strict";
import { test } from "node:test";
import type { KvEntry } from "@nats-io/kv";
import { HostRecordDecoder } from "../../../src/lattice/host-decoder.js";
import type { HostRecord } from "../../../src/streams/host-record.js";

/** A record laid out as a host agent writes it (agent.ts record()). */
function record(
  over: { seq?: number; at?: string; labels?: Record<string, string>; desired?: number } = {},
): HostRecord {
  return {
    hostId: "h1",
    lattice: "default",
    labels: over.labels ?? { zone: "a" },
    driver: "sim",
    version: "0.1.0",
    startedAt: "2030-01-01T00:00:00.000Z",
    updatedAt: over.at ?? "2030-01-01T00:00:05.000Z",
    heartbeatIntervalMs: 5000,
    heartbeatSeq: over.seq ?? 1,
    inventory: {
      "shop.web.r1": {
        app: "shop",
        component: "web",
        rev: "r1",
        desired: over.desired ?? 2,
        running: 2,
        ready: 2,
        failed: 0,
        restarts: 0,
        lastError: null,
      },
    },
  };
}

/** The same record with `heartbeatSeq` first. */
function reorder(r: HostRecord): Record<string, unknown> {
  const { heartbeatSeq, ...rest } = r;
  return { heartbeatSeq, ...rest };
}

function entry(value: unknown, key = "default.h1"): KvEntry {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return { key, string: () => text } as unknown as KvEntry;
}

test("a heartbeat-only write reuses the previous parse: same labels and inventory objects, new heartbeat fields", () => {
  const d = new HostRecordDecoder();
  const first = d.decode(entry(record()));
  const beat = d.decode(entry(record({ seq: 2, at: "2030-01-01T00:00:10.000Z" })));
  assert.equal(beat.inventory, first.inventory);
  assert.equal(beat.labels, first.labels);
  assert.equal(beat.heartbeatSeq, 2);
  assert.equal(beat.updatedAt, "2030-01-01T00:00:10.000Z");
  assert.deepEqual(beat, record({ seq: 2, at: "2030-01-01T00:00:10.000Z" }));
});

test("a heartbeat whose sequence gains a digit (the fields' span grows) still reuses the parse", () => {
  const d = new HostRecordDecoder();
  const first = d.decode(entry(record({ seq: 9 })));
  const beat = d.decode(entry(record({ seq: 10, at: "2030-01-01T00:00:10.000Z" })));
  assert.equal(beat.inventory, first.inventory);
  assert.deepEqual(beat, record({ seq: 10, at: "2030-01-01T00:00:10.000Z" }));
});

const changes: Array<{ name: string; next: unknown }> = [
  { name: "an inventory change", next: record({ seq: 2, desired: 3 }) },
  { name: "an inventory change that alters the text's length", next: record({ seq: 2, desired: 10 }) },
  { name: "a label change", next: record({ seq: 2, labels: { zone: "b" } }) },
  { name: "a label named updatedAt", next: record({ seq: 2, labels: { updatedAt: "x", zone: "a" } }) },
  { name: "another key order (another writer)", next: reorder(record({ seq: 2 })) },
  { name: "an interval change", next: { ...record({ seq: 2 }), heartbeatIntervalMs: 1000 } },
];
for (const { name, next } of changes) {
  test(`${name} is parsed in full`, () => {
    const d = new HostRecordDecoder();
    const first = d.decode(entry(record()));
    const decoded = d.decode(entry(next));
    assert.notEqual(decoded.inventory, first.inventory);
    assert.deepEqual(decoded, JSON.parse(JSON.stringify(next)));
  });
}

test("after forget (the key was deleted) and for another key, the next write is parsed in full", () => {
  const d = new HostRecordDecoder();
  const first = d.decode(entry(record()));
  assert.notEqual(d.decode(entry(record({ seq: 2 }), "default.h2")).inventory, first.inventory);
  d.forget("default.h1");
  assert.notEqual(d.decode(entry(record({ seq: 3 }))).inventory, first.inventory);
});

test("an invalid record still fails validation, also right after a valid one", () => {
  const d = new HostRecordDecoder();
  d.decode(entry(record()));
  assert.throws(() => d.decode(entry({ ...record({ seq: 2 }), heartbeatIntervalMs: -1 })));
  assert.throws(() => d.decode(entry("{not json")));
});
