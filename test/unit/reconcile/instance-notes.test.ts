/**
 * What hosts report beyond counts reaches the app status as words: a failing probe with its
 * answer, an instance restarting and why (e.g. its liveness probe).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { WorkloadInventory } from "../../../src/streams/host-record.js";
import { type Counts, host, keyOf, manifest, run, storedApp, webApp, workload } from "./builders.js";

const app = manifest(webApp("v1", "- type: spreadscaler\n  properties:\n    instances: 1"));
const key = keyOf(app, "web");
const MB = 1024 * 1024;
const DIGEST = `sha256:${"0123456789abcdef".repeat(4)}`;

function on(counts: Counts, extra: Partial<WorkloadInventory>) {
  const [k, inv] = workload(key, counts);
  return host("h1", "", [[k, { ...inv, ...extra }]]);
}

const rows: Array<{ name: string; hosts: ReturnType<typeof host>[]; phase: string; message: string }> = [
  {
    name: "a readiness probe failing names the probe and its answer",
    hosts: [on({ desired: 1, running: 1, ready: 0 }, { probe: "readiness probe GET :4001/ready: HTTP 503" })],
    phase: "reconciling",
    message: "0/1 ready; 1 starting; h1: readiness probe GET :4001/ready: HTTP 503",
  },
  {
    name: "an instance restarted by its liveness probe says why",
    hosts: [
      on(
        { desired: 1, running: 0, ready: 0, failed: 1, restarts: 1 },
        { lastError: "liveness probe GET :4001/healthz failed 3 times in a row: HTTP 500" },
      ),
    ],
    phase: "reconciling",
    message:
      "0/1 ready; restarting on h1 after: liveness probe GET :4001/healthz failed 3 times in a row: HTTP 500; waiting for h1 to start 1 instance",
  },
  {
    name: "an artifact being fetched: size and progress",
    hosts: [
      on(
        { desired: 1, running: 0, ready: 0 },
        {
          artifact: {
            name: "web-1.4.2",
            digest: DIGEST,
            state: "fetching",
            bytes: Math.round(0.4 * 12 * MB),
            size: 12 * MB,
          },
        },
      ),
    ],
    phase: "reconciling",
    message: "0/1 ready; fetching artifact web-1.4.2 (12 MB, 40 %) on h1; waiting for h1 to start 1 instance",
  },
  {
    name: "a missing artifact: failed, naming it",
    hosts: [
      on(
        { desired: 1, running: 0, ready: 0, failed: 1, lastError: "failed to start: …" },
        {
          artifact: {
            name: "web-1.4.2",
            digest: DIGEST,
            state: "failed",
            bytes: 0,
            size: 0,
            error: "artifact web-1.4.2 (sha256:0123456789ab) is missing from nadm_artifacts",
          },
        },
      ),
    ],
    phase: "failed",
    message: "artifact web-1.4.2 (sha256:0123456789ab) is missing from nadm_artifacts on h1 (0/1 ready)",
  },
  {
    name: "a probe failing on a ready instance (below its threshold) changes nothing",
    hosts: [on({ desired: 1 }, { probe: "liveness probe GET :4001/healthz: HTTP 500" })],
    phase: "deployed",
    message: "1/1 ready",
  },
];

describe("plan(): status notes from host reports", () => {
  for (const row of rows) {
    test(row.name, () => {
      const { status } = run({ stored: storedApp(app), hosts: row.hosts });
      assert.equal(status?.phase, row.phase, status?.message);
      assert.equal(status?.message, row.message);
    });
  }
});
