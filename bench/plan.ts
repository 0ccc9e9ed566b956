/**
 * Micro-benchmark of the pure planner: one reconcile of a converged app on HOSTS hosts, with a
 * baseline of the same loop doing only the host snapshot (array copy + sort) the planner needs.
 */
import { builtinTraitCatalog } from "../src/catalog.js";
import type { HostState, WorkloadOnHost } from "../src/lattice/view.js";
import { parseManifestText } from "../src/manifests/index.js";
import { workloadSpecOf } from "../src/reconcile/desired.js";
import { plan } from "../src/reconcile/plan.js";
import { ScalerRegistry } from "../src/scalers/index.js";

const HOSTS = Number(process.env.BENCH_HOSTS ?? 100);
const RUNS = Number(process.env.BENCH_RUNS ?? 20_000);
const m = parseManifestText(
  `apiVersion: nadm.dev/v1
kind: Application
metadata: { name: shop, annotations: { version: v1 } }
spec:
  components:
    - name: web
      type: process
      properties: { command: node, args: [server.js] }
      traits:
        - type: spreadscaler
          properties:
            instances: 4
            spread:
              - { name: a, requirements: { zone: a }, weight: 2 }
              - { name: b, requirements: { zone: b }, weight: 1 }
`,
  builtinTraitCatalog(),
);
const key = workloadSpecOf("shop", m.spec.components[0]!).key;
const placed = new Set(["h-000", "h-003", "h-001"]);
const hosts: HostState[] = Array.from({ length: HOSTS }, (_, i) => {
  const hostId = `h-${String(i).padStart(3, "0")}`;
  const inventory = placed.has(hostId)
    ? {
        [key]: {
          app: "shop",
          component: "web",
          rev: key.split(".")[2]!,
          desired: 1,
          running: 1,
          ready: 1,
          failed: 0,
          restarts: 0,
          lastError: null,
        },
      }
    : {};
  const labels = { zone: ["a", "b", "c"][i % 3]! };
  return {
    hostId,
    lattice: "default",
    revision: i + 1,
    seenAt: new Date(),
    record: {
      hostId,
      lattice: "default",
      labels,
      driver: "sim",
      version: "x",
      startedAt: "",
      updatedAt: "",
      heartbeatIntervalMs: 5000,
      heartbeatSeq: 1,
      inventory,
    },
  } as HostState;
});
const workloads: WorkloadOnHost[] = hosts.flatMap((h) =>
  Object.entries(h.record.inventory).map(([k, inventory]) => ({ host: h, key: k, inventory })),
);
const stored = {
  deployedVersion: "v1",
  previousVersion: null,
  generation: 1,
  paused: false,
  deployed: { version: "v1", manifest: m },
};
const registry = new ScalerRegistry();
const hostsById = new Map(hosts.map((h) => [h.hostId, h])); // the lattice view keeps this index

function time(fn: () => void): number {
  const t = performance.now();
  for (let i = 0; i < RUNS; i++) fn();
  return ((performance.now() - t) * 1000) / RUNS;
}

const baseline = time(() => [...hosts].sort((a, b) => (a.hostId < b.hostId ? -1 : 1)));
let commands = -1;
const ours = time(() => {
  const p = plan({
    lattice: "default",
    app: "shop",
    stored,
    hosts,
    hostsById,
    workloads,
    registry,
    pending: () => undefined,
    now: Date.now(),
    // As the reconcile worker passes it: a refusal source, here with no refusal stored.
    refusals: { get: () => undefined, policy: { baseMs: 1_000, maxMs: 60_000, maxAgeMs: 3_600_000 } },
  });
  commands = p.commands.length;
});
process.stdout.write(
  `${JSON.stringify({ metric: "plan_us_per_reconcile", value: Number(ours.toFixed(1)), baseline_sort_hosts_us: Number(baseline.toFixed(1)), hosts: HOSTS, commands })}\n`,
);
