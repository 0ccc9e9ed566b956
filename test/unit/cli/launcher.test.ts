/**
 * The node flags of the `nadm` bin's launcher line, which the benchmarks run nadm with
 * (bench/lib/launcher.ts): they parse, and node accepts them.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { launcherNodeFlags, nodeFlagsOf } from "../../../bench/lib/launcher.js";

test("launcher lines: flags after node, with or without env -S", () => {
  const rows: Array<[string, string[]]> = [
    ["#!/usr/bin/env node", []],
    ["#!/usr/bin/env -S node --max-semi-space-size=8", ["--max-semi-space-size=8"]],
    ["#!/usr/bin/env -S node  --a=1 --b ", ["--a=1", "--b"]],
    ["#!/bin/sh", []],
  ];
  for (const [line, flags] of rows) assert.deepEqual(nodeFlagsOf(line), flags, line);
});

test("node accepts the bin's launcher flags", () => {
  const r = spawnSync(process.execPath, [...launcherNodeFlags(), "-e", "process.exit(0)"], {
    encoding: "utf8",
  });
  assert.equal(r.status, 0, r.stderr);
});
