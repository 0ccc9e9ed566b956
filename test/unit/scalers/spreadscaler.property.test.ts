import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  type HostView,
  type SpreadScalerProperties,
  spreadScaler,
  spreadScalerProperties,
} from "../../../src/scalers/index.js";
import { converged, input, placed } from "./fixtures.js";

// Few label values, so groups often overlap, share hosts, or match nothing.
const zones = ["a", "b", "c", "d"];

const hostsArb = fc
  .uniqueArray(
    fc.record({
      hostId: fc.string({ minLength: 1, maxLength: 4 }),
      zone: fc.constantFrom(...zones),
      arch: fc.constantFrom("x86", "arm"),
      instances: fc.nat(5),
    }),
    { selector: (h) => h.hostId, maxLength: 8 },
  )
  .map((hs): HostView[] =>
    hs.map(({ hostId, zone, arch, instances }) => ({ hostId, labels: { zone, arch }, instances })),
  );

const groupArb = fc.record({
  zone: fc.option(fc.constantFrom(...zones), { nil: undefined }),
  arch: fc.option(fc.constantFrom("x86", "arm"), { nil: undefined }),
  weight: fc.nat(4),
});

const propsArb = fc.record({ instances: fc.nat(40), groups: fc.array(groupArb, { maxLength: 4 }) }).map(
  ({ instances, groups }): SpreadScalerProperties =>
    spreadScalerProperties.parse({
      instances,
      spread: groups.map(({ zone, arch, weight }, i) => ({
        name: `g${i}`,
        requirements: { ...(zone && { zone }), ...(arch && { arch }) },
        weight,
      })),
    }),
);

const run = (props: SpreadScalerProperties, hosts: readonly HostView[]) =>
  spreadScaler.reconcile(input(props, hosts));
const total = (p: Record<string, number>) => Object.values(p).reduce((a, b) => a + b, 0);

function everyWeightedGroupPlaceable(props: SpreadScalerProperties, hosts: readonly HostView[]): boolean {
  const groups = props.spread?.length ? props.spread : [{ requirements: {}, weight: 1 }];
  const placeable = (req: Record<string, string>) =>
    hosts.some((h) => Object.entries(req).every(([k, v]) => h.labels[k] === v));
  return groups.some((g) => g.weight > 0) && groups.every((g) => g.weight === 0 || placeable(g.requirements));
}

test("every instance is placed when every weighted group has a host", () => {
  fc.assert(
    fc.property(propsArb, hostsArb, (props, hosts) => {
      fc.pre(everyWeightedGroupPlaceable(props, hosts));
      const result = run(props, hosts);
      assert.equal(total(placed(result)), props.instances);
      assert.equal(result.status.phase, "ok");
    }),
  );
});

test("never more instances than asked, and only on given hosts", () => {
  fc.assert(
    fc.property(propsArb, hostsArb, (props, hosts) => {
      const p = placed(run(props, hosts));
      assert.ok(total(p) <= props.instances);
      assert.ok(Object.keys(p).every((id) => hosts.some((h) => h.hostId === id)));
    }),
  );
});

test("the result does not depend on the order of the hosts", () => {
  fc.assert(
    fc.property(
      propsArb,
      hostsArb.chain((hs) => fc.tuple(fc.constant(hs), fc.shuffledSubarray(hs, { minLength: hs.length }))),
      (props, [hosts, shuffled]) => assert.deepEqual(run(props, shuffled), run(props, hosts)),
    ),
  );
});

test("without spread the result is a fixed point and per-host counts differ by at most 1", () => {
  fc.assert(
    fc.property(fc.nat(40), hostsArb, (instances, hosts) => {
      const props = spreadScalerProperties.parse({ instances });
      const first = run(props, hosts);
      assert.deepEqual(run(props, converged(hosts, placed(first))), first);
      const counts = hosts.map((h) => placed(first)[h.hostId] ?? 0);
      if (counts.length > 0) assert.ok(Math.max(...counts) - Math.min(...counts) <= 1);
    }),
  );
});

// Overlapping groups see each other's instances in `HostView.instances` (a total), so one
// feedback round may move a few instances; this guards that it settles instead of flapping.
test("with overlapping groups, feeding results back settles within a few rounds", () => {
  fc.assert(
    fc.property(propsArb, hostsArb, (props, hosts) => {
      let previous = run(props, hosts);
      for (let round = 0; round < 10; round++) {
        const next = run(props, converged(hosts, placed(previous)));
        if (JSON.stringify(next) === JSON.stringify(previous)) return;
        previous = next;
      }
      assert.fail("placement did not settle in 10 rounds");
    }),
  );
});
