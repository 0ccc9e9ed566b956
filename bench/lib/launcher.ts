/**
 * The node flags the `nadm` bin runs with, read from its launcher line in src/cli/main.ts
 * (`#!/usr/bin/env -S node FLAGS`). Benchmarks run nadm from source through tsx; they pass the
 * same flags so they measure what users run. No side effects: tests import it too.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const MAIN_SOURCE = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));

/** Flags after `node` on a `#!/usr/bin/env [-S] node …` line; [] for any other first line. */
export function nodeFlagsOf(launcherLine: string): string[] {
  const m = /^#!\/usr\/bin\/env(?: -S)? node(?:\s+(.*))?$/.exec(launcherLine.trim());
  return m?.[1] ? m[1].split(/\s+/).filter(Boolean) : [];
}

export function launcherNodeFlags(): string[] {
  return nodeFlagsOf(readFileSync(MAIN_SOURCE, "utf8").split("\n", 1)[0] ?? "");
}
