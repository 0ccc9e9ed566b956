/**
 * Running a docs walkthrough as written: its fenced blocks in order (`lang file=NAME` blocks are
 * files, `sh` blocks are command lines), with nadm built from this checkout into a package folder
 * so `nadm` and `nadm/testing` resolve through the package's real `exports`.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, readFileSync, symlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import { ROOT } from "./processes.js";

export interface Block {
  lang: string;
  file?: string;
  body: string;
}

/** The fenced blocks of the section of `doc` whose `## ` heading starts with `heading`. */
export function walkthrough(doc: string, heading: string): Block[] {
  const text = readFileSync(join(ROOT, doc), "utf8");
  const section = text.split(/^## /m).find((s) => s.startsWith(heading));
  assert.ok(section, `the section "${heading}" exists in ${doc}`);
  return [...section.matchAll(/^```(\w+)(?: file=(\S+))?\n([\s\S]*?)^```$/gm)].map((m) => ({
    lang: m[1]!,
    file: m[2],
    body: m[3]!,
  }));
}

/** Command lines of a `sh` block: no blanks, no comments. */
export function commandLines(block: Block): string[] {
  return block.body.split("\n").filter((l) => l.trim() && !l.startsWith("#"));
}

/** nadm as a package under `dir`: compiled dist, package.json, and this checkout's dependencies. */
export function buildPackage(dir: string): string {
  const pkg = join(dir, "nadm-package");
  mkdirSync(pkg);
  execFileSync(join(ROOT, "node_modules/.bin/tsc"), [
    "-p",
    join(ROOT, "tsconfig.build.json"),
    "--outDir",
    join(pkg, "dist"),
  ]);
  copyFileSync(join(ROOT, "package.json"), join(pkg, "package.json"));
  symlinkSync(join(ROOT, "node_modules"), join(pkg, "node_modules"));
  chmodSync(join(pkg, "dist/cli/main.js"), 0o755);
  return pkg;
}

/** `npm install PKG...` without the registry: nadm from `pkg`, anything else from this checkout. */
export function installFrom(pkg: string, cwd: string, names: readonly string[]): void {
  mkdirSync(join(cwd, "node_modules/.bin"), { recursive: true });
  for (const name of names) {
    const target = join(cwd, "node_modules", name);
    mkdirSync(dirname(target), { recursive: true });
    if (name === "nadm") {
      symlinkSync(pkg, target);
      symlinkSync(join(pkg, "dist/cli/main.js"), join(cwd, "node_modules/.bin/nadm"));
    } else {
      symlinkSync(join(ROOT, "node_modules", name), target);
    }
  }
}
