import assert from "node:assert/strict";
import { test } from "node:test";
// In your own project: import { checkScaler, host, scalerInput } from "nadm/testing";
import { checkScaler, host, scalerInput } from "../../src/testing/index.js";
import binpack, { binpackProperties } from "./binpack.js";

const hosts = [host("a"), host("b"), host("c", "zone=west"), host("d", "zone=west")];
const placed = (properties: unknown, fleet = hosts) => {
  const r = binpack.reconcile(scalerInput(binpackProperties.parse(properties), fleet));
  return {
    placements: Object.fromEntries(
      (r.placements as Array<{ hostId: string; count: number }>).map((p) => [p.hostId, p.count]),
    ),
    phase: r.status.phase,
  };
};

const rows = [
  {
    name: "fills the fewest hosts, by hostId",
    props: { instances: 5, maxPerHost: 2 },
    want: { a: 2, b: 2, c: 1 },
    phase: "ok",
  },
  { name: "one host when it fits", props: { instances: 3, maxPerHost: 8 }, want: { a: 3 }, phase: "ok" },
  { name: "nothing asked, nothing placed", props: { instances: 0, maxPerHost: 2 }, want: {}, phase: "ok" },
  {
    name: "requirements narrow the hosts",
    props: { instances: 3, maxPerHost: 2, requirements: { zone: "west" } },
    want: { c: 2, d: 1 },
    phase: "ok",
  },
  {
    name: "more than fits: failed, the rest placed",
    props: { instances: 9, maxPerHost: 2 },
    want: { a: 2, b: 2, c: 2, d: 2 },
    phase: "failed",
  },
];
for (const row of rows) {
  test(`binpack: ${row.name}`, () => {
    const got = placed(row.props);
    assert.deepEqual(got.placements, row.want);
    assert.equal(got.phase, row.phase);
  });
}

test("binpack: hosts already running it are filled first, so nothing moves", () => {
  const running = [host("a"), host("b"), host("c", "", 2), host("d", "", 1)];
  assert.deepEqual(placed({ instances: 3, maxPerHost: 2 }, running).placements, { c: 2, d: 1 });
});

test("binpack: deterministic, a fixed point, and places exactly `instances` when ok", () => {
  checkScaler(binpack, {
    properties: [
      { instances: 0, maxPerHost: 1 },
      { instances: 5, maxPerHost: 2 },
      { instances: 7, maxPerHost: 3, requirements: { zone: "east" } },
    ],
  });
});
