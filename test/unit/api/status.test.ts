/**
 * The status reply: the stored status once the reconciler has seen the deployed generation;
 * otherwise what hosts report. After undeploy or delete it never says fewer instances run than
 * hosts report, and every timestamp is a real one (no 1970).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { composeStatus, type RunningComponent, type StatusInput } from "../../../src/api/status.js";
import { type AppIndex, emptyIndex } from "../../../src/manifests/app-index.js";
import type { AppStatus } from "../../../src/streams/app-status.js";

const WRITTEN = new Date("2026-03-01T10:00:00.000Z");

function app(over: Partial<AppIndex> = {}): StatusInput["index"] {
  return { value: { ...emptyIndex("shop"), ...over }, writtenAt: WRITTEN };
}

function stored(over: Partial<AppStatus> = {}): AppStatus {
  return {
    name: "shop",
    version: "v1",
    phase: "deployed",
    message: "3/3 ready",
    observedGeneration: 1,
    updatedAt: "2026-03-01T09:00:00.000Z",
    components: [
      {
        name: "web",
        scaler: "spreadscaler",
        phase: "deployed",
        message: "3/3 ready",
        desired: 3,
        running: 3,
        ready: 3,
        hosts: { h1: 3 },
      },
    ],
    ...over,
  };
}

function running(n: number, reportedAt = "2026-03-01T10:00:05.000Z"): RunningComponent[] {
  return n === 0 ? [] : [{ component: "web", running: n, ready: n, hosts: { h1: n }, reportedAt }];
}

const total = (s: AppStatus | undefined) => s?.components.reduce((t, c) => t + c.running, 0);

test("status composition, case by case", () => {
  const cases: Array<{
    name: string;
    input: Omit<StatusInput, "name">;
    phase: string | undefined;
    message?: RegExp;
    running?: number;
    updatedAt?: string;
    same?: boolean;
  }> = [
    {
      name: "deployed and reconciled: the stored status as is",
      input: { index: app({ deployedVersion: "v1", generation: 1 }), stored: stored(), running: running(3) },
      phase: "deployed",
      same: true,
    },
    {
      name: "deployed, not reconciled yet: says so, with what hosts report",
      input: { index: app({ deployedVersion: "v2", generation: 2 }), stored: stored(), running: running(3) },
      phase: "reconciling",
      message:
        /^version v2 deployed; waiting for a controller.*hosts report 3 instances running.*last status: 3\/3 ready/,
      running: 3,
      updatedAt: WRITTEN.toISOString(),
    },
    {
      name: "undeployed, stored status stale, hosts still run 3",
      input: { index: app({ generation: 2 }), stored: stored(), running: running(3) },
      phase: "undeployed",
      message: /^undeployed: stopping 3 instances$/,
      running: 3,
      updatedAt: "2026-03-01T10:00:05.000Z",
    },
    {
      name: "undeployed, reconciler wrote its status, hosts still run 1",
      input: {
        index: app({ generation: 2 }),
        stored: stored({
          version: null,
          phase: "undeployed",
          message: "undeployed: stopping 3 instances",
          observedGeneration: 2,
          components: [],
        }),
        running: running(1),
      },
      phase: "undeployed",
      message: /^undeployed: stopping 1 instance$/,
      running: 1,
    },
    {
      name: "undeployed and nothing runs",
      input: {
        index: app({ generation: 2 }),
        stored: stored({ phase: "undeployed", observedGeneration: 2 }),
        running: [],
      },
      phase: "undeployed",
      message: /^undeployed$/,
      running: 0,
      updatedAt: WRITTEN.toISOString(),
    },
    {
      name: "never deployed: the time of the put, not 1970",
      input: { index: app(), stored: undefined, running: [] },
      phase: "undeployed",
      running: 0,
      updatedAt: WRITTEN.toISOString(),
    },
    {
      name: "deleted while instances stop",
      input: { index: undefined, stored: stored(), running: running(2) },
      phase: "undeployed",
      message: /^deleted: stopping 2 instances$/,
      running: 2,
    },
    {
      name: "deleted and gone",
      input: { index: undefined, stored: undefined, running: [] },
      phase: undefined,
    },
  ];
  for (const c of cases) {
    const got = composeStatus({ name: "shop", ...c.input });
    assert.equal(got?.phase, c.phase, c.name);
    if (c.same) assert.equal(got, c.input.stored, c.name);
    if (c.message) assert.match(got?.message ?? "", c.message, c.name);
    if (c.running !== undefined) assert.equal(total(got), c.running, c.name);
    if (c.updatedAt) assert.equal(got?.updatedAt, c.updatedAt, c.name);
    if (got) assert.notEqual(got.updatedAt, new Date(0).toISOString(), c.name);
  }
});
