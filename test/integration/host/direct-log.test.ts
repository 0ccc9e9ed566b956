/**
 * The log of a kept instance (`--keep-instances`): written by the instance itself through an
 * O_APPEND descriptor, bounded by the agent copy-then-truncate, its last line read from the tail.
 */
import assert from "node:assert/strict";
import { closeSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { DirectLog } from "../../../src/host/drivers/log-file.js";
import { waitFor } from "../../support/wait.js";

const dir = mkdtempSync(join(tmpdir(), "nadm-direct-log-"));
after(() => rmSync(dir, { recursive: true, force: true }));

test("rotates to .1 once past its bound, and appends go on at the new end", async () => {
  const log = new DirectLog(join(dir, "a", "0.log"), 100);
  after(() => log.close());
  const fd = log.openForChild(); // what the instance writes through
  try {
    writeSync(fd, `${"x".repeat(150)}\n`);
    await waitFor(() => existsSync(`${log.path}.1`), { timeoutMs: 5_000, what: "rotation" });
    assert.equal(readFileSync(`${log.path}.1`, "utf8"), `${"x".repeat(150)}\n`);
    writeSync(fd, "after rotation\n");
    assert.equal(readFileSync(log.path, "utf8"), "after rotation\n", "no hole of zeros before it");
    assert.equal(log.lastLine(), "after rotation");
  } finally {
    closeSync(fd);
  }
});

test("the last line is the last non-empty one, also unterminated; empty when there is no file", () => {
  const log = new DirectLog(join(dir, "b", "0.log"));
  after(() => log.close());
  assert.equal(log.lastLine(), "");
  const fd = log.openForChild();
  writeSync(fd, "first\nboom: it failed\n\n");
  assert.equal(log.lastLine(), "boom: it failed");
  writeSync(fd, "partial");
  closeSync(fd);
  assert.equal(log.lastLine(), "partial");
  assert.ok(statSync(log.path).size > 0);
});
