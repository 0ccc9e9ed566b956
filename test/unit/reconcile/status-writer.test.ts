import assert from "node:assert/strict";
import { test } from "node:test";
import { sameStatus } from "../../../src/reconcile/status-writer.js";
import type { AppStatus } from "../../../src/streams/app-status.js";

const base: AppStatus = {
  name: "shop",
  version: "v1",
  phase: "reconciling",
  message: "0/4 ready",
  observedGeneration: 1,
  updatedAt: "2026-01-01T00:00:00.000Z",
  components: [
    {
      name: "web",
      scaler: "spreadscaler",
      phase: "reconciling",
      message: "0/4 ready",
      desired: 4,
      running: 0,
      ready: 0,
      hosts: {},
    },
  ],
};

/** The same value with every object's keys in reverse order, as a KV round trip through zod may give. */
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

const cases: Array<{ name: string; a: AppStatus | undefined; b: AppStatus | null; same: boolean }> = [
  { name: "identical", a: base, b: base, same: true },
  { name: "keys in another order", a: base, b: reordered(base), same: true },
  {
    name: "only updatedAt differs",
    a: base,
    b: { ...base, updatedAt: "2027-01-01T00:00:00.000Z" },
    same: true,
  },
  { name: "message differs", a: base, b: { ...base, message: "1/4 ready" }, same: false },
  { name: "component count differs", a: base, b: { ...base, components: [] }, same: false },
  { name: "nothing stored, nothing to store", a: undefined, b: null, same: true },
  { name: "nothing stored, a status to store", a: undefined, b: base, same: false },
  { name: "a status stored, delete it", a: base, b: null, same: false },
];

for (const c of cases) {
  test(`sameStatus: ${c.name}`, () => assert.equal(sameStatus(c.a, c.b), c.same));
}
