import assert from "node:assert/strict";
import { test } from "node:test";
import { z } from "zod";
import { daemonScaler, defineScaler, type ScalerInput, spreadScaler } from "../../../src/scalers/index.js";
import { checkScaler, ScalerCheckError } from "../../../src/testing/index.js";

const props = z.strictObject({ n: z.number().int() });
const ok = { phase: "ok" as const, message: "" };
const bad = (name: string, reconcile: (i: ScalerInput<{ n: number }>) => unknown) =>
  defineScaler({
    type: name,
    version: "1",
    properties: props,
    desiredTotal: (p) => p.n,
    reconcile: reconcile as never,
  });

const rows: Array<{ name: string; scaler: ReturnType<typeof bad>; match: RegExp }> = [
  {
    name: "first host in the given order (not deterministic)",
    scaler: bad("order", ({ properties, hosts }) => ({
      placements: hosts.slice(0, 1).map((h) => ({ hostId: h.hostId, count: properties.n })),
      status: ok,
    })),
    match: /not deterministic/,
  },
  {
    name: "moves to a host not running it (not a fixed point)",
    scaler: bad("flap", ({ properties, hosts }) => {
      const idle = [...hosts].sort((a, b) => a.instances - b.instances || (a.hostId < b.hostId ? -1 : 1))[0];
      return { placements: idle ? [{ hostId: idle.hostId, count: properties.n }] : [], status: ok };
    }),
    match: /not a fixed point/,
  },
  {
    name: "ok with fewer than desiredTotal",
    scaler: bad("short", () => ({ placements: [], status: ok })),
    match: /placed 0 of desiredTotal 2/,
  },
  {
    name: "a host it was not given",
    scaler: bad("ghost", ({ properties }) => ({
      placements: [{ hostId: "ghost", count: properties.n }],
      status: ok,
    })),
    match: /not among its hosts/,
  },
  {
    name: "a fractional count",
    scaler: bad("frac", ({ hosts }) => ({
      placements: hosts.map((h) => ({ hostId: h.hostId, count: 0.5 })),
      status: ok,
    })),
    match: /invalid count/,
  },
];

for (const row of rows) {
  test(`checkScaler rejects: ${row.name}`, () => {
    assert.throws(
      () => checkScaler(row.scaler, { properties: [{ n: 2 }] }),
      (err: Error) => err instanceof ScalerCheckError && row.match.test(err.message),
    );
  });
}

test("checkScaler passes the built-in scalers", () => {
  checkScaler(spreadScaler, {
    properties: [{ instances: 5 }, { instances: 3, spread: [{ name: "e", requirements: { zone: "east" } }] }],
  });
  checkScaler(daemonScaler, { properties: [{}, { instances: 2 }] });
});
