import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  apportion,
  formatRequirements,
  matchesRequirements,
  placementOrder,
  spreadEvenly,
} from "../../../src/scalers/spread.js";
import type { HostView } from "../../../src/scalers/types.js";
import { host } from "./fixtures.js";

describe("apportion (largest remainder)", () => {
  const rows: Array<{ total: number; weights: number[]; want: number[] }> = [
    { total: 4, weights: [3, 1], want: [3, 1] },
    { total: 5, weights: [1, 1, 1], want: [2, 2, 1] },
    { total: 7, weights: [2, 1], want: [5, 2] },
    { total: 1, weights: [1, 3], want: [0, 1] },
    { total: 10, weights: [1, 1, 1], want: [4, 3, 3] },
    { total: 3, weights: [0, 1, 0], want: [0, 3, 0] },
    { total: 3, weights: [0, 0], want: [0, 0] },
    { total: 0, weights: [5, 2], want: [0, 0] },
    // total·weight far beyond 2^53: float maths would lose the remainders here.
    { total: 2 ** 53 - 1, weights: [2 ** 52, 2 ** 52 + 1], want: [2 ** 52 - 1, 2 ** 52] },
  ];
  for (const { total, weights, want } of rows) {
    test(`${total} by ${weights.join(":")}`, () => assert.deepEqual(apportion(total, weights), want));
  }
});

describe("spreadEvenly", () => {
  const rows = [
    { name: "nothing to place", count: 0, hosts: [host("a")], want: {} },
    { name: "no hosts", count: 3, hosts: [], want: {} },
    { name: "even", count: 6, hosts: [host("b"), host("a"), host("c")], want: { a: 2, b: 2, c: 2 } },
    {
      name: "leftover by current instances, then hostId",
      count: 5,
      hosts: [host("a"), host("b", "", 1), host("c", "", 1)],
      want: { a: 1, b: 2, c: 2 },
    },
    {
      // With seed "" the rendezvous order of a, b, c, d is d, c, a, b.
      name: "leftover in the workload's rendezvous order, whatever the input order",
      count: 2,
      hosts: [host("a"), host("b"), host("c"), host("d")],
      want: { c: 1, d: 1 },
    },
    {
      name: "hosts already running an instance come before the rendezvous order (no flapping)",
      count: 2,
      hosts: [host("a", "", 1), host("b"), host("c"), host("d")],
      want: { a: 1, d: 1 },
    },
    {
      name: "large counts are cheap",
      count: 1e12 + 1,
      hosts: [host("a"), host("b")],
      want: { a: 5e11 + 1, b: 5e11 },
    },
  ];
  for (const row of rows) {
    test(row.name, () => {
      assert.deepEqual(Object.fromEntries(spreadEvenly(row.count, row.hosts)), row.want);
      const reversed = [...row.hosts].reverse();
      assert.deepEqual(
        Object.fromEntries(spreadEvenly(row.count, reversed)),
        row.want,
        "input order does not matter",
      );
    });
  }

  test("different workloads (seeds) spread over different hosts", () => {
    const hosts = Array.from({ length: 10 }, (_, i) => host(`h${i}`));
    const perHost = new Map<string, number>();
    for (let app = 0; app < 100; app++) {
      for (const [h, n] of spreadEvenly(1, hosts, `default/app-${app}/web`))
        perHost.set(h, (perHost.get(h) ?? 0) + n);
    }
    assert.equal(perHost.size, 10, "every host is used");
    assert.ok(Math.max(...perHost.values()) <= 20, `no host takes a crowd: ${JSON.stringify([...perHost])}`);
  });
});

describe("labels", () => {
  const rows: Array<{ labels: string; req: Record<string, string>; want: boolean }> = [
    { labels: "zone=east", req: { zone: "east" }, want: true },
    { labels: "zone=east,arch=arm64", req: {}, want: true },
    { labels: "zone=west", req: { zone: "east" }, want: false },
    { labels: "", req: { constructor: "x" }, want: false },
  ];
  for (const { labels, req, want } of rows) {
    test(`"${labels}" matches ${JSON.stringify(req)}: ${want}`, () =>
      assert.equal(matchesRequirements(host("h", labels).labels, req), want));
  }
  test("format keeps manifest order", () =>
    assert.equal(formatRequirements({ zone: "w", arch: "arm" }), "zone=w,arch=arm"));
});

test("spreadEvenly: placing one at a time on the host with the fewest (ties by placementOrder), for any fleet", () => {
  // The reference is the definition; spreadEvenly computes it without sorting the whole fleet.
  const reference = (count: number, hosts: HostView[], seed: string) => {
    const placed = new Map<string, number>();
    const order = placementOrder(hosts, seed);
    for (let i = 0; i < count; i++) {
      const host = order[i % order.length]!;
      placed.set(host.hostId, (placed.get(host.hostId) ?? 0) + 1);
    }
    return placed;
  };
  const fleet = fc.uniqueArray(
    fc.record({ hostId: fc.stringMatching(/^h[0-9a-z]{1,4}$/), instances: fc.nat(3) }),
    { selector: (h) => h.hostId, minLength: 1, maxLength: 120 },
  );
  fc.assert(
    fc.property(fc.nat(300), fleet, fc.string({ maxLength: 8 }), (count, hosts, seed) => {
      const views = hosts.map((h) => ({ ...h, labels: {} }));
      assert.deepEqual(
        Object.fromEntries([...spreadEvenly(count, views, seed)].sort()),
        Object.fromEntries([...reference(count, views, seed)].sort()),
      );
    }),
    { numRuns: 1000 },
  );
});
