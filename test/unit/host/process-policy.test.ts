/**
 * Host-side policy of the process driver: which commands an `--allow-command` list lets
 * through, what is spawned for a bare name, and when `--run-as` is refused at start.
 */
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import {
  CommandPolicy,
  globToRegExp,
  lookupOnPath,
  RunAsError,
  resolveRunAs,
} from "../../../src/host/drivers/process-policy.js";
import { UnsupportedWorkloadError } from "../../../src/host/drivers/types.js";

const globs: Array<{ glob: string; command: string; match: boolean }> = [
  { glob: "sleep", command: "sleep", match: true },
  { glob: "sleep", command: "sleeper", match: false },
  { glob: "sleep", command: "/bin/sleep", match: false },
  { glob: "/usr/bin/*", command: "/usr/bin/node", match: true },
  { glob: "/usr/bin/*", command: "/usr/bin/sub/node", match: false },
  { glob: "/usr/bin/*", command: "/usr/bin/", match: true },
  { glob: "/opt/**", command: "/opt/app/bin/server", match: true },
  { glob: "/opt/**", command: "/optx/server", match: false },
  { glob: "./bin/*", command: "./bin/server", match: true },
  { glob: "./bin/*", command: "xbin/server", match: false },
  { glob: "node?", command: "node2", match: true },
  { glob: "node?", command: "node", match: false },
  { glob: "a?b", command: "a/b", match: false },
  { glob: "py.exe", command: "pyXexe", match: false },
  { glob: "(x)|y", command: "(x)|y", match: true },
  { glob: "(x)|y", command: "y", match: false },
  { glob: "[ab]", command: "a", match: false },
  { glob: "*", command: "anything", match: true },
  { glob: "*", command: "/abs/path", match: false },
  { glob: "**", command: "/abs/path", match: true },
];

describe("globToRegExp", () => {
  for (const row of globs) {
    test(`${row.glob} ${row.match ? "matches" : "does not match"} ${row.command}`, () => {
      assert.equal(globToRegExp(row.glob).test(row.command), row.match);
    });
  }
});

const bin = mkdtempSync(join(tmpdir(), "nadm-policy-"));
after(() => rmSync(bin, { recursive: true, force: true }));
mkdirSync(join(bin, "a"));
mkdirSync(join(bin, "b"));
for (const [dir, name, mode] of [
  ["a", "tool", 0o755],
  ["b", "tool", 0o755],
  ["a", "data", 0o644],
] as const) {
  writeFileSync(join(bin, dir, name), "#!/bin/sh\n");
  chmodSync(join(bin, dir, name), mode);
}
const PATH = `${join(bin, "a")}:${join(bin, "b")}`;

describe("lookupOnPath", () => {
  const rows: Array<{ name: string; command: string; want: string | undefined }> = [
    { name: "first directory wins", command: "tool", want: join(bin, "a", "tool") },
    { name: "not executable: skipped", command: "data", want: undefined },
    { name: "absent", command: "nope", want: undefined },
    { name: "a path is not looked up", command: "./tool", want: undefined },
  ];
  for (const row of rows) test(row.name, () => assert.equal(lookupOnPath(row.command, PATH), row.want));
});

describe("CommandPolicy", () => {
  const rows: Array<{ name: string; allow: string[] | undefined; command: string; allowed: boolean }> = [
    { name: "no list: anything", allow: undefined, command: "/bin/rm", allowed: true },
    { name: "empty list: nothing", allow: [], command: "tool", allowed: false },
    { name: "bare name listed", allow: ["tool"], command: "tool", allowed: true },
    {
      name: "bare name by its PATH location",
      allow: [`${join(bin, "a")}/*`],
      command: "tool",
      allowed: true,
    },
    {
      name: "bare name elsewhere on PATH is not it",
      allow: [`${join(bin, "b")}/*`],
      command: "tool",
      allowed: false,
    },
    {
      name: "absolute path outside the globs",
      allow: ["tool", "/usr/bin/*"],
      command: "/bin/sh",
      allowed: false,
    },
    { name: "one of several globs", allow: ["x", "/bin/*"], command: "/bin/sh", allowed: true },
  ];
  for (const row of rows) {
    test(row.name, () => {
      const policy = new CommandPolicy(row.allow, PATH);
      if (row.allowed) assert.doesNotThrow(() => policy.check(row.command));
      else {
        assert.throws(
          () => policy.check(row.command),
          (err: unknown) =>
            err instanceof UnsupportedWorkloadError &&
            err.path === "workload.spec.command" &&
            /host policy: command .* is not allowed on this host \(--allow-command/.test(err.message),
        );
      }
    });
  }

  test("with a list, a bare name is spawned from the agent's PATH, not the manifest's", () => {
    const policy = new CommandPolicy(["tool"], PATH);
    assert.equal(policy.executable("tool"), join(bin, "a", "tool"));
    assert.equal(policy.executable("/abs/tool"), "/abs/tool");
    assert.throws(() => policy.executable("nope"), /not on the host's PATH/);
    assert.equal(new CommandPolicy(undefined, PATH).executable("tool"), "tool");
  });
});

describe("resolveRunAs", () => {
  test("an agent that is not root cannot run instances as another user: a clear startup error", () => {
    assert.throws(
      () => resolveRunAs("nobody", 1000),
      (err: unknown) =>
        err instanceof RunAsError &&
        err.code === "bad_request" &&
        /must run as root.*uid 1000/.test(err.message),
    );
  });
  test("an unknown user is refused", () => {
    assert.throws(() => resolveRunAs("no-such-user-nadm", 0), /no such user/);
  });
  test("a known user resolves to its uid and gid", () => {
    const root = resolveRunAs("root", 0);
    assert.deepEqual({ uid: root.uid, gid: root.gid, name: root.name }, { uid: 0, gid: 0, name: "root" });
  });
});
