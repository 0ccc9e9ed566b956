/**
 * docs/custom-scalers.md, "From an empty folder to a deployed app", run as written
 * (test/support/walkthrough.ts says what differs from a user's machine, and why).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { runWalkthrough } from "../support/walkthrough.js";

test("the custom scaler walkthrough runs as written and deploys the app", async () => {
  const w = await runWalkthrough("docs/custom-scalers.md", "From an empty folder to a deployed app");
  assert.ok(w.deployed, "the walkthrough ends with the app deployed");
  const status = JSON.parse(w.run("npx nadm app status packed --json")) as {
    components: Array<{ hosts: Record<string, number> }>;
  };
  const counts = Object.values(status.components[0]?.hosts ?? {})
    .filter((n) => n > 0)
    .sort();
  assert.deepEqual(counts, [1, 2], "3 instances packed on 2 hosts");
});
