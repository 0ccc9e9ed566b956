import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { HostState } from "../../../src/lattice/view.js";
import type { AppState } from "../../../src/reconcile/types.js";
import { spreadScaler } from "../../../src/scalers/index.js";
import { ScalerRegistry } from "../../../src/scalers/registry.js";
import {
  fixedScaler,
  host,
  keyOf,
  lines,
  manifest,
  type PendingTable,
  registryWith,
  run,
  storedApp,
  throwingScaler,
  webApp,
  workload,
} from "./builders.js";

const SPREAD_4 = `- type: spreadscaler
  properties:
    instances: 4
    spread:
      - { name: east, requirements: { zone: east }, weight: 3 }
      - { name: west, requirements: { zone: west }, weight: 1 }`;
const SPREAD_2 = SPREAD_4.replace("instances: 4", "instances: 2");

const v1 = manifest(webApp("v1", SPREAD_4));
/** Same spread, other properties: a new revision of `web`. */
const v2 = manifest(webApp("v2", SPREAD_4, "[server.js, --v2]"));
/** Same properties, fewer instances: the same revision (traits do not change it). */
const v1Small = manifest(webApp("v1-small", SPREAD_2));
const noScaler = manifest(webApp("v1", "- type: rollout\n  properties: {}"));
const daemon = manifest(webApp("v1", "- type: daemonscaler"));
/** v1 plus a `worker` component that the next version (v2 = `v1` with another version) drops. */
const withWorker = manifest(
  `${webApp("v0", SPREAD_4)}    - name: worker
      type: process
      properties: { command: node, args: [worker.js] }
      traits: [{ type: daemonscaler }]
`,
);
const [web1, web2, worker] = [keyOf(v1, "web"), keyOf(v2, "web"), keyOf(withWorker, "worker")];

const custom = registryWith(throwingScaler("thrower", "boom"), fixedScaler("ghost", { e1: 1, nowhere: 2 }));
const thrower = manifest(webApp("v1", "- type: thrower"), custom.catalog);
const ghost = manifest(webApp("v1", "- type: ghost"), custom.catalog);

/** The 3-host lattice, each host reporting `counts[i]` instances of `key` (none when undefined). */
function lattice(key: string, counts: ReadonlyArray<number | undefined> = []): HostState[] {
  const specs: Array<[string, string, number]> = [
    ["e1", "zone=east", 3],
    ["e2", "zone=east", 5],
    ["w1", "zone=west", 7],
  ];
  return specs.map(([id, labels, rev], i) => {
    const n = counts[i];
    return host(id, labels, n === undefined ? [] : [workload(key, { desired: n })], rev);
  });
}

const converged = lattice(web1, [2, 1, 1]);

interface Row {
  name: string;
  stored: AppState | undefined;
  hosts: HostState[];
  pending?: PendingTable;
  registry?: ScalerRegistry;
  /** Hosts that missed a heartbeat. */
  suspect?: string[];
  want: string[];
  reasons?: string[];
}

const rows: Row[] = [
  {
    name: "a suspect host gets nothing new: e1 missed a heartbeat, east's 3 go to e2",
    stored: storedApp(v1),
    hosts: lattice(web1),
    suspect: ["e1"],
    want: [`e2 ${web1} ×3 @5`, `w1 ${web1} ×1 @7`],
  },
  {
    name: "a suspect host keeps what it runs (not yet lost): nothing to send",
    stored: storedApp(v1),
    hosts: converged,
    suspect: ["e1"],
    want: [],
  },
  {
    name: "a suspect host may shed instances (scale down) but never gains",
    stored: storedApp([v1, v1Small], "v1-small"),
    hosts: converged,
    suspect: ["e1", "w1"],
    want: [`e1 ${web1} ×1 @3`, `w1 ${web1} ×0 @7`],
  },
  {
    name: "every host of a zone suspect: the zone waits instead of landing on them",
    stored: storedApp(v1),
    hosts: lattice(web1),
    suspect: ["w1"],
    want: [`e1 ${web1} ×2 @3`, `e2 ${web1} ×1 @5`],
  },
  {
    name: "fresh deploy: 4 instances east:3 west:1 over e1, e2, w1",
    stored: storedApp(v1),
    hosts: lattice(web1),
    want: [`e1 ${web1} ×2 @3`, `e2 ${web1} ×1 @5`, `w1 ${web1} ×1 @7`],
    reasons: ["spreadscaler: 2 on e1", "spreadscaler: 1 on e2", "spreadscaler: 1 on w1"],
  },
  {
    name: "hosts report desired = target: nothing to send",
    stored: storedApp(v1),
    hosts: converged,
    want: [],
  },
  {
    name: "targets still in flight (rule 6): nothing to send",
    stored: storedApp(v1),
    hosts: lattice(web1),
    pending: {
      [`e1 ${web1}`]: { id: "c1", count: 2 },
      [`e2 ${web1}`]: { id: "c2", count: 1 },
      [`w1 ${web1}`]: { id: "c3", count: 1 },
    },
    want: [],
  },
  {
    name: "a pending command wins over the host's stale report",
    stored: storedApp(v1),
    hosts: lattice(web1, [0, 0, 0]),
    pending: { [`e1 ${web1}`]: { id: "c1", count: 2 } },
    want: [`e2 ${web1} ×1 @5`, `w1 ${web1} ×1 @7`],
  },
  {
    name: "pending with another count: command the target",
    stored: storedApp(v1),
    hosts: converged,
    pending: { [`e1 ${web1}`]: { id: "c1", count: 1 } },
    want: [`e1 ${web1} ×2 @3`],
  },
  {
    name: "a host told fewer than the target gets the absolute count",
    stored: storedApp(v1),
    hosts: lattice(web1, [1, 1, 1]),
    want: [`e1 ${web1} ×2 @3`],
  },
  {
    // Default rollout 25 %/25 % of 4: one old instance may stop and one new may start.
    name: "new version: the rollout's first step, not the old revision to zero at once",
    stored: storedApp([v1, v2], "v2"),
    hosts: converged,
    want: [`e1 ${web1} ×1 @3`, `e1 ${web2} ×1 @3`],
    reasons: ["rollout to v2: old revision 2 → 1 on e1", "rollout to v2: new revision 0 → 1 on e1"],
  },
  {
    name: "old revision already told 0 (still stopping): not told again",
    stored: storedApp([v1, v2], "v2"),
    hosts: converged.map((h) =>
      host(h.hostId, `zone=${h.record.labels.zone}`, [
        workload(web1, { desired: 0, running: 1 }),
        workload(web2, { desired: h.hostId === "e1" ? 2 : 1 }),
      ]),
    ),
    want: [],
  },
  {
    name: "scale down in place: same revision, w1 to zero",
    stored: storedApp([v1, v1Small], "v1-small"),
    hosts: converged,
    want: [`e1 ${web1} ×1 @3`, `w1 ${web1} ×0 @7`],
    reasons: ["spreadscaler: 1 on e1", "spreadscaler: none on w1"],
  },
  {
    name: "daemonscaler: one on every host",
    stored: storedApp(daemon),
    hosts: lattice(keyOf(daemon, "web")),
    want: ["e1", "e2", "w1"].map((h, i) => `${h} ${keyOf(daemon, "web")} ×1 @${[3, 5, 7][i]}`),
  },
  {
    name: "a component removed by the new version is stopped",
    stored: storedApp([withWorker, v1], "v1"),
    hosts: converged.map((h) =>
      host(h.hostId, `zone=${h.record.labels.zone}`, [
        ...Object.entries(h.record.inventory),
        workload(worker, { desired: 1 }),
      ]),
    ),
    want: [`e1 ${worker} ×0 @1`, `e2 ${worker} ×0 @1`, `w1 ${worker} ×0 @1`],
    reasons: ["component removed", "component removed", "component removed"],
  },
  {
    name: "undeployed: every workload to zero",
    stored: storedApp(v1, null),
    hosts: converged,
    want: [`e1 ${web1} ×0 @3`, `e2 ${web1} ×0 @5`, `w1 ${web1} ×0 @7`],
    reasons: ["app not deployed", "app not deployed", "app not deployed"],
  },
  {
    name: "deleted: every workload to zero",
    stored: undefined,
    hosts: converged,
    want: [`e1 ${web1} ×0 @3`, `e2 ${web1} ×0 @5`, `w1 ${web1} ×0 @7`],
  },
  {
    name: "deleted and nothing left: nothing to send",
    stored: undefined,
    hosts: lattice(web1),
    want: [],
  },
  {
    name: "paused: nothing is sent, even when far from the target",
    stored: storedApp(v1, "v1", true),
    hosts: lattice(web1, [0, 3, 0]),
    want: [],
  },
  {
    name: "host e2 lost: its instance moves to e1",
    stored: storedApp(v1),
    hosts: converged.filter((h) => h.hostId !== "e2"),
    want: [`e1 ${web1} ×3 @3`],
  },
  {
    name: "component without a scaler trait, nothing running: nothing to send",
    stored: storedApp(noScaler),
    hosts: lattice(web1),
    want: [],
  },
  {
    name: "component without a scaler trait, instances running: stopped",
    stored: storedApp(noScaler),
    hosts: lattice(keyOf(noScaler, "web"), [1]),
    want: [`e1 ${keyOf(noScaler, "web")} ×0 @3`],
    reasons: ["no scaler: none on e1"],
  },
  {
    name: "scaler not loaded on this replica: its workloads are left alone",
    stored: storedApp(daemon),
    hosts: lattice(keyOf(daemon, "web"), [1, 1, 0]),
    registry: new ScalerRegistry([spreadScaler]),
    want: [],
  },
  {
    name: "scaler throws: its workloads are left alone",
    stored: storedApp(thrower),
    hosts: lattice(keyOf(thrower, "web"), [1, 1]),
    registry: custom.registry,
    want: [],
  },
  {
    name: "a placement on a host the scaler was not given fails the component: nothing is sent",
    stored: storedApp(ghost),
    hosts: lattice(keyOf(ghost, "web")),
    registry: custom.registry,
    want: [],
  },
];

describe("plan(): commands", () => {
  for (const row of rows) {
    test(row.name, () => {
      const p = run({
        stored: row.stored,
        hosts: row.hosts,
        pendingTable: row.pending,
        registry: row.registry,
        suspect: row.suspect && new Set(row.suspect),
      });
      assert.deepEqual(lines(p), row.want);
      if (row.reasons)
        assert.deepEqual(
          p.commands.map((c) => c.reason),
          row.reasons,
        );
    });
  }
});

describe("plan(): command contents", () => {
  test("new-revision commands carry the component's spec; stops carry the old key and rev", () => {
    const p = run({ stored: storedApp([v1, v2], "v2"), hosts: converged });
    const start = p.commands.find((c) => c.workload.key === web2)!;
    assert.equal(start.component, "web");
    assert.equal(start.workload.type, "process");
    assert.deepEqual(start.workload.spec.args, ["server.js", "--v2"]);
    const stop = p.commands.find((c) => c.workload.key === web1)!;
    assert.equal(stop.workload.rev, web1.split(".")[2]);
    assert.equal(stop.component, "web");
  });
});

describe("plan(): determinism", () => {
  const cases: Array<{ name: string; stored: AppState; hosts: HostState[] }> = [
    { name: "fresh deploy", stored: storedApp(v1), hosts: lattice(web1) },
    { name: "new version", stored: storedApp([v1, v2], "v2"), hosts: converged },
    { name: "host lost", stored: storedApp(v1), hosts: converged.slice(0, 1).concat(converged.slice(2)) },
  ];
  for (const c of cases) {
    test(`${c.name}: hosts in another order give identical commands`, () => {
      const forward = run({ stored: c.stored, hosts: c.hosts });
      const backward = run({ stored: c.stored, hosts: [...c.hosts].reverse() });
      assert.deepEqual(backward.commands, forward.commands);
      // Byte for byte: the status writer compares JSON, so key order would count as a change.
      assert.equal(JSON.stringify(backward.status), JSON.stringify(forward.status));
    });
  }
});

test("different apps' instances spread over the fleet instead of all taking the first hosts", () => {
  const hosts = ["h1", "h2", "h3", "h4", "h5", "h6"].map((id) => host(id, "", [], 5));
  const used = new Set<string>();
  for (const name of ["shop", "blog", "wiki", "chat", "mail", "feed"]) {
    const m = manifest(
      webApp("v1", "- type: spreadscaler\n  properties: { instances: 1 }").replace(
        "name: shop",
        `name: ${name}`,
      ),
    );
    for (const c of run({ app: name, stored: storedApp(m), hosts }).commands) used.add(c.hostId);
  }
  assert.ok(used.size >= 3, `6 one-instance apps used only ${[...used]}`);
});
