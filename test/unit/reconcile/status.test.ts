import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { HostState } from "../../../src/lattice/view.js";
import type { AppState } from "../../../src/reconcile/types.js";
import type { ScalerRegistry } from "../../../src/scalers/index.js";
import { spreadScaler } from "../../../src/scalers/index.js";
import { ScalerRegistry as Registry } from "../../../src/scalers/registry.js";
import { PHASES, type Phase, worstPhase } from "../../../src/streams/app-status.js";
import {
  host,
  keyOf,
  manifest,
  type PendingTable,
  registryWith,
  run,
  storedApp,
  throwingScaler,
  webApp,
  workload,
} from "./builders.js";

const spread = (instances: number, groups = "") =>
  `- type: spreadscaler\n  properties:\n    instances: ${instances}${groups}`;
const EAST_WEST = `
    spread:
      - { name: east, requirements: { zone: east }, weight: 3 }
      - { name: west, requirements: { zone: west }, weight: 1 }`;

const zoned = manifest(webApp("v1", spread(4, EAST_WEST)));
const five = manifest(webApp("v1", spread(5)));
const zonedV2 = manifest(webApp("v2", spread(4, EAST_WEST), "[server.js, --v2]"));
const daemon = manifest(webApp("v1", "- type: daemonscaler"));
const noScaler = manifest(webApp("v1", "- type: rollout\n  properties: {}"));
const custom = registryWith(throwingScaler("thrower", "boom"));
const thrower = manifest(webApp("v1", "- type: thrower"), custom.catalog);
const [z1, z2, k5] = [keyOf(zoned, "web"), keyOf(zonedV2, "web"), keyOf(five, "web")];

/** `web` and `worker`: two components so messages must name them. */
const twoComponents = manifest(`
apiVersion: nadm.dev/v1
kind: Application
metadata: { name: shop, annotations: { version: v1 } }
spec:
  components:
    - name: web
      type: process
      properties: { command: node, args: [web.js] }
      traits: [{ type: spreadscaler, properties: { instances: 2, spread: [{ name: west, requirements: { zone: west } }] } }]
    - name: worker
      type: process
      properties: { command: node, args: [worker.js] }
      traits: [{ type: spreadscaler, properties: { instances: 1 } }]
`);
const [webKey, workerKey] = [keyOf(twoComponents, "web"), keyOf(twoComponents, "worker")];

const east = (id: string, ...inv: ReturnType<typeof workload>[]) => host(id, "zone=east", inv);
const west = (id: string, ...inv: ReturnType<typeof workload>[]) => host(id, "zone=west", inv);
const zonedConverged = [
  east("e1", workload(z1, { desired: 2 })),
  east("e2", workload(z1, { desired: 1 })),
  west("w1", workload(z1, { desired: 1 })),
];

interface Row {
  name: string;
  stored: AppState | undefined;
  hosts: HostState[];
  pending?: PendingTable;
  registry?: ScalerRegistry;
  cause?: string;
  /** null: the status is deleted. */
  phase: Phase | null;
  /** The app message exactly, or fragments it must contain. */
  message?: string | string[];
  components?: Record<string, Phase>;
}

const rows: Row[] = [
  {
    name: "no hosts at all",
    stored: storedApp(zoned),
    hosts: [],
    phase: "waiting",
    message: "no hosts in lattice",
  },
  {
    name: "a spread group no host matches",
    stored: storedApp(zoned),
    hosts: [east("e1"), east("e2")],
    phase: "failed",
    message: ['spread group "west"', "zone=west", "0/4 ready"],
  },
  {
    name: "crash loop: restarts >= 3, an instance in backoff, not all ready",
    stored: storedApp(zoned),
    hosts: [
      east(
        "e1",
        workload(z1, {
          desired: 2,
          running: 1,
          failed: 1,
          restarts: 3,
          lastError: "exited with code 3: boom",
        }),
      ),
      east("e2", workload(z1, { desired: 1 })),
      west("w1", workload(z1, { desired: 1 })),
    ],
    phase: "failed",
    message: "crash-looping on e1 after 3 restarts: exited with code 3: boom (3/4 ready)",
  },
  {
    name: "old restarts but nothing in backoff (scaling up): not a crash loop",
    stored: storedApp(zoned),
    hosts: [
      east(
        "e1",
        workload(z1, {
          desired: 2,
          running: 1,
          ready: 1,
          restarts: 7,
          lastError: "exited with code 3: boom",
        }),
      ),
      east("e2", workload(z1, { desired: 1 })),
      west("w1", workload(z1, { desired: 1 })),
    ],
    phase: "reconciling",
    message: "3/4 ready; waiting for e1 to start 1 instance",
  },
  {
    name: "restarts >= 3 but fully ready again: not a crash loop",
    stored: storedApp(zoned),
    hosts: [
      east("e1", workload(z1, { desired: 2, restarts: 5, lastError: "exited with code 3: boom" })),
      east("e2", workload(z1, { desired: 1 })),
      west("w1", workload(z1, { desired: 1 })),
    ],
    phase: "deployed",
    message: "4/4 ready",
  },
  {
    name: "instances starting",
    stored: storedApp(five),
    hosts: [
      host("h1", "", [workload(k5, { desired: 3, running: 3, ready: 1 })]),
      host("h2", "", [workload(k5, { desired: 2, running: 1, ready: 1 })]),
    ],
    phase: "reconciling",
    message: "2/5 ready; 2 starting; waiting for h2 to start 1 instance",
  },
  {
    name: "commands about to be sent",
    stored: storedApp(zoned),
    hosts: [east("e1"), east("e2"), west("w1")],
    phase: "reconciling",
    message: "0/4 ready; sending commands to e1, e2, w1",
  },
  {
    name: "everything ready, nothing pending",
    stored: storedApp(zoned),
    hosts: zonedConverged,
    phase: "deployed",
    message: "4/4 ready",
  },
  {
    name: "in-flight commands equal to what hosts took: still deployed",
    stored: storedApp(zoned),
    hosts: zonedConverged,
    pending: { [`w1 ${z1}`]: { id: "c1", count: 1 }, [`e1 ${z1}`]: { id: "c0", count: 2 } },
    phase: "deployed",
  },
  {
    name: "ready, but the host has not taken the in-flight count yet",
    stored: storedApp(zoned),
    hosts: [
      east("e1", workload(z1, { desired: 3 })),
      east("e2", workload(z1, { desired: 1 })),
      west("w1", workload(z1, { desired: 1, running: 0 })),
    ],
    pending: { [`e1 ${z1}`]: { id: "c1", count: 2 }, [`w1 ${z1}`]: { id: "c2", count: 1 } },
    phase: "reconciling",
    message: ["4/4 ready"],
  },
  {
    name: "too many running",
    stored: storedApp(zoned),
    hosts: [
      east("e1", workload(z1, { desired: 2, running: 3, ready: 2 })),
      east("e2", workload(z1, { desired: 1 })),
      west("w1", workload(z1, { desired: 1 })),
    ],
    phase: "reconciling",
    message: "4/4 ready; stopping 1 instance",
  },
  {
    name: "old revision still running: the rollout is not over",
    stored: storedApp([zoned, zonedV2], "v2"),
    hosts: [
      east("e1", workload(z2, { desired: 2 }), workload(z1, { desired: 0, running: 1 })),
      east("e2", workload(z2, { desired: 1 })),
      west("w1", workload(z2, { desired: 1 })),
    ],
    phase: "reconciling",
    message:
      "rolling older revision → v2: 4/4 on v2, 4/4 available; waiting for e1 to stop 1 instance of an older revision",
  },
  {
    name: "the cause is told",
    stored: storedApp(zoned),
    hosts: zonedConverged.slice(0, 2).concat(west("w1")),
    cause: "host w2 was lost",
    phase: "reconciling",
    message: "3/4 ready; sending a command to w1 — after host w2 was lost",
  },
  {
    name: "paused",
    stored: storedApp(zoned, "v1", true),
    hosts: [east("e1"), east("e2"), west("w1")],
    phase: "paused",
    message: "paused: 0/4 ready",
  },
  {
    name: "paused but failing: failed wins",
    stored: storedApp(zoned, "v1", true),
    hosts: [east("e1")],
    phase: "failed",
  },
  {
    name: "undeployed with instances left",
    stored: storedApp(zoned, null),
    hosts: zonedConverged,
    phase: "undeployed",
    message: "undeployed: stopping 4 instances",
  },
  {
    name: "undeployed, hosts still told to run instances that have all exited",
    stored: storedApp(zoned, null),
    hosts: [east("e1", workload(z1, { desired: 2, running: 0 }))],
    phase: "undeployed",
    message: "undeployed: telling hosts to stop",
  },
  {
    name: "undeployed and nothing left",
    stored: storedApp(zoned, null),
    hosts: [east("e1")],
    phase: "undeployed",
    message: "not deployed",
  },
  {
    name: "deleted with instances left",
    stored: undefined,
    hosts: zonedConverged,
    phase: "undeployed",
    message: "deleted: stopping 4 instances",
  },
  {
    name: "deleted and nothing left: status removed",
    stored: undefined,
    hosts: [east("e1")],
    phase: null,
  },
  {
    name: "scaler not loaded on this replica",
    stored: storedApp(daemon),
    hosts: [east("e1", workload(keyOf(daemon, "web"), { desired: 1 }))],
    registry: new Registry([spreadScaler]),
    phase: "failed",
    message: ['scaler "daemonscaler"', "not loaded"],
  },
  {
    name: "scaler throws",
    stored: storedApp(thrower),
    hosts: [east("e1")],
    registry: custom.registry,
    phase: "failed",
    message: "scaler thrower failed: boom (0/0 ready)",
  },
  {
    name: "component without a scaler: nothing to run is deployed",
    stored: storedApp(noScaler),
    hosts: [east("e1")],
    phase: "deployed",
    message: "0/0 ready",
  },
  {
    name: "two components: the app takes the worst and names the culprit",
    stored: storedApp(twoComponents),
    hosts: [east("e1", workload(workerKey, { desired: 1 }))],
    phase: "failed",
    message: 'web: no host matches zone=west (spread group "west") (0/2 ready)',
    components: { web: "failed", worker: "deployed" },
  },
  {
    name: "two components reconciling: both named",
    stored: storedApp(twoComponents),
    hosts: [west("w1"), east("e1")],
    phase: "reconciling",
    message: "web: 0/2 ready; sending a command to w1; worker: 0/1 ready; sending a command to w1",
    components: { web: "reconciling", worker: "reconciling" },
  },
  {
    name: "two components deployed",
    stored: storedApp(twoComponents),
    hosts: [west("w1", workload(webKey, { desired: 2 }), workload(workerKey, { desired: 1 }))],
    phase: "deployed",
    message: "all 2 components deployed (3 instances ready)",
    components: { web: "deployed", worker: "deployed" },
  },
];

describe("plan(): status", () => {
  for (const row of rows) {
    test(row.name, () => {
      const { status } = run({
        stored: row.stored,
        hosts: row.hosts,
        pendingTable: row.pending,
        registry: row.registry,
        cause: row.cause,
      });
      if (row.phase === null) return assert.equal(status, null);
      assert.ok(status, "expected a status");
      assert.equal(status.phase, row.phase, status.message);
      if (typeof row.message === "string") assert.equal(status.message, row.message);
      for (const part of Array.isArray(row.message) ? row.message : []) {
        assert.ok(status.message.includes(part), `"${status.message}" should mention ${part}`);
      }
      if (row.components) {
        assert.deepEqual(Object.fromEntries(status.components.map((c) => [c.name, c.phase])), row.components);
      }
    });
  }

  test("component counts and per-host instances", () => {
    const { status } = run({
      stored: storedApp(five),
      hosts: rows.find((r) => r.name === "instances starting")!.hosts,
    });
    assert.deepEqual(status?.components, [
      {
        name: "web",
        scaler: "spreadscaler",
        phase: "reconciling",
        message: "2/5 ready; 2 starting; waiting for h2 to start 1 instance",
        desired: 5,
        running: 4,
        ready: 2,
        hosts: { h1: 3, h2: 1 },
      },
    ]);
    assert.equal(status?.version, "v1");
    assert.equal(status?.observedGeneration, 1);
  });
});

describe("worstPhase: failed > waiting > paused > reconciling > deployed", () => {
  const cases: Array<[Phase[], Phase]> = [
    [["deployed", "reconciling"], "reconciling"],
    [["reconciling", "paused"], "paused"],
    [["paused", "waiting", "deployed"], "waiting"],
    [["waiting", "failed", "reconciling"], "failed"],
    [["deployed", "deployed"], "deployed"],
    [[...PHASES], "failed"],
  ];
  for (const [phases, want] of cases) {
    test(`${phases.join(", ")} → ${want}`, () => {
      assert.equal(worstPhase(phases), want);
      assert.equal(worstPhase([...phases].reverse()), want);
    });
  }
});
