import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { HostState } from "../../../src/lattice/view.js";
import { toCommand } from "../../../src/reconcile/issue.js";
import { hostBasis, type PlannedCommand } from "../../../src/reconcile/plan.js";
import { commandId } from "../../../src/streams/commands.js";
import { NOW } from "./builders.js";

type Parts = Parameters<typeof commandId>[0];
const base: Parts = {
  lattice: "default",
  hostId: "h1",
  workloadKey: "shop.web.abc",
  count: 2,
  basedOnRevision: 7,
};

describe("commandId (ARCHITECTURE §2 rule 2)", () => {
  test("same inputs → same id", () => {
    assert.equal(commandId({ ...base }), commandId(base));
    assert.match(commandId(base), /^cmd-[0-9a-f]{32}$/);
  });

  const changes: Array<[keyof Parts, Parts[keyof Parts]]> = [
    ["lattice", "prod"],
    ["hostId", "h2"],
    ["workloadKey", "shop.web.def"],
    ["count", 3],
    ["count", 0],
    ["basedOnRevision", 8],
    ["after", "cmd-refused"],
  ];
  for (const [field, value] of changes) {
    test(`${field} ${JSON.stringify(base[field])} → ${JSON.stringify(value)} changes the id`, () => {
      assert.notEqual(commandId({ ...base, [field]: value }), commandId(base));
    });
  }
});

describe("commandId after a refusal", () => {
  test("is based on the refused command, not on the host revision (one id per attempt)", () => {
    const after = "cmd-refused";
    assert.equal(commandId({ ...base, after }), commandId({ ...base, basedOnRevision: 99, after }));
    assert.notEqual(commandId({ ...base, after }), commandId({ ...base, after: "cmd-other" }));
  });
});

describe("toCommand", () => {
  const planned: PlannedCommand = {
    hostId: "h1",
    component: "web",
    workload: { key: "shop.web.abc", rev: "abc", type: "process", spec: { command: "node" } },
    count: 2,
    basedOnRevision: 7,
    reason: "spreadscaler: 2 on h1",
  };

  test("the id is the commandId of what it orders, and the order is carried whole", () => {
    const cmd = toCommand("default", "shop", planned, "evt-1", NOW);
    assert.deepEqual(cmd, {
      id: commandId(base),
      lattice: "default",
      hostId: "h1",
      app: "shop",
      component: "web",
      workload: planned.workload,
      count: 2,
      reason: "spreadscaler: 2 on h1",
      causationId: "evt-1",
      basedOnRevision: 7,
      issuedAt: new Date(NOW).toISOString(),
    });
  });

  test("two replicas (other event, other clock, other reason) compute the same id", () => {
    const a = toCommand("default", "shop", planned, "evt-1", NOW);
    const b = toCommand("default", "shop", { ...planned, reason: "other words" }, "evt-2", NOW + 5000);
    assert.equal(a.id, b.id);
  });

  const changes: Array<[string, Partial<PlannedCommand>]> = [
    ["hostId", { hostId: "h2" }],
    ["workload key", { workload: { ...planned.workload, key: "shop.web.def" } }],
    ["count", { count: 1 }],
    ["basedOnRevision", { basedOnRevision: 8 }],
  ];
  for (const [name, change] of changes) {
    test(`another ${name} → another id`, () => {
      const a = toCommand("default", "shop", planned, "evt-1", NOW);
      assert.notEqual(toCommand("default", "shop", { ...planned, ...change }, "evt-1", NOW).id, a.id);
    });
  }
  test("another lattice → another id", () => {
    assert.notEqual(
      toCommand("prod", "shop", planned, "evt-1", NOW).id,
      toCommand("default", "shop", planned, "evt-1", NOW).id,
    );
  });
});

describe("dedupe ids follow the host's state of the workload, not its record revision", () => {
  const key = "shop.web.abc";
  const rec = (revision: number, inventory: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    ({
      hostId: "h1",
      lattice: "default",
      revision,
      seenAt: new Date(0),
      record: { hostId: "h1", lattice: "default", startedAt: "t0", inventory, ...extra },
    }) as unknown as HostState;
  const idFor = (host: HostState) =>
    commandId({
      lattice: "default",
      hostId: "h1",
      workloadKey: key,
      count: 1,
      basedOnRevision: host.revision,
      basis: hostBasis(host, key),
    });
  const running = (lastCommandId: string) => ({ [key]: { desired: 0, lastCommandId } });

  const rows: Array<[string, HostState, HostState, boolean]> = [
    ["a heartbeat in between: the same command", rec(5, {}), rec(6, {}), true],
    ["the host took a command since: a new one", rec(5, running("c1")), rec(6, running("c2")), false],
    ["the workload retired since: a new one", rec(5, {}), rec(9, {}, { retired: { [key]: "c2" } }), false],
    [
      "the host came back after the liveness sweep: a new one",
      rec(5, {}),
      rec(9, {}, { incarnation: 1 }),
      false,
    ],
    ["the host restarted: a new one", rec(5, {}), rec(9, {}, { startedAt: "t1" }), false],
  ];
  for (const [name, a, b, same] of rows) {
    test(name, () => assert.equal(idFor(a) === idFor(b), same));
  }
});
