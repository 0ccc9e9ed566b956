/**
 * The hand-written host record check (the controller's decode of a changed record) agrees with
 * `hostRecordSchema`, the contract: fast-check over generated records, mostly valid, some with
 * one field wrong, missing, or a key the schema does not know. The check passes exactly the
 * values the schema accepts unchanged, and the decode gives the schema's output or its error.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { isDeepStrictEqual } from "node:util";
import type { KvEntry } from "@nats-io/kv";
import fc from "fast-check";
import { HostRecordDecoder } from "../../../src/lattice/host-decoder.js";
import { isPlainHostRecord, parseHostRecordText } from "../../../src/lattice/host-record-check.js";
import { type HostRecord, hostRecordSchema } from "../../../src/streams/host-record.js";

const RUNS = 3_000;

// Mostly valid values, sometimes one the schema rejects.
const around = <T>(valid: fc.Arbitrary<T>, bad: readonly unknown[]): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 40, arbitrary: valid }, { weight: 1, arbitrary: fc.constantFrom(...bad) });
const count = around(fc.nat(3), [-1, 1.5, "2", null, true]);
const text = around(fc.constantFrom("a", "b"), [3, null, {}]);
const orNull = around(fc.constantFrom(null, "boom"), [1, false]);
const REQUIRED = [
  "app",
  "component",
  "rev",
  "desired",
  "running",
  "ready",
  "failed",
  "restarts",
  "lastError",
];

const entry = fc
  .tuple(
    fc.record(
      {
        app: text,
        component: text,
        rev: text,
        desired: count,
        running: count,
        ready: count,
        failed: count,
        restarts: count,
        lastError: orNull,
        lastCommandId: orNull,
        readyAt: around(fc.array(fc.nat(9), { maxLength: 2 }), [[-1], "x", [1.5]]),
        pids: around(fc.array(fc.integer({ min: -2, max: 9 }), { maxLength: 2 }), [["1"]]),
        probe: text,
        endpoints: around(fc.array(fc.constantFrom("h:1", "h:2"), { maxLength: 2 }), [[1]]),
        artifact: around(
          fc.record({
            name: fc.constant("a"),
            digest: fc.constant("d"),
            state: fc.constantFrom("fetching", "ready", "failed"),
            bytes: fc.nat(9),
            size: fc.nat(9),
          }),
          [{ name: "a", digest: "d", state: "gone", bytes: 0, size: 0 }],
        ),
      },
      { requiredKeys: REQUIRED as never },
    ),
    // Now and then a required key is missing, or there is one the schema does not know.
    fc.oneof(
      { weight: 40, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: fc.constantFrom(...REQUIRED) },
    ),
    fc.oneof({ weight: 20, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  )
  .map(([e, missing, extra]) => {
    const out: Record<string, unknown> = { ...e };
    if (missing) delete out[missing];
    if (extra) out.extra = "an unknown key";
    return out;
  });

const KEYS = ["a.web.r1", "a.web.r2", "b.db.r1", "b.db.r2"];
const inventory = fc.dictionary(fc.constantFrom(...KEYS), entry, { maxKeys: 4 });

const record = fc.record({
  hostId: fc.constant("h1"),
  lattice: fc.constant("default"),
  labels: around(fc.dictionary(fc.constantFrom("zone", "os"), fc.constantFrom("a", "b")), [
    { zone: 1 },
    null,
  ]),
  driver: around(fc.constantFrom("sim", "process"), ["docker"]),
  version: fc.constant("1.0.0"),
  startedAt: fc.constant("2030-01-01T00:00:00.000Z"),
  updatedAt: fc.constantFrom("2030-01-01T00:00:05.000Z", "2030-01-01T00:00:10.000Z"),
  heartbeatIntervalMs: around(fc.constant(5000), [0, -1, "5000"]),
  heartbeatSeq: around(fc.nat(3), [-1]),
  inventory: around(inventory, [null, [], "x"]),
});

/** What the schema says: the parsed record, or its error's issues. */
function bySchema(value: unknown): { ok: HostRecord } | { issues: unknown } {
  const r = hostRecordSchema.safeParse(value);
  return r.success ? { ok: r.data } : { issues: r.error.issues };
}

function byParse(text: string): { ok: HostRecord } | { issues: unknown } {
  try {
    return { ok: parseHostRecordText(text) };
  } catch (err) {
    return { issues: (err as { issues?: unknown }).issues ?? String(err) };
  }
}

function entryOf(value: unknown, key = "default.h1"): KvEntry {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return { key, string: () => text } as unknown as KvEntry;
}

test("the check passes exactly the records the schema accepts unchanged; the decode is the schema's verdict", () => {
  let plain = 0;
  let rejected = 0;
  fc.assert(
    fc.property(record, (value) => {
      const text = JSON.stringify(value);
      const json: unknown = JSON.parse(text);
      const schema = bySchema(json);
      assert.deepEqual(byParse(text), schema);
      const unchanged = "ok" in schema && isDeepStrictEqual(schema.ok, json);
      assert.equal(isPlainHostRecord(json), unchanged);
      if (unchanged) plain++;
      if ("issues" in schema) rejected++;
    }),
    { numRuns: RUNS },
  );
  // Both paths are exercised: most records take the check, many are rejected by the schema.
  assert.ok(plain > RUNS / 4 && rejected > RUNS / 20, `${plain} plain, ${rejected} rejected of ${RUNS}`);
});

test("the decoder (heartbeat path included) agrees with the schema over a sequence of writes of one key", () => {
  fc.assert(
    fc.property(fc.array(record, { minLength: 2, maxLength: 6 }), (writes) => {
      const d = new HostRecordDecoder();
      for (const w of writes) {
        let got: unknown;
        try {
          got = { ok: d.decode(entryOf(w)) };
        } catch (err) {
          got = { issues: (err as { issues?: unknown }).issues };
        }
        assert.deepEqual(got, bySchema(JSON.parse(JSON.stringify(w))));
      }
    }),
    { numRuns: RUNS / 5 },
  );
});

const valid = {
  app: "a",
  component: "web",
  rev: "r1",
  desired: 1,
  running: 1,
  ready: 0,
  failed: 0,
  restarts: 0,
  lastError: null,
};
const host = (over: Record<string, unknown>) => ({
  hostId: "h1",
  lattice: "default",
  labels: { zone: "a" },
  driver: "sim",
  version: "1.0.0",
  startedAt: "s",
  updatedAt: "u",
  heartbeatIntervalMs: 5000,
  heartbeatSeq: 1,
  inventory: { x: valid },
  ...over,
});

const cases: Array<{ name: string; text: string; plain: boolean }> = [
  { name: "a record as an agent writes it", text: JSON.stringify(host({})), plain: true },
  {
    name: "every optional field",
    text: JSON.stringify(
      host({
        incarnation: 2,
        retired: { "a.web.r0": null, "a.web.r9": "cmd-1" },
        address: "10.0.0.5",
        inventory: {
          x: {
            ...valid,
            lastCommandId: "c",
            readyAt: [1],
            pids: [-1, 7],
            probe: "p",
            endpoints: ["h:1"],
            artifact: { name: "a", digest: "d", state: "failed", bytes: 0, size: 1, error: "e" },
          },
        },
      }),
    ),
    plain: true,
  },
  {
    name: "an unknown top-level key (stripped by the schema)",
    text: JSON.stringify(host({ extra: 1 })),
    plain: false,
  },
  {
    name: "an unknown artifact key",
    text: JSON.stringify(
      host({
        inventory: {
          x: { ...valid, artifact: { name: "a", digest: "d", state: "ready", bytes: 0, size: 0, x: 1 } },
        },
      }),
    ),
    plain: false,
  },
  {
    name: "a count beyond the safe integers",
    text: JSON.stringify(host({ heartbeatSeq: 2 ** 53 })),
    plain: false,
  },
  {
    name: "a count of 1e400 (Infinity)",
    text: JSON.stringify(host({})).replace('"heartbeatSeq":1', '"heartbeatSeq":1e400'),
    plain: false,
  },
  { name: "a heartbeat interval of 0", text: JSON.stringify(host({ heartbeatIntervalMs: 0 })), plain: false },
  { name: "labels that are an array", text: JSON.stringify(host({ labels: ["a"] })), plain: false },
  {
    name: "a null probe",
    text: JSON.stringify(host({ inventory: { x: { ...valid, probe: null } } })),
    plain: false,
  },
  { name: "an unknown driver", text: JSON.stringify(host({ driver: "docker" })), plain: false },
  {
    name: "a __proto__ inventory key",
    text: JSON.stringify(host({ inventory: {} })).replace(
      '"inventory":{}',
      `"inventory":{"__proto__":${JSON.stringify(valid)}}`,
    ),
    plain: false,
  },
  {
    name: "a __proto__ label",
    text: JSON.stringify(host({ labels: {} })).replace('"labels":{}', '"labels":{"__proto__":"a"}'),
    plain: false,
  },
  {
    name: "a __proto__ key in an entry",
    text: JSON.stringify(host({ inventory: { x: { ...valid, __x: 1 } } })).replace('"__x"', '"__proto__"'),
    plain: false,
  },
];
for (const { name, text, plain } of cases) {
  test(`${name}: ${plain ? "passes the check" : "goes to the schema"}, and decodes as the schema says`, () => {
    const json: unknown = JSON.parse(text);
    assert.equal(isPlainHostRecord(json), plain);
    assert.deepEqual(byParse(text), bySchema(json));
  });
}

test("not JSON is a SyntaxError, as before", () => {
  assert.throws(() => parseHostRecordText("{not json"), SyntaxError);
});
