/**
 * Pure pieces of the host room (no NATS): backoff arithmetic, supervision through the sim
 * driver, log rotation and the last-stderr-line tracker.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { BoundedLog, LastLine } from "../../../src/host/drivers/log-file.js";
import { SimDriver } from "../../../src/host/drivers/sim.js";
import { restartDelay, SupervisedInstance } from "../../../src/host/supervisor.js";
import { waitFor } from "../../support/wait.js";

test("restart delays double from the base up to the cap", () => {
  const policy = { baseMs: 1_000, maxMs: 60_000, resetAfterMs: 10_000 };
  const table: Array<[number, number]> = [
    [1, 1_000],
    [2, 2_000],
    [3, 4_000],
    [6, 32_000],
    [7, 60_000],
    [100, 60_000],
  ];
  for (const [failures, delay] of table)
    assert.equal(restartDelay(policy, failures), delay, `failure ${failures}`);
});

test("a supervised instance whose starts fail is retried until it runs, counting restarts", async () => {
  const driver = new SimDriver({ startMs: 5, failRate: 0.9, seed: 3 });
  let failures = 0;
  let restarts = 0;
  const workload = { app: "a", component: "c", rev: "r", key: "a.c.r", type: "process", spec: {} };
  const slot = new SupervisedInstance(
    driver,
    { hostId: "h", workload, properties: null, index: 0 },
    { baseMs: 1, maxMs: 4, resetAfterMs: 1_000 },
    { onChange: () => {}, onFailure: () => failures++, onRestart: () => restarts++ },
  );
  await slot.start();
  await waitFor(() => slot.phase === "ready", { what: "the instance to become ready" });
  assert.ok(failures > 0 && restarts === failures, `${failures} failures, ${restarts} restarts`);
  await slot.stop(0);
  assert.equal(slot.phase, "stopped");
});

test("instance logs rotate to .1 past their size bound", () => {
  const dir = mkdtempSync(join(tmpdir(), "nadm-log-"));
  try {
    const path = join(dir, "w", "0.log");
    const log = new BoundedLog(path, 1_000);
    for (let i = 0; i < 25; i++) log.write(Buffer.from(`${String(i).padStart(99, ".")}\n`));
    log.close();
    assert.ok(statSync(path).size <= 1_000);
    assert.ok(statSync(`${path}.1`).size <= 1_000);
    assert.match(readFileSync(path, "utf8"), /\.24\n$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the last stderr line survives chunking and a missing final newline", () => {
  const last = new LastLine();
  last.push("first li");
  last.push("ne\nsecond\n\n");
  assert.equal(last.value, "second");
  last.push("  partial  ");
  assert.equal(last.value, "partial");
});
