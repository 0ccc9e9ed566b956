/**
 * When a resync may skip an app's re-plan (resync-skip.ts): the identities of the plan's inputs
 * stay the same exactly while nothing the plan reads has changed, and a plan is remembered only
 * when it changed nothing and time cannot move it. Every row whose inputs compare equal is also
 * planned for real, to show that skipping it would have hidden nothing.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { z } from "zod";
import { traitCatalogFor } from "../../../src/catalog.js";
import type { HostState } from "../../../src/lattice/view.js";
import { type Plan, type PlanInput, plan } from "../../../src/reconcile/plan.js";
import type { RefusalSource } from "../../../src/reconcile/refusals.js";
import { inputsOf, type OtherInputs, ResyncSkip, settles } from "../../../src/reconcile/resync-skip.js";
import { sameStatus } from "../../../src/reconcile/status-writer.js";
import { builtinScalers, type ExternalScaler, ScalerRegistry } from "../../../src/scalers/index.js";
import type { AppStatus } from "../../../src/streams/app-status.js";
import {
  fixedScaler,
  host,
  input,
  keyOf,
  manifest,
  NOW,
  registryWith,
  storedApp,
  webApp,
  workload,
  workloadsOf,
} from "./builders.js";

const TIMEOUT = 15_000;
const SPREAD_2 = "- type: spreadscaler\n  properties:\n    instances: 2";
const v1 = manifest(webApp("v1", SPREAD_2));
const web = keyOf(v1, "web");
const noRefusals: RefusalSource = {
  get: () => undefined,
  policy: { baseMs: 1_000, maxMs: 60_000, maxAgeMs: 3_600_000 },
};

/** A settled lattice: one instance of `web` on each of e1 and e2, as the scaler wants. */
function settledInput(): PlanInput {
  const hosts = [
    host("e1", "zone=east", [workload(web, { desired: 1 })], 3),
    host("e2", "zone=east", [workload(web, { desired: 1 })], 4),
  ];
  const base = input({ stored: storedApp(v1), hosts, suspect: new Set(), refusals: noRefusals });
  const status = plan(base).status ?? undefined;
  return { ...base, previous: status };
}

const base = settledInput();
const other: OtherInputs = { refusalsRevision: 10, lastIssuedAt: undefined, inflightTimeoutMs: TIMEOUT };

type Record = HostState["record"];

/** `b.hosts[i]`'s record rewritten by `change` (a new record object, as a KV write makes), in a new hosts list. */
function rewrite(b: PlanInput, i: number, change: (r: Record) => Partial<Record>): Partial<PlanInput> {
  const hosts = b.hosts.slice();
  const h = hosts[i]!;
  hosts[i] = { ...h, revision: h.revision + 100, record: { ...h.record, ...change(h.record) } };
  return { hosts, hostsById: new Map(hosts.map((x) => [x.hostId, x])), workloads: workloadsOf(hosts) };
}

/** The same, but like the lattice view on a write that keeps labels: the list object stays. */
function inPlace(b: PlanInput, i: number, change: (r: Record) => Partial<Record>): Partial<PlanInput> {
  const { hosts, ...rest } = rewrite(b, i, change);
  const list = b.hosts as HostState[];
  list.splice(0, list.length, ...(hosts ?? []));
  return { ...rest, hosts: list };
}

const external: ExternalScaler = {
  type: "ext",
  version: "1.0.0",
  kind: "test",
  properties: z.object({}),
  evaluate: async () => ({ result: { placements: [], status: { phase: "ok", message: "" } } }),
};
const withExternal = new ScalerRegistry(builtinScalers);
withExternal.registerExternal(external);
const custom = registryWith(fixedScaler("fixed", { e1: 1, e2: 1 }));

interface Row {
  name: string;
  /** The change, made to a fresh settled input (which it may modify in place). */
  input: (b: PlanInput) => Partial<PlanInput>;
  other?: Partial<OtherInputs>;
  /** "same": a resync may skip; "changed": it re-plans; "never": this input is never skipped. */
  want: "same" | "changed" | "never";
}

const rows: Row[] = [
  { name: "nothing changed, an hour later", input: () => ({ now: NOW + 3_600_000 }), want: "same" },
  {
    name: "a heartbeat: a new record with the same labels and inventory objects",
    input: (b) =>
      inPlace(b, 0, (r) => ({ updatedAt: "2030-01-01T00:00:05.000Z", heartbeatSeq: r.heartbeatSeq + 1 })),
    want: "same",
  },
  {
    name: "a command of the app issued past the in-flight timeout",
    input: () => ({}),
    other: { lastIssuedAt: NOW - TIMEOUT },
    want: "same",
  },
  {
    name: "an instance gone from a host (its report rewritten)",
    input: (b) =>
      rewrite(b, 0, (r) => ({ inventory: { [web]: { ...r.inventory[web]!, running: 0, ready: 0 } } })),
    want: "changed",
  },
  {
    name: "the workload gone from a host's report",
    input: (b) => rewrite(b, 1, () => ({ inventory: {} })),
    want: "changed",
  },
  {
    name: "an equal report in a new object (re-parsed): re-planned, to be safe",
    input: (b) => rewrite(b, 0, (r) => ({ inventory: { [web]: { ...r.inventory[web]! } } })),
    want: "changed",
  },
  {
    name: "a host restarted (new startedAt, same inventory object)",
    input: (b) => inPlace(b, 0, () => ({ startedAt: "2030-01-01T00:01:00.000Z" })),
    want: "changed",
  },
  {
    name: "a host joined (a new hosts list)",
    input: (b) => ({ hosts: [...b.hosts, host("e3", "zone=east")] }),
    want: "changed",
  },
  { name: "a host became suspect", input: () => ({ suspect: new Set(["e2"]) }), want: "changed" },
  {
    name: "a new generation of the app (e.g. paused and resumed)",
    input: (b) => ({ stored: { ...b.stored!, generation: 2 } }),
    want: "changed",
  },
  { name: "the app paused", input: (b) => ({ stored: { ...b.stored!, paused: true } }), want: "changed" },
  {
    name: "another deployed manifest",
    input: () => ({ stored: storedApp(manifest(webApp("v1", SPREAD_2.replace("2", "3")))) }),
    want: "changed",
  },
  { name: "the app deleted", input: () => ({ stored: undefined }), want: "changed" },
  {
    name: "the stored status rewritten (another replica)",
    input: (b) => ({ previous: { ...b.previous! } }),
    want: "changed",
  },
  {
    name: "a refusal stored or removed",
    input: () => ({}),
    other: { refusalsRevision: 11 },
    want: "changed",
  },
  {
    name: "replicas now disagree on the scaler's version",
    input: () => ({ scalerWarnings: new Map([["spreadscaler", "1.0 on 1, 1.1 on 2"]]) }),
    want: "changed",
  },
  {
    name: "a command of the app still within the in-flight timeout",
    input: () => ({}),
    other: { lastIssuedAt: NOW - TIMEOUT + 1 },
    want: "never",
  },
  {
    name: "an external scaler (worker thread or remote: it may answer differently)",
    input: () => {
      const m = manifest(webApp("v1", "- type: ext"), traitCatalogFor(withExternal));
      return { stored: storedApp(m), registry: withExternal };
    },
    want: "never",
  },
  {
    name: "an in-process custom scaler (it is given `now`)",
    input: () => ({
      stored: storedApp(manifest(webApp("v1", "- type: fixed"), custom.catalog)),
      registry: custom.registry,
    }),
    want: "never",
  },
];

function equivalent(a: Plan, b: Plan): boolean {
  return a.commands.length === 0 && b.commands.length === 0 && sameStatus(a.status ?? undefined, b.status);
}

describe("inputsOf: what a resync compares", () => {
  test("a settled input has inputs to compare", () => assert.ok(inputsOf(base, other)));
  for (const row of rows) {
    test(row.name, () => {
      const b = settledInput();
      const [before, planned] = [inputsOf(b, other), plan(b)];
      const changed = { ...b, ...row.input(b) };
      const after = inputsOf(changed, { ...other, ...row.other });
      if (row.want === "never") assert.equal(after, undefined);
      else if (row.want === "changed") assert.notEqual(after, before);
      else {
        assert.equal(after, before);
        // Skipping is sound only if planning would have changed nothing either.
        assert.ok(equivalent(planned, plan(changed)), "equal inputs, different plan");
      }
    });
  }
});

describe("settles: which plans are remembered", () => {
  const p = plan(base);
  const prev = base.previous;
  const deployed = p.status as AppStatus;
  const cases: Array<[string, Plan, AppStatus | undefined, boolean]> = [
    ["no command, the stored status, deployed", p, prev, true],
    ["a status to write (none stored yet)", p, undefined, false],
    ["a status to write (another one stored)", p, { ...deployed, message: "1/2 ready" }, false],
    ["a command", { ...p, commands: [{ ...({} as Plan["commands"][number]), hostId: "e1" }] }, prev, false],
    ["reconciling", { ...p, status: { ...deployed, phase: "reconciling" } }, prev, false],
    ["waiting", { ...p, status: { ...deployed, phase: "waiting" } }, prev, false],
    ["failed", { ...p, status: { ...deployed, phase: "failed" } }, prev, false],
    ["paused", { ...p, status: { ...deployed, phase: "paused" } }, prev, false],
    [
      "a rollout record",
      {
        ...p,
        status: {
          ...deployed,
          components: deployed.components.map((c) => ({
            ...c,
            rollout: {
              from: "v0",
              to: "v1",
              key: web,
              readyNew: 2,
              availableNew: 2,
              available: 2,
              active: null,
              progressAt: "2030-01-01T00:00:00.000Z",
              deadlineAt: "2030-01-01T00:10:00.000Z",
            },
          })),
        },
      },
      prev,
      false,
    ],
    ["a revert", { ...p, revert: { app: "shop", from: "v1", to: "v0", reason: "x" } }, prev, false],
    ["an external call", { ...p, calls: [] }, prev, false],
    ["deleted (no status)", { ...p, status: null }, undefined, false],
  ];
  for (const [name, planned, previous, want] of cases) {
    test(name, () => assert.equal(settles(planned, previous), want));
  }
});

test("ResyncSkip remembers a settled plan's inputs, and only those", () => {
  const skip = new ResyncSkip();
  const p = plan(base);
  const inputs = inputsOf(base, other);
  assert.equal(skip.unchanged("default.shop", inputs), false, "never planned");
  skip.planned("default.shop", inputs, p, base.previous, true);
  assert.equal(skip.unchanged("default.shop", inputs), false, "it wrote the status");
  skip.planned("default.shop", inputs, p, base.previous, false);
  assert.equal(skip.unchanged("default.shop", inputs), true);
  assert.equal(skip.unchanged("default.shop", undefined), false, "inputs that cannot be compared");
  assert.equal(skip.unchanged("default.other", inputs), false, "another app");
  skip.forget("default.shop");
  assert.equal(skip.unchanged("default.shop", inputs), false, "forgotten before a plan");
  assert.equal(skip.size, 0);
});
