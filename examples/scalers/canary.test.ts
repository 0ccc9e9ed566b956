import assert from "node:assert/strict";
import { test } from "node:test";
// In your own project: import { checkScaler, host, scalerInput } from "nadm/testing";
import { checkScaler, host, scalerInput } from "../../src/testing/index.js";
import canary, { canaryProperties } from "./canary.js";

const hosts = [host("s1"), host("s2"), host("c1", "track=canary"), host("c2", "track=canary"), host("s3")];
const run = (properties: unknown, fleet = hosts) => {
  const r = canary.reconcile(scalerInput(canaryProperties.parse(properties), fleet));
  const list = r.placements as Array<{ hostId: string; count: number }>;
  return {
    placements: Object.fromEntries(list.filter((p) => p.count > 0).map((p) => [p.hostId, p.count])),
    phase: r.status.phase,
  };
};
const pin = { track: "canary" };

const rows = [
  {
    name: "canaries on pinned hosts only, the rest spread over the others",
    props: { instances: 5, canary: 1, pin },
    want: { c1: 1, s1: 2, s2: 1, s3: 1 },
    phase: "ok",
  },
  {
    name: "two canaries, one per pinned host",
    props: { instances: 2, canary: 2, pin },
    want: { c1: 1, c2: 1 },
    phase: "ok",
  },
  { name: "no canary", props: { instances: 3, canary: 0, pin }, want: { s1: 1, s2: 1, s3: 1 }, phase: "ok" },
  {
    name: "more canaries than pinned hosts: waiting",
    props: { instances: 3, canary: 3, pin },
    want: { c1: 1, c2: 1 },
    phase: "waiting",
  },
];
for (const row of rows) {
  test(`canary: ${row.name}`, () => {
    const got = run(row.props);
    assert.deepEqual(got.placements, row.want);
    assert.equal(got.phase, row.phase);
  });
}

test("canary: properties are checked (canary ≤ instances, a pin label)", () => {
  assert.equal(canaryProperties.safeParse({ instances: 1, canary: 2, pin }).success, false);
  assert.equal(canaryProperties.safeParse({ instances: 1, canary: 1, pin: {} }).success, false);
});

test("canary: deterministic, a fixed point, and places exactly `instances` when ok", () => {
  checkScaler(canary, {
    properties: [
      { instances: 4, canary: 1, pin },
      { instances: 6, canary: 2, pin: { zone: "west" } },
      { instances: 0, canary: 0, pin },
    ],
  });
});
