import assert from "node:assert/strict";
import { after, test } from "node:test";
import { loadScalers } from "../../../src/plugins.js";
import { ScalerDeadlineError } from "../../../src/sandbox/worker-scaler.js";
import type { ScalerInput } from "../../../src/scalers/index.js";

const registry = await loadScalers(["test/fixtures/misbehaving-scaler.ts"]);
const scaler = registry.getExternal("misbehaving")!;
after(() => registry.close());

function input(mode: string): ScalerInput<unknown> {
  return {
    app: { lattice: "default", name: "a", version: "v1" },
    component: { name: "c", type: "process", rev: "r", properties: {} },
    properties: { mode, count: 2 },
    hosts: [
      { hostId: "h2", labels: {}, instances: 0 },
      { hostId: "h1", labels: {}, instances: 0 },
    ],
    now: 0,
  };
}

test("a loaded module runs in its worker: type, version and a result come back", async () => {
  assert.equal(scaler.version, "0.0.1");
  const reply = await scaler.evaluate(input("ok"), 5_000);
  assert.deepEqual(reply.result, {
    placements: [{ hostId: "h1", count: 2 }],
    status: { phase: "ok", message: "on h1" },
  });
});

const failing: Array<{ mode: string; match: RegExp; stack?: RegExp }> = [
  { mode: "throw", match: /threw on purpose/, stack: /misbehaving-scaler\.ts/ },
  { mode: "mutate", match: /read only|read-only|frozen|Cannot assign/ },
];
for (const row of failing) {
  test(`a call that breaks the rules (${row.mode}) rejects with the scaler's own error`, async () => {
    await assert.rejects(scaler.evaluate(input(row.mode), 5_000), (err: Error) => {
      assert.match(err.message, row.match);
      if (row.stack) assert.match(err.stack ?? "", row.stack);
      return true;
    });
  });
}

test("a busy loop is stopped at its deadline, and the next call runs on a fresh worker", async () => {
  await scaler.evaluate(input("ok"), 5_000); // the worker is up: the deadline times the call only
  await assert.rejects(scaler.evaluate(input("spin"), 100), ScalerDeadlineError);
  const reply = await scaler.evaluate(input("ok"), 5_000);
  assert.equal((reply.result as { status: { message: string } }).status.message, "on h1");
});
