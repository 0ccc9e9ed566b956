import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type HostView, spreadScaler, spreadScalerProperties } from "../../../src/scalers/index.js";
import { converged, host, input, placed } from "./fixtures.js";

interface Row {
  name: string;
  /** Raw trait properties, parsed by the scaler's own schema so defaults apply as in production. */
  props: unknown;
  hosts: HostView[];
  want: Record<string, number>;
  phase?: "ok" | "waiting" | "failed";
  message?: string;
}

function run(props: unknown, hosts: readonly HostView[]) {
  return spreadScaler.reconcile(input(spreadScalerProperties.parse(props), hosts));
}

function check(row: Row): void {
  const result = run(row.props, row.hosts);
  assert.deepEqual(placed(result), row.want);
  assert.equal(result.status.phase, row.phase ?? "ok");
  if (row.message !== undefined) assert.equal(result.status.message, row.message);
}

const zone = (name: string, weight = 1) => ({ name, requirements: { zone: name }, weight });
const [ea, eb, ec] = [host("ha", "zone=a"), host("hb", "zone=b"), host("hc", "zone=c")];
const eastWest = [host("e1", "zone=east"), host("e2", "zone=east"), host("w1", "zone=west")];

describe("spreadscaler: weights and groups", () => {
  const rows: Row[] = [
    {
      // For shop/web the rendezvous order of a, b, c, d is d, a, b, c.
      name: "no spread: even over all hosts, leftover to the workload's first host in rendezvous order",
      props: { instances: 4 },
      hosts: [host("c"), host("a"), host("b")],
      want: { a: 2, b: 1, c: 1 },
      message: "4 instances on 3 hosts",
    },
    {
      name: "empty spread acts like no spread",
      props: { instances: 2, spread: [] },
      hosts: [host("a"), host("b")],
      want: { a: 1, b: 1 },
    },
    {
      name: "singular message",
      props: { instances: 1 },
      hosts: [host("a")],
      want: { a: 1 },
      message: "1 instance on 1 host",
    },
    {
      name: "4 instances 3:1",
      props: { instances: 4, spread: [zone("east", 3), zone("west", 1)] },
      hosts: eastWest,
      want: { e1: 2, e2: 1, w1: 1 },
      message: "4 instances on 3 hosts",
    },
    {
      name: "5 instances 1:1:1 → 2,2,1",
      props: { instances: 5, spread: [zone("a"), zone("b"), zone("c")] },
      hosts: [ea, eb, ec],
      want: { ha: 2, hb: 2, hc: 1 },
    },
    {
      name: "7 instances 2:1 → 5,2",
      props: { instances: 7, spread: [zone("a", 2), zone("b", 1)] },
      hosts: [ea, eb],
      want: { ha: 5, hb: 2 },
    },
    {
      name: "equal remainders: earlier group wins",
      props: { instances: 1, spread: [zone("b"), zone("a")] },
      hosts: [ea, eb],
      want: { hb: 1 },
    },
    {
      name: "equal remainders, order swapped",
      props: { instances: 1, spread: [zone("a"), zone("b")] },
      hosts: [ea, eb],
      want: { ha: 1 },
    },
    {
      name: "larger remainder beats manifest order (1:3)",
      props: { instances: 1, spread: [zone("a", 1), zone("b", 3)] },
      hosts: [ea, eb],
      want: { hb: 1 },
    },
    {
      name: "weight 0 gets nothing",
      props: { instances: 3, spread: [zone("a", 1), zone("b", 0)] },
      hosts: [ea, eb],
      want: { ha: 3 },
    },
    {
      name: "weight 0 group without hosts is not a failure",
      props: { instances: 3, spread: [zone("a"), { name: "gpu", requirements: { gpu: "true" }, weight: 0 }] },
      hosts: [ea],
      want: { ha: 3 },
    },
    {
      name: "all weights 0",
      props: { instances: 3, spread: [zone("a", 0), zone("b", 0)] },
      hosts: [ea, eb],
      want: {},
      phase: "failed",
      message: "all spread weights are 0",
    },
    {
      name: "hosts matching several groups get the sum",
      props: { instances: 4, spread: [zone("east"), { name: "arm", requirements: { arch: "arm64" } }] },
      hosts: [
        host("e1", "zone=east,arch=arm64"),
        host("e2", "zone=east"),
        host("w1", "zone=west,arch=arm64"),
      ],
      want: { e1: 2, e2: 1, w1: 1 },
    },
    {
      name: "every requirement must match",
      props: { instances: 2, spread: [{ name: "g", requirements: { zone: "east", arch: "arm64" } }] },
      hosts: [host("e1", "zone=east,arch=amd64"), host("e2", "zone=east,arch=arm64")],
      want: { e2: 2 },
    },
    {
      name: "0 instances",
      props: { instances: 0 },
      hosts: [host("a", "", 3)],
      want: {},
      message: "no instances requested",
    },
    {
      name: "0 instances, no hosts: nothing to wait for",
      props: { instances: 0 },
      hosts: [],
      want: {},
      phase: "ok",
    },
  ];
  for (const row of rows) test(row.name, () => check(row));
});

describe("spreadscaler: missing hosts", () => {
  const rows: Row[] = [
    {
      name: "no hosts",
      props: { instances: 3 },
      hosts: [],
      want: {},
      phase: "waiting",
      message: "no hosts in lattice",
    },
    {
      name: "no hosts wins over an unmatched group",
      props: { instances: 3, spread: [zone("west")] },
      hosts: [],
      want: {},
      phase: "waiting",
      message: "no hosts in lattice",
    },
    {
      name: "empty group fails, other groups are still placed",
      props: { instances: 4, spread: [zone("east"), zone("west")] },
      hosts: eastWest.slice(0, 2),
      want: { e1: 1, e2: 1 },
      phase: "failed",
      message: 'no host matches zone=west (spread group "west")',
    },
    {
      name: "several empty groups are listed in one sentence",
      props: {
        instances: 6,
        spread: [zone("east"), zone("west"), { name: "gpu", requirements: { gpu: "true", zone: "west" } }],
      },
      hosts: [host("e1", "zone=east")],
      want: { e1: 2 },
      phase: "failed",
      message: 'no host matches zone=west (spread group "west"), gpu=true,zone=west (spread group "gpu")',
    },
    {
      name: "empty group whose quota rounds to 0 is fine",
      props: { instances: 1, spread: [zone("east"), zone("west")] },
      hosts: eastWest.slice(0, 2),
      want: { e1: 1 },
    },
  ];
  for (const row of rows) test(row.name, () => check(row));
});

describe("spreadscaler: tie-breaking keeps instances where they run", () => {
  const rows: Row[] = [
    {
      name: "leftover goes to the host already running one",
      props: { instances: 1 },
      hosts: [host("a"), host("b", "", 1)],
      want: { b: 1 },
    },
    {
      name: "then hostId among equally loaded hosts",
      props: { instances: 4 },
      hosts: [host("a"), host("c", "", 2), host("b", "", 2)],
      want: { a: 1, b: 2, c: 1 },
    },
    {
      name: "fewer instances than hosts: where one runs, then rendezvous order",
      props: { instances: 2 },
      hosts: [host("a"), host("b"), host("c", "", 1)],
      want: { a: 1, c: 1 },
    },
    {
      name: "evenness first: a busy host gets no more than its share",
      props: { instances: 3 },
      hosts: [host("a"), host("b"), host("c", "", 9)],
      want: { a: 1, b: 1, c: 1 },
    },
  ];
  for (const row of rows) test(row.name, () => check(row));
});

describe("spreadscaler: host churn (hosts carry the previous result)", () => {
  const rows: Row[] = [
    {
      name: "a host leaves: only its instances move",
      props: { instances: 4 },
      hosts: [host("a", "", 2), host("b", "", 1)],
      want: { a: 2, b: 2 },
    },
    {
      name: "the lowest hostId leaves",
      props: { instances: 4 },
      hosts: [host("b", "", 1), host("c", "", 1)],
      want: { b: 2, c: 2 },
    },
    {
      name: "a host joins: it takes only the surplus",
      props: { instances: 5 },
      hosts: [host("a", "", 2), host("b", "", 2), host("c", "", 1), host("d")],
      want: { a: 2, b: 1, c: 1, d: 1 },
    },
    {
      name: "a joining host with a lower hostId does not take the leftover",
      props: { instances: 4 },
      hosts: [host("a"), host("b", "", 2), host("c", "", 2)],
      want: { a: 1, b: 2, c: 1 },
    },
    {
      name: "a host joins an empty group: the group recovers, the others stay",
      props: { instances: 4, spread: [zone("east"), zone("west")] },
      hosts: [host("e1", "zone=east", 1), host("e2", "zone=east", 1), host("w1", "zone=west")],
      want: { e1: 1, e2: 1, w1: 2 },
      message: "4 instances on 3 hosts",
    },
  ];
  for (const row of rows) test(row.name, () => check(row));
});

describe("spreadscaler: the result is a fixed point", () => {
  const rows: Array<{ name: string; props: unknown; hosts: HostView[] }> = [
    {
      name: "no spread, arbitrary current state",
      props: { instances: 7 },
      hosts: [host("a", "", 5), host("b"), host("c", "", 1)],
    },
    {
      name: "weighted disjoint groups",
      props: { instances: 7, spread: [zone("east", 2), zone("west")] },
      hosts: eastWest,
    },
    {
      name: "groups over the same hosts",
      props: { instances: 5, spread: [{ name: "x" }, { name: "y", weight: 2 }] },
      hosts: eastWest,
    },
    { name: "failed group", props: { instances: 5, spread: [zone("east"), zone("north")] }, hosts: eastWest },
  ];
  for (const row of rows) {
    test(row.name, () => {
      const first = run(row.props, row.hosts);
      const second = run(row.props, converged(row.hosts, placed(first)));
      assert.deepEqual(second, first);
    });
  }
});

test("desiredTotal is the instance count", () => {
  assert.equal(spreadScaler.desiredTotal?.(spreadScalerProperties.parse({ instances: 6 }), []), 6);
});
