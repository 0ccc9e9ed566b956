/** The dashboard's rows from cached state and stream messages (pure, table-driven). */
import assert from "node:assert/strict";
import { test } from "node:test";
import { appRow, commandItem, eventItem, goneState } from "../../../src/dashboard/rows.js";
import type { IndexSummary } from "../../../src/reconcile/app-cache.js";
import type { AppStatus } from "../../../src/streams/app-status.js";
import type { HostRecord } from "../../../src/streams/host-record.js";

const index = (o: Partial<IndexSummary> = {}): IndexSummary => ({
  deployedVersion: "v2",
  previousVersion: "v1",
  generation: 3,
  paused: false,
  deployedDigest: "d",
  ...o,
});
const status = (o: Partial<AppStatus> = {}): AppStatus => ({
  name: "web",
  version: "v2",
  phase: "deployed",
  message: "2/2 ready",
  observedGeneration: 3,
  updatedAt: "2026-01-01T00:00:00.000Z",
  components: [
    {
      name: "c",
      scaler: "spreadscaler",
      phase: "deployed",
      message: "2/2 ready",
      desired: 2,
      running: 2,
      ready: 2,
      hosts: { h: 2 },
    },
  ],
  ...o,
});

test("appRow: the stored status once it has seen the index; otherwise what the index says", () => {
  const cases: Array<
    [string, IndexSummary | undefined, AppStatus | undefined, Partial<ReturnType<typeof appRow>> | undefined]
  > = [
    ["no index: no row (deleted)", undefined, status(), undefined],
    ["current status", index(), status(), { phase: "deployed", message: "2/2 ready", ready: 2, desired: 2 }],
    ["older generation", index({ generation: 4 }), status(), { phase: "reconciling", ready: 0 }],
    ["other version", index({ deployedVersion: "v3" }), status(), { phase: "reconciling", version: "v3" }],
    [
      "undeployed, stale deployed status",
      index({ deployedVersion: null }),
      status(),
      { phase: "undeployed", message: "not deployed" },
    ],
    [
      "undeployed status",
      index({ deployedVersion: null }),
      status({ version: null, phase: "undeployed", message: "undeployed: stopping 2 instances" }),
      { phase: "undeployed", message: "undeployed: stopping 2 instances" },
    ],
    ["no status yet", index(), undefined, { phase: "reconciling", updatedAt: null }],
  ];
  for (const [what, i, s, want] of cases) {
    const row = appRow("default", "web", i, s);
    if (want === undefined) assert.equal(row, undefined, what);
    else for (const [k, v] of Object.entries(want)) assert.deepEqual(row?.[k as keyof typeof row], v, what);
  }
  const components = appRow("default", "web", index(), status())?.components ?? [];
  assert.ok(!("hosts" in components[0]!), "rows leave per-host counts to the host rows");
});

test("goneState: swept after missed heartbeats is lost, a fresh record deleted is a graceful stop", () => {
  const record = { heartbeatIntervalMs: 1_000 } as HostRecord;
  const seen = new Date(10_000);
  for (const [goneAtMs, want] of [
    [10_200, "stopped"],
    [11_900, "stopped"],
    [12_100, "lost"],
    [13_500, "lost"],
  ] as const) {
    assert.equal(goneState(record, seen, new Date(goneAtMs)), want, `gone at ${goneAtMs}`);
  }
});

test("stream items: commands and events shortened; ticks and non-objects skipped", () => {
  const t = new Date("2026-01-01T00:00:00.000Z");
  const cmd = commandItem("nadm.cmd.default.h1", 7, t, {
    hostId: "h1",
    app: "web",
    count: 2,
    reason: "spreadscaler: 2 on h1",
    workload: { key: "web.c.abc" },
  });
  assert.deepEqual(cmd, {
    stream: "command",
    seq: 7,
    at: t.toISOString(),
    lattice: "default",
    type: "command",
    app: "web",
    hostId: "h1",
    text: "h1: web.c.abc → 2 (spreadscaler: 2 on h1)",
  });
  assert.equal(commandItem("nadm.cmd.default.h1", 8, t, "nope"), undefined);
  assert.equal(eventItem("nadm.evt.default.lattice_tick", 1, t, { data: {} }), undefined);
  const lost = eventItem("nadm.evt.default.host_lost", 2, t, {
    data: { hostId: "h1", stateRevision: 9, x: { y: 1 } },
  });
  assert.equal(lost?.type, "host_lost");
  assert.equal(lost?.hostId, "h1");
  assert.equal(lost?.text, "host_lost hostId=h1");
});
