/**
 * Tiny builders so reconcile test tables stay data: hosts with their inventory, stored apps from
 * manifest text, a plan input with defaults, and commands rendered as one-line strings.
 */
import { z } from "zod";
import { builtinTraitCatalog, traitCatalogFor } from "../../../src/catalog.js";
import type { HostState, WorkloadOnHost } from "../../../src/lattice/view.js";
import { type Manifest, parseManifestText, type TraitCatalog } from "../../../src/manifests/index.js";
import { workloadSpecOf } from "../../../src/reconcile/desired.js";
import { type Plan, type PlanInput, type PlannedCommand, plan } from "../../../src/reconcile/plan.js";
import type { AppState } from "../../../src/reconcile/types.js";
import { builtinScalers, defineScaler, type Scaler, ScalerRegistry } from "../../../src/scalers/index.js";
import type { WorkloadInventory } from "../../../src/streams/host-record.js";

export const LATTICE = "default";
export const APP = "shop";
export const NOW = Date.parse("2030-01-01T00:00:00.000Z");

/** Counts of one workload on one host; running defaults to desired, ready to running. */
export interface Counts {
  desired: number;
  running?: number;
  ready?: number;
  restarts?: number;
  /** Instances down in their restart backoff. */
  failed?: number;
  lastError?: string | null;
  lastCommandId?: string | null;
}

/** `workload("shop.web.abc", {desired: 2})`: the inventory entry a host reports for a workload key. */
export function workload(key: string, counts: Counts): [string, WorkloadInventory] {
  const [app = "", component = "", rev = ""] = key.split(".");
  const running = counts.running ?? counts.desired;
  const ready = counts.ready ?? running;
  return [
    key,
    {
      app,
      component,
      rev,
      desired: counts.desired,
      running,
      ready,
      failed: counts.failed ?? 0,
      restarts: counts.restarts ?? 0,
      lastError: counts.lastError ?? null,
      lastCommandId: counts.lastCommandId ?? null,
    },
  ];
}

/** `host("e1", "zone=east", [workload(...)], 7)`: labels as a selector string, KV revision last. */
export function host(
  hostId: string,
  labels = "",
  inventory: ReadonlyArray<[string, WorkloadInventory]> = [],
  revision = 1,
  opts: { seenAt?: number; heartbeatIntervalMs?: number } = {},
): HostState {
  const pairs = labels === "" ? [] : labels.split(",").map((p) => p.split("=") as [string, string]);
  const seenAt = new Date(opts.seenAt ?? NOW);
  return {
    hostId,
    lattice: LATTICE,
    revision,
    seenAt,
    record: {
      hostId,
      lattice: LATTICE,
      labels: Object.fromEntries(pairs),
      driver: "sim",
      version: "test",
      startedAt: seenAt.toISOString(),
      updatedAt: seenAt.toISOString(),
      heartbeatIntervalMs: opts.heartbeatIntervalMs ?? 1000,
      heartbeatSeq: 0,
      inventory: Object.fromEntries(inventory),
    },
  };
}

/** Every workload of `app` on `hosts`, as `LatticeView.workloadsOf` would return them. */
export function workloadsOf(hosts: readonly HostState[], app = APP): WorkloadOnHost[] {
  return hosts.flatMap((h) =>
    Object.entries(h.record.inventory)
      .filter(([, inv]) => inv.app === app)
      .map(([key, inventory]) => ({ host: h, key, inventory })),
  );
}

/** A manifest from YAML/JSON text or a plain object, validated like `app put` does. */
export function manifest(
  source: string | Record<string, unknown>,
  catalog: TraitCatalog = builtinTraitCatalog(),
): Manifest {
  return parseManifestText(typeof source === "string" ? source : JSON.stringify(source), catalog);
}

/**
 * A stored app holding `manifests` (text, objects or parsed), deploying `deployedVersion`
 * (the last one by default; null: undeployed).
 */
export function storedApp(
  manifests: ReadonlyArray<string | Record<string, unknown> | Manifest> | string | Manifest,
  deployedVersion?: string | null,
  paused = false,
): AppState {
  const list = Array.isArray(manifests) ? manifests : [manifests];
  const parsed = list.map((m) => (isManifest(m) ? m : manifest(m)));
  const versions = parsed.map((m) => ({
    version: m.metadata.annotations?.version ?? "",
    manifest: m,
    createdAt: new Date(NOW).toISOString(),
  }));
  const deployedName = deployedVersion === undefined ? (versions.at(-1)?.version ?? null) : deployedVersion;
  const deployed = versions.find((v) => v.version === deployedName);
  return {
    deployedVersion: deployedName,
    previousVersion: null,
    generation: 1,
    paused,
    deployed: deployed && { version: deployed.version, manifest: deployed.manifest },
  };
}

function isManifest(m: unknown): m is Manifest {
  return typeof m === "object" && m !== null && "spec" in m && "apiVersion" in m && !Array.isArray(m);
}

/** The workload key of `component` in `m`, as hosts and commands name it. */
export function keyOf(m: Manifest, component: string): string {
  const c = m.spec.components.find((x) => x.name === component);
  if (!c) throw new Error(`no component ${component}`);
  return workloadSpecOf(m.metadata.name, c).key;
}

/** A one-component `shop` app whose component `web` runs `args` under the given traits (YAML). */
export function webApp(version: string, traits: string, args = "[server.js]"): string {
  return `apiVersion: nadm.dev/v1
kind: Application
metadata:
  name: shop
  annotations:
    version: ${version}
spec:
  components:
    - name: web
      type: process
      properties:
        command: node
        args: ${args}
      traits:
${traits
  .split("\n")
  .map((l) => `        ${l}`)
  .join("\n")}
`;
}

export type PendingTable = Record<string, { id: string; count: number }>;

/** A plan input with defaults; `pending` is keyed `{hostId} {workloadKey}`. */
export function input(
  over: Partial<PlanInput> & { hosts: HostState[]; pendingTable?: PendingTable },
): PlanInput {
  const { pendingTable = {}, ...given } = over;
  // An option passed as undefined means "the default", except `stored` (undefined: deleted).
  const rest = Object.fromEntries(
    Object.entries(given).filter(([k, v]) => v !== undefined || k === "stored"),
  ) as Partial<PlanInput>;
  return {
    lattice: LATTICE,
    app: APP,
    stored: undefined,
    workloads: workloadsOf(over.hosts, over.app ?? APP),
    registry: new ScalerRegistry(),
    pending: (hostId, key) => pendingTable[`${hostId} ${key}`],
    now: NOW,
    ...rest,
    hosts: over.hosts,
  };
}

export function run(over: Parameters<typeof input>[0]): Plan {
  return plan(input(over));
}

/** `"e1 shop.web.abc ×2 @3"`: host, workload, count and the host revision it was based on. */
export function line(c: PlannedCommand): string {
  return `${c.hostId} ${c.workload.key} ×${c.count} @${c.basedOnRevision}`;
}

export function lines(p: Plan): string[] {
  return p.commands.map(line);
}

/** A custom scaler that places exactly `placements` (hostId → count), whatever the lattice. */
export function fixedScaler(type: string, placements: Record<string, number>): Scaler<unknown> {
  return defineScaler({
    type,
    version: "1.0.0",
    properties: z.object({}),
    reconcile: () => ({
      placements: new Map(Object.entries(placements)),
      status: { phase: "ok", message: "" },
    }),
  });
}

/** A custom scaler whose `reconcile` throws, like buggy user code. */
export function throwingScaler(type: string, message: string): Scaler<unknown> {
  return defineScaler({
    type,
    version: "1.0.0",
    properties: z.object({}),
    reconcile: () => {
      throw new Error(message);
    },
  });
}

/** A registry of the built-ins plus `extra`, and the catalog that validates manifests using them. */
export function registryWith(...extra: Scaler<unknown>[]): {
  registry: ScalerRegistry;
  catalog: TraitCatalog;
} {
  const registry = new ScalerRegistry([...builtinScalers, ...extra]);
  return { registry, catalog: traitCatalogFor(registry) };
}
