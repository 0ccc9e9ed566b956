/**
 * Archives a host refuses before unpacking, each made by the system tar: absolute paths, `..`,
 * links out of the archive, FIFOs; and one it accepts, with long names and links inside.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { checkTarGz, UnsafeArchiveError } from "../../../src/host/artifacts/tar-check.js";

const root = mkdtempSync(join(tmpdir(), "nadm-tar-"));
after(() => rmSync(root, { recursive: true, force: true }));
const limits = { maxBytes: 1024 * 1024, maxEntries: 100 };
let n = 0;

/** A .tar.gz of what `build(dir)` creates, with extra tar flags; returns its path. */
function archive(build: (dir: string) => void, members = ["."], flags: string[] = []): string {
  const dir = join(root, `src-${++n}`);
  mkdirSync(dir);
  build(dir);
  const out = join(root, `a-${n}.tar.gz`);
  execFileSync("tar", ["-czf", out, ...flags, "-C", dir, ...members]);
  return out;
}

describe("checkTarGz", () => {
  test("accepts files, directories, long names and links that stay inside", async () => {
    const file = archive((d) => {
      mkdirSync(join(d, "bin"));
      writeFileSync(join(d, "bin", "server.mjs"), "console.log(1)");
      writeFileSync(join(d, `${"x".repeat(150)}.txt`), "long");
      symlinkSync("bin/server.mjs", join(d, "main.mjs"));
    });
    const r = await checkTarGz(file, limits);
    assert.equal(r.entries, 5); // ., bin, bin/server.mjs, long name, main.mjs
  });

  const refused: Array<{ name: string; file: () => string; message: RegExp }> = [
    {
      name: "an absolute path",
      file: () => archive((d) => writeFileSync(join(d, "x"), "x"), [join(root, `src-${n + 1}`, "x")], ["-P"]),
      message: /is absolute/,
    },
    {
      name: "a .. entry",
      file: () => {
        writeFileSync(join(root, "escape"), "x");
        return archive((d) => mkdirSync(join(d, "a")), ["a/../../escape"], ["-P"]);
      },
      message: /leaves the archive|contains "\.\."/,
    },
    {
      name: "a symlink out of the archive",
      file: () => archive((d) => symlinkSync("/etc/passwd", join(d, "pw"))),
      message: /symlink .* is absolute/,
    },
    {
      name: "a relative symlink climbing out",
      file: () => archive((d) => symlinkSync("../../etc/passwd", join(d, "pw"))),
      message: /leaves the archive/,
    },
    {
      name: "a FIFO",
      file: () => archive((d) => execFileSync("mkfifo", [join(d, "pipe")])),
      message: /type "6"/,
    },
    {
      name: "more bytes than allowed",
      file: () => archive((d) => writeFileSync(join(d, "big"), Buffer.alloc(2 * 1024 * 1024))),
      message: /more than 1048576 bytes/,
    },
  ];
  for (const c of refused) {
    test(`refuses ${c.name}`, async () => {
      await assert.rejects(checkTarGz(c.file(), limits), (err: unknown) => {
        assert.ok(err instanceof UnsafeArchiveError, String(err));
        assert.match(err.message, c.message);
        return true;
      });
    });
  }
});
