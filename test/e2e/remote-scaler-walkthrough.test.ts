/**
 * docs/custom-scalers.md, "From an empty folder to a remote scaler", run as written
 * (test/support/walkthrough.ts says what differs from a user's machine, and why).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { runWalkthrough } from "../support/walkthrough.js";

test("the remote scaler walkthrough runs as written and deploys the app", async () => {
  const w = await runWalkthrough("docs/custom-scalers.md", "From an empty folder to a remote scaler");
  assert.ok(w.deployed, "the walkthrough ends with the app deployed");
  const status = JSON.parse(w.run("npx nadm app status spread-out --json")) as {
    components: Array<{ scaler: string; hosts: Record<string, number> }>;
  };
  const web = status.components[0]!;
  assert.equal(web.scaler, "one-each");
  const placed = Object.values(web.hosts).filter((n) => n > 0);
  assert.deepEqual(placed, [1, 1], "one instance on each of 2 hosts");
});
