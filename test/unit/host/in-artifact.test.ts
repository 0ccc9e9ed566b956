/**
 * Where an instance's command and working directory point when its workload has an artifact.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { inArtifact } from "../../../src/host/drivers/process.js";

const dir = mkdtempSync(join(tmpdir(), "nadm-in-artifact-"));
after(() => rmSync(dir, { recursive: true, force: true }));
mkdirSync(join(dir, "bin"));
writeFileSync(join(dir, "server"), "");
writeFileSync(join(dir, "bin", "run"), "");

const rows: Array<{
  name: string;
  command: string;
  cwd?: string;
  artifact?: string;
  want: { command: string; cwd?: string };
}> = [
  { name: "no artifact: unchanged", command: "node", cwd: "/srv", want: { command: "node", cwd: "/srv" } },
  {
    name: "a bare name found in the artifact",
    command: "server",
    artifact: dir,
    want: { command: join(dir, "server"), cwd: dir },
  },
  {
    name: "a relative path inside",
    command: "./bin/run",
    artifact: dir,
    want: { command: join(dir, "bin", "run"), cwd: dir },
  },
  {
    name: "a bare name not in the artifact: PATH",
    command: "node",
    artifact: dir,
    want: { command: "node", cwd: dir },
  },
  {
    name: "an absolute command stays",
    command: "/bin/sh",
    artifact: dir,
    want: { command: "/bin/sh", cwd: dir },
  },
  {
    name: "a path climbing out is not taken from the artifact",
    command: "../etc/x",
    artifact: dir,
    want: { command: "../etc/x", cwd: dir },
  },
  {
    name: "cwd relative to the artifact",
    command: "node",
    cwd: "bin",
    artifact: dir,
    want: { command: "node", cwd: join(dir, "bin") },
  },
];

describe("inArtifact", () => {
  for (const r of rows) {
    test(r.name, () => {
      const props = r.cwd === undefined ? { command: r.command } : { command: r.command, cwd: r.cwd };
      assert.deepEqual(inArtifact(props, r.artifact), { cwd: undefined, ...r.want });
    });
  }
});
