/**
 * `dependsOn` in the planner: a component is placed only once each dependency has a ready
 * instance; while it waits, what already runs stays, and the status says what it waits for.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type Counts, host, keyOf, lines, manifest, run, storedApp, workload } from "./builders.js";

const app = (version: string, apiArgs = "[api.js]") =>
  manifest(`
apiVersion: nadm.dev/v1
kind: Application
metadata: { name: shop, annotations: { version: ${version} } }
spec:
  components:
    - name: api
      type: process
      properties: { command: node, args: ${apiArgs} }
      traits: [{ type: spreadscaler, properties: { instances: 1 } }]
    - name: web
      type: process
      properties: { command: node, args: [web.js], links: [{ component: api, env: API_URL }] }
      dependsOn: [api]
      traits: [{ type: spreadscaler, properties: { instances: 1 } }]
`);
const v1 = app("v1");
const v2 = app("v2", "[api.js, --v2]");
const [api1, web1, api2] = [keyOf(v1, "api"), keyOf(v1, "web"), keyOf(v2, "api")];
const h1 = (...inv: Array<[string, Counts]>) =>
  host(
    "h1",
    "",
    inv.map(([k, c]) => workload(k, c)),
  );

const rows = [
  {
    name: "dependency not running yet: only the dependency is placed, the dependant waits",
    stored: storedApp(v1),
    hosts: [h1()],
    commands: [`h1 ${api1} ×1 @1`],
    phase: "waiting",
    web: "waiting for api (0 ready) (0/1 ready)",
  },
  {
    name: "dependency started but not ready: still waiting",
    stored: storedApp(v1),
    hosts: [h1([api1, { desired: 1, ready: 0 }])],
    commands: [],
    phase: "waiting",
    web: "waiting for api (0 ready) (0/1 ready)",
  },
  {
    name: "dependency ready: the dependant is placed",
    stored: storedApp(v1),
    hosts: [h1([api1, { desired: 1 }])],
    commands: [`h1 ${web1} ×1 @1`],
    phase: "reconciling",
    web: "0/1 ready; sending a command to h1",
  },
  {
    name: "dependency down again: the dependant keeps what it runs (nothing stopped)",
    stored: storedApp(v1),
    hosts: [h1([api1, { desired: 1, ready: 0 }], [web1, { desired: 1 }])],
    commands: [],
    phase: "waiting",
    web: "waiting for api (0 ready) (1/1 ready)",
  },
  {
    name: "an older revision of the dependency being ready counts (upgrade in progress)",
    stored: storedApp([v1, v2], "v2"),
    hosts: [h1([api1, { desired: 1 }], [api2, { desired: 1, ready: 0 }])],
    // The api rolls (default 25 %/25 % of 1: surge 1, unavailable 0): its old instance stays
    // until the new one is available.
    commands: [`h1 ${keyOf(v2, "web")} ×1 @1`],
    phase: "reconciling",
    web: "0/1 ready; sending a command to h1",
  },
];

describe("plan(): dependsOn", () => {
  for (const row of rows) {
    test(row.name, () => {
      const p = run({ stored: row.stored, hosts: row.hosts });
      assert.deepEqual(lines(p), row.commands);
      assert.equal(p.status?.phase, row.phase, p.status?.message);
      assert.equal(p.status?.components.find((c) => c.name === "web")?.message, row.web);
    });
  }
});
