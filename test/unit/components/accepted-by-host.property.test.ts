/**
 * One definition per contract: every manifest `app put` accepts is accepted by every host that
 * runs it, with the same properties (fast-check over generated manifests, many near the bounds
 * where two definitions would drift: minReadySeconds, ports, env names, probes, names).
 *
 * The path is the real one, pure: `parseManifestText` with the built-in trait catalog (what the
 * put handler runs), the workload spec and command the reconciler builds (`workloadSpecOf`,
 * `toCommand`), the command's JSON bytes, then the host's control boundary
 * (`parseControlRequest`) on each kind of host: a process host's driver (`TypedDriver` over the
 * component-type catalog, loaded like `nadm host` loads it) and a sim host's.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { builtinTraitCatalog } from "../../../src/catalog.js";
import { componentTypes } from "../../../src/components/catalog.js";
import { InvalidManifestError } from "../../../src/errors.js";
import { parseControlRequest } from "../../../src/host/control.js";
import { SimDriver } from "../../../src/host/drivers/sim.js";
import { TypedDriver } from "../../../src/host/drivers/typed.js";
import type { Driver } from "../../../src/host/drivers/types.js";
import { silentLogger } from "../../../src/log.js";
import { type Manifest, parseManifestText } from "../../../src/manifests/index.js";
import { workloadSpecOf } from "../../../src/reconcile/desired.js";
import { toCommand } from "../../../src/reconcile/issue.js";
import { encodeJson } from "../../../src/streams/commands.js";

const RUNS = 2_000;
const catalog = builtinTraitCatalog();
const dataDir = mkdtempSync(join(tmpdir(), "nadm-accepted-by-host-"));
const processHost = new TypedDriver(componentTypes, { dataDir, logger: silentLogger() });
const hosts: Array<{ name: string; driver: Driver<unknown>; unwrap: (p: unknown) => unknown }> = [
  { name: "process", driver: processHost, unwrap: (p) => (p as { properties: unknown }).properties },
  { name: "sim", driver: new SimDriver(), unwrap: () => undefined },
];

before(() => processHost.recover());
after(async () => {
  await processHost.close();
  rmSync(dataDir, { recursive: true, force: true });
});

// Mostly valid values, sometimes one just past a bound, so that a looser put or a stricter host
// shows up on one field while the rest of the manifest is fine.
const around = <T>(valid: readonly T[], past: readonly T[]): fc.Arbitrary<T> =>
  fc.oneof(
    { weight: 15, arbitrary: fc.constantFrom(...valid) },
    { weight: 1, arbitrary: fc.constantFrom(...past) },
  );
const name = around(["web", "db", "a".repeat(63)], ["1web", "Web", "web-", "a".repeat(64)]);
const envKey = around(["PORT_X", "A", "_a", "B1"], ["NADM_APP", "1A", "A-B", ""]);
// Sometimes absent (JSON drops undefined): tcp and http probes then need a port of their own.
const port = fc.oneof(
  { weight: 4, arbitrary: around<unknown>(["auto", 1, 65535], ["x", 0, 65536, -1, 8.5]) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 65535 }) },
  { weight: 1, arbitrary: fc.constant(undefined) },
);
const httpFields = {
  path: around(["/ready", "/"], ["ready", "/".padEnd(1025, "x")]),
  port: around([1, 8080, 65535], [65536, 0]),
  expectStatus: around([100, 200, 599], [99, 600, 204.5]),
  intervalSeconds: around<unknown>([0.1, 1, 3600], [0.05, 3601, -1, "1"]),
  failureThreshold: around([1, 3, 100], [0, 101, 2.5]),
  timeoutSeconds: around<unknown>([0.1, 1, 60], [0.05, 61, 1e9]),
};
const minReadySeconds = around([0, 1.5, 86_400], [86_401, 1e9, -1, "1"]);
const readiness = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({ type: fc.constantFrom("alive", "tcp"), minReadySeconds }, { requiredKeys: [] }),
  },
  {
    weight: 4,
    arbitrary: fc.record(
      { type: fc.constant("http"), minReadySeconds, ...httpFields },
      { requiredKeys: ["type", "path"] },
    ),
  },
  // A probe field on a non-http probe, or an unknown type: refused by both.
  {
    weight: 1,
    arbitrary: fc.record({ type: fc.constantFrom("alive", "grpc"), expectStatus: httpFields.expectStatus }),
  },
);
const liveness = fc.record(
  { type: around(["http"], ["exec"]), ...httpFields },
  { requiredKeys: ["type", "path"] },
);
const artifact = fc.record(
  {
    name: around(["web-1.4.2", "w"], [".hidden", "a".repeat(129)]),
    digest: around([`sha256:${"a".repeat(64)}`], [`sha256:${"A".repeat(64)}`, "sha256:1"]),
  },
  { requiredKeys: ["name"] },
);

const properties = fc.record(
  {
    command: around(["node", "./bin/server", "sleep"], [""]),
    args: fc.array(fc.string({ maxLength: 4 }), { maxLength: 2 }),
    env: fc.dictionary(envKey, fc.string({ maxLength: 3 }), { maxKeys: 2 }),
    cwd: around(["/srv", "app"], [""]),
    artifact,
    port,
    readiness,
    liveness,
    // Links name the manifest's own components ("web", "db" exist in most), sometimes none.
    links: fc.array(fc.record({ component: around(["web", "db"], ["nope"]), env: envKey }), {
      maxLength: 1,
    }),
  },
  { requiredKeys: ["command", "port"] },
);

const component = fc.record(
  {
    name,
    type: around(["process"], ["container"]),
    properties,
    traits: fc.array(
      fc.record({ type: fc.constant("spreadscaler"), properties: fc.record({ instances: fc.nat(3) }) }),
      {
        maxLength: 1,
      },
    ),
  },
  { requiredKeys: ["name", "type", "properties"] },
);

const manifest = fc.record({
  apiVersion: fc.constant("nadm.dev/v1"),
  kind: fc.constant("Application"),
  metadata: fc.record({
    name: around(["shop"], ["1shop", "Shop"]),
    annotations: fc.record({ version: fc.constant("v1") }),
  }),
  spec: fc.record({
    components: fc.uniqueArray(component, { minLength: 1, maxLength: 3, selector: (c) => c.name }),
  }),
});

/** What `app put` stores, or undefined when it refuses the manifest. */
function put(raw: unknown): Manifest | undefined {
  try {
    return parseManifestText(JSON.stringify(raw), catalog);
  } catch (err) {
    if (err instanceof InvalidManifestError) return undefined;
    throw err;
  }
}

/** The bytes a host receives for one component of a stored manifest. */
function commandBytes(stored: Manifest, index: number): Uint8Array {
  const c = stored.spec.components[index]!;
  const workload = workloadSpecOf(stored.metadata.name, c);
  const planned = { hostId: "h1", component: c.name, workload, count: 2, basedOnRevision: 7, reason: "test" };
  return encodeJson(toCommand("default", stored.metadata.name, planned, "put", 0));
}

describe("accepted at app put ⇒ accepted by a host (component-type catalog)", () => {
  it(`every generated manifest put accepts, each host accepts with the same properties (${RUNS} runs)`, () => {
    let accepted = 0;
    let refused = 0;
    fc.assert(
      fc.property(manifest, (raw) => {
        const stored = put(raw);
        if (!stored) return void refused++;
        accepted++;
        stored.spec.components.forEach((c, i) => {
          for (const host of hosts) {
            const request = parseControlRequest(commandBytes(stored, i), {
              lattice: "default",
              hostId: "h1",
              ...host,
            });
            if (!("kind" in request)) assert.fail(`${host.name} host refused ${c.name}: ${request.error}`);
            assert.equal(request.kind, "command");
            if (host.name === "process") assert.deepEqual(host.unwrap(request.properties), c.properties);
          }
        });
      }),
      { numRuns: RUNS },
    );
    // Both sides of the implication are exercised, or the property would say nothing.
    assert.ok(accepted >= RUNS * 0.05, `only ${accepted} of ${RUNS} generated manifests were accepted`);
    assert.ok(refused >= RUNS * 0.2, `only ${refused} of ${RUNS} generated manifests were refused`);
  });

  // The drift that prompted the catalog (issue 9): put had no upper bound, hosts refused > 86,400.
  const boundary = [
    { minReadySeconds: 86_400, accepted: true },
    { minReadySeconds: 86_401, accepted: false },
  ];
  for (const c of boundary) {
    it(`minReadySeconds ${c.minReadySeconds}: put and hosts agree (${c.accepted ? "accepted" : "refused"})`, () => {
      const raw = {
        apiVersion: "nadm.dev/v1",
        kind: "Application",
        metadata: { name: "shop" },
        spec: {
          components: [
            {
              name: "web",
              type: "process",
              properties: { command: "x", readiness: { minReadySeconds: c.minReadySeconds } },
            },
          ],
        },
      };
      assert.equal(put(raw) !== undefined, c.accepted);
      const spec = { command: "x", readiness: { minReadySeconds: c.minReadySeconds } };
      const workload = { app: "shop", component: "web", rev: "r", key: "shop.web.r", type: "process", spec };
      for (const host of hosts) {
        const prepared = (() => {
          try {
            host.driver.prepare(workload);
            return true;
          } catch {
            return false;
          }
        })();
        assert.equal(prepared, c.accepted, `${host.name} host`);
      }
    });
  }
});
