/**
 * The `nadm` bin's launcher line carries node flags (a bounded young generation: deviation 64):
 * they parse, node accepts them, and they take effect.
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

test("the bin bounds the young generation, and node honours it", () => {
  const flags = launcherNodeFlags();
  const semi = flags.find((f) => f.startsWith("--max-semi-space-size="));
  assert.ok(semi, `launcher flags ${JSON.stringify(flags)}`);
  const maxMb = Number(semi.split("=")[1]);
  // Allocate enough short-lived garbage to grow the young generation to its bound.
  const script = `const v8 = require("node:v8"); let keep = [];
    for (let i = 0; i < 3e6; i++) { keep.push({ i, s: "x" + i }); if (keep.length > 20000) keep = []; }
    const s = v8.getHeapSpaceStatistics().find((x) => x.space_name === "new_space");
    console.log(s.space_size);`;
  const run = (args: string[]) => {
    const r = spawnSync(process.execPath, [...args, "-e", script], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    return Number(r.stdout.trim()) / (1024 * 1024);
  };
  assert.ok(run(flags) <= 2 * maxMb, "new space within two semi-spaces of the bound");
  assert.ok(run([]) > 2 * maxMb, "without the flags it grows past that (so the check means something)");
});
