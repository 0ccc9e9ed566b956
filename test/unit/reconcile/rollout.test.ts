import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { bounds, planRollout, type RolloutInput, type Slot, slotId } from "../../../src/reconcile/rollout.js";

const ZONE: Record<string, string> = { a1: "a", a2: "a", a3: "a", b1: "b", b2: "b", b3: "b" };

/** "a1:O=1" → one old instance on a1, told and ready; "b1:N=1/0" → told 1, ready 0; "a2:O=0/1" → told 0, still running 1. */
function slots(spec: string): Slot[] {
  return spec
    .split(" ")
    .filter(Boolean)
    .map((s) => {
      const [hostId = "", rest = ""] = s.split(":");
      const [key = "", counts = ""] = rest.split("=");
      const [told, second] = counts.split("/").map(Number) as [number, number | undefined];
      const stopping = second !== undefined && second > told;
      const running = stopping ? second : told;
      const ready = stopping ? second : (second ?? told);
      return { hostId, key, told, running, ready, available: ready };
    });
}

function step(spec: string, props: RolloutInput["properties"], target = "a1 a2 a3 b1 b2 b3"): string[] {
  const t = new Map(target.split(" ").map((h) => [h, 1]));
  const r = planRollout({
    desired: t.size,
    target: t,
    key: "N",
    slots: slots(spec),
    properties: props,
    groupOf: (h) => ZONE[h] ?? "",
  });
  const before = new Map(slots(spec).map((s) => [slotId(s.hostId, s.key), s.told]));
  return [...r.counts]
    .filter(([id, n]) => (before.get(id) ?? 0) !== n)
    .map(([id, n]) => `${id.replace("\n", ":")}=${before.get(id) ?? 0}→${n}`);
}

const ALL_OLD = "a1:O=1 a2:O=1 a3:O=1 b1:O=1 b2:O=1 b3:O=1";
const zoned = { maxSurge: 0, maxUnavailable: 1, serialBy: "zone" };

describe("planRollout: one step", () => {
  const rows: Array<{ name: string; spec: string; props: RolloutInput["properties"]; want: string[] }> = [
    {
      name: "surge 0 / unavailable 1: stop one old in the first zone",
      spec: ALL_OLD,
      props: zoned,
      want: ["a1:O=1→0"],
    },
    {
      name: "an old instance still stopping: nothing new until it is gone (total ≤ desired + surge)",
      spec: "a1:O=0/1 a2:O=1 a3:O=1 b1:O=1 b2:O=1 b3:O=1",
      props: zoned,
      want: [],
    },
    {
      name: "the old one is gone: its replacement starts",
      spec: "a1:O=0 a2:O=1 a3:O=1 b1:O=1 b2:O=1 b3:O=1",
      props: zoned,
      want: ["a1:N=0→1"],
    },
    {
      name: "a new instance starting: no budget to stop another",
      spec: "a1:N=1/0 a2:O=1 a3:O=1 b1:O=1 b2:O=1 b3:O=1",
      props: zoned,
      want: [],
    },
    {
      name: "zone a done: zone b next",
      spec: "a1:N=1 a2:N=1 a3:N=1 b1:O=1 b2:O=1 b3:O=1",
      props: zoned,
      want: ["b1:O=1→0"],
    },
    {
      name: "surge 1 / unavailable 0: start one new before any old stops",
      spec: ALL_OLD,
      props: { maxSurge: 1, maxUnavailable: 0 },
      want: ["a1:N=0→1"],
    },
    {
      name: "surge 1 / unavailable 0: the new one is available, one old may stop",
      spec: "a1:N=1 a1:O=1 a2:O=1 a3:O=1 b1:O=1 b2:O=1 b3:O=1",
      props: { maxSurge: 1, maxUnavailable: 0 },
      want: ["a1:O=1→0"],
    },
    {
      name: "two zones disrupted already: the safety rule holds everything",
      spec: "a1:O=1/0 a2:O=1 a3:O=1 b1:O=1/0 b2:O=1 b3:O=1",
      props: zoned,
      want: [],
    },
    {
      name: "an old instance that is not ready stops for free, in the disrupted zone only",
      spec: "a1:O=1/0 a2:O=1 a3:O=1 b1:O=1 b2:O=1 b3:O=1",
      props: zoned,
      want: ["a1:O=1→0"],
    },
    {
      name: "no serialBy: the budget is spent across zones",
      spec: ALL_OLD,
      props: { maxSurge: 2, maxUnavailable: 0 },
      want: ["a1:N=0→1", "a2:N=0→1"],
    },
    {
      name: "progress only forward: a new instance is never replaced by an old one",
      spec: "a1:N=1 a2:O=1 a3:O=1 b1:O=1 b2:O=1 b3:O=1",
      props: { maxSurge: 0, maxUnavailable: 1 },
      want: ["a2:O=1→0"],
    },
  ];
  for (const row of rows) test(row.name, () => assert.deepEqual(step(row.spec, row.props), row.want));

  test("no old revision left: the scaler's placement applies at once", () => {
    const r = planRollout({
      desired: 3,
      target: new Map([["a1", 3]]),
      key: "N",
      slots: slots("a1:N=1"),
      properties: zoned,
      groupOf: () => "a",
    });
    assert.equal(r.rolling, false);
    assert.equal(r.counts.get(slotId("a1", "N")), 3);
  });
});

describe("bounds", () => {
  const rows: Array<[RolloutInput["properties"], number, { surge: number; unavailable: number }]> = [
    [{ maxSurge: "25%", maxUnavailable: "25%" }, 10, { surge: 3, unavailable: 2 }],
    [{ maxSurge: "25%", maxUnavailable: "25%" }, 1, { surge: 1, unavailable: 0 }],
    [{ maxSurge: 0, maxUnavailable: "10%" }, 5, { surge: 0, unavailable: 1 }],
    [{ maxSurge: 2, maxUnavailable: 1 }, 6, { surge: 2, unavailable: 1 }],
  ];
  for (const [props, desired, want] of rows) {
    test(`${JSON.stringify(props)} of ${desired}`, () => assert.deepEqual(bounds(props, desired), want));
  }
});

/**
 * A fleet that moves one instance at a time in random order (an old one stops, a new one starts
 * or becomes ready), re-planning after every move: the bounds hold in every state it passes
 * through, old revisions never grow, and the rollout finishes.
 */
describe("planRollout: properties over random fleets", () => {
  const hosts = Object.keys(ZONE);
  interface State {
    told: Map<string, number>;
    running: Map<string, number>;
    ready: Map<string, number>;
  }
  const get = (m: Map<string, number>, id: string) => m.get(id) ?? 0;

  function observe(s: State): Slot[] {
    const ids = new Set([...s.told.keys(), ...s.running.keys()]);
    return [...ids].map((id) => {
      const [hostId = "", key = ""] = id.split("\n");
      const ready = get(s.ready, id);
      return { hostId, key, told: get(s.told, id), running: get(s.running, id), ready, available: ready };
    });
  }

  test("bounds, zones and forward progress hold in every state; the rollout ends", () => {
    fc.assert(
      fc.property(
        fc.record({
          surge: fc.integer({ min: 0, max: 2 }),
          unavailable: fc.integer({ min: 0, max: 2 }),
          serial: fc.boolean(),
          upgraded: fc.subarray(hosts, { maxLength: 2 }),
          seed: fc.array(fc.nat(), { minLength: 400, maxLength: 400 }),
        }),
        ({ surge, unavailable, serial, upgraded, seed }) => {
          const props = {
            maxSurge: surge,
            maxUnavailable: unavailable,
            ...(serial ? { serialBy: "zone" } : {}),
          };
          const desired = hosts.length;
          const b = bounds(props, desired);
          const state: State = { told: new Map(), running: new Map(), ready: new Map() };
          for (const h of hosts) {
            const id = slotId(h, upgraded.includes(h) ? "N" : "O");
            for (const m of [state.told, state.running, state.ready]) m.set(id, 1);
          }
          const target = new Map(hosts.map((h) => [h, 1]));
          for (let i = 0; i < seed.length; i++) {
            const r = planRollout({
              desired,
              target,
              key: "N",
              slots: observe(state),
              properties: props,
              groupOf: (h) => ZONE[h] ?? "",
            });
            for (const [id, n] of r.counts) {
              if (id.endsWith("\nO")) assert.ok(n <= get(state.told, id), "an old revision never grows");
              state.told.set(id, n);
            }
            const moves = pendingMoves(state);
            if (moves.length === 0) {
              if (!r.rolling) return;
              assert.fail(`stuck: ${JSON.stringify(observe(state))}`);
            }
            moves[(seed[i] ?? 0) % moves.length]!();
            const obs = observe(state);
            const total = obs.reduce((n, s) => n + Math.max(s.told, s.running), 0);
            const available = obs.reduce((n, s) => n + Math.min(s.told, s.ready), 0);
            assert.ok(total <= desired + b.surge, `total ${total} > ${desired} + ${b.surge}`);
            assert.ok(
              available >= desired - b.unavailable - 0,
              `available ${available} < ${desired} - ${b.unavailable}`,
            );
            if (serial) {
              const busy = new Set(
                obs
                  .filter((s) => Math.max(s.told, s.running) > Math.min(s.told, s.ready))
                  .map((s) => ZONE[s.hostId]),
              );
              assert.ok(busy.size <= 1, `zones disrupted at once: ${[...busy]}`);
            }
          }
          assert.fail("did not finish in 400 moves");
        },
      ),
      { numRuns: 300 },
    );
  });

  /** Each possible next move of the fleet toward what hosts were told, one instance at a time. */
  function pendingMoves(s: State): Array<() => void> {
    const moves: Array<() => void> = [];
    for (const id of new Set([...s.told.keys(), ...s.running.keys()])) {
      const [told, running, ready] = [get(s.told, id), get(s.running, id), get(s.ready, id)];
      if (running > told)
        moves.push(() => {
          s.running.set(id, running - 1);
          s.ready.set(id, Math.min(ready, running - 1));
        });
      else if (running < told) moves.push(() => s.running.set(id, running + 1));
      else if (ready < running) moves.push(() => s.ready.set(id, ready + 1));
    }
    return moves;
  }
});
