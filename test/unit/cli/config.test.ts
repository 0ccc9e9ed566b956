/**
 * Configuration: durations, the config file's validation, precedence (flags > env > file >
 * defaults), redaction for --print-config, and the readable log line.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { after, test } from "node:test";
import { Command } from "commander";
import { pino } from "pino";
import { effectiveFlags, InvalidConfigError, loadConfigFile, redact } from "../../../src/cli/config-file.js";
import { parseDuration } from "../../../src/cli/options.js";
import { readDuration } from "../../../src/duration.js";
import { prettyStream } from "../../../src/log.js";

test("durations: units accepted, a bare number refused with a hint", () => {
  const cases: Array<[string | number, number | RegExp]> = [
    ["500ms", 500],
    ["5s", 5_000],
    ["1.5s", 1_500],
    ["2m", 120_000],
    ["1h", 3_600_000],
    [" 10s ", 10_000],
    ["1", /"1" has no unit: write e.g. 1s or 1ms/],
    [5000, /"5000" has no unit: write e.g. 5000s or 5000ms/],
    ["0", /no unit/],
    ["5 s", /is not a duration/],
    ["5d", /is not a duration/],
    ["-1s", /is not a duration/],
  ];
  for (const [input, expected] of cases) {
    const got = readDuration(input);
    if (typeof expected === "number") assert.equal(got, expected, String(input));
    else assert.match(String(got), expected, String(input));
  }
  assert.throws(() => parseDuration("1"), /no unit/);
});

const dir = mkdtempSync(join(tmpdir(), "nadm-config-"));
after(() => rmSync(dir, { recursive: true, force: true }));
function file(yaml: string): string {
  const path = join(dir, `c${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(path, yaml);
  return path;
}

test("config file: every problem reported at its path", () => {
  const cases: Array<[string, Array<[string, RegExp]>]> = [
    [
      "controller:\n  tickInterval: 1\n",
      [["controller.tickInterval", /has no unit: write e\.g\. 1s or 1ms/]],
    ],
    ["controller:\n  tickInterval: soon\n", [["controller.tickInterval", /is not a duration/]]],
    ["host:\n  label: { zone: 3 }\n", [["host.label.zone", /string/]]],
    ["lattice: x\nbogus: 1\n", [["bogus", /unknown property/]]],
    ["logLevel: loud\n", [["logLevel", /./]]],
    [
      "controller:\n  httpPort: -1\nhost:\n  drain: 5\n",
      [
        ["controller.httpPort", /./],
        ["host.drain", /no unit/],
      ],
    ],
  ];
  for (const [yaml, expected] of cases) {
    const err = (() => {
      try {
        loadConfigFile(file(yaml));
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    assert.ok(err instanceof InvalidConfigError, yaml);
    assert.deepEqual(
      err.details.map((d) => d.path),
      expected.map(([p]) => p),
      yaml,
    );
    for (const [i, [, message]] of expected.entries())
      assert.match(err.details[i]?.message ?? "", message, yaml);
  }
});

test("config file: durations become milliseconds; no file is an empty config", () => {
  const parsed = loadConfigFile(
    file("natsUrl: nats://x:4222\nhost:\n  heartbeatInterval: 2s\n  label: { zone: a }\n"),
  );
  assert.deepEqual(parsed, {
    natsUrl: "nats://x:4222",
    host: { heartbeatInterval: 2_000, label: { zone: "a" } },
  });
  assert.deepEqual(loadConfigFile(undefined), {});
  assert.throws(() => loadConfigFile(join(dir, "missing.yaml")), InvalidConfigError);
});

/** A verb with a defaulted flag and an undefaulted one, like `nadm host`. */
function verb(argv: string[]): Command {
  const program = new Command().exitOverride();
  const cmd = program
    .command("host")
    .option("--heartbeat-interval <d>", "", parseDuration, 5_000)
    .option("--data-dir <dir>", "", ".nadm/host")
    .option("--drain <d>", "", parseDuration)
    .action(() => undefined);
  program.parse(["node", "nadm", "host", ...argv]);
  return cmd;
}

test("precedence: flags > environment > file > defaults", () => {
  type Row = { name: string; argv: string[]; env: object; file: object; want: object };
  const rows: Row[] = [
    {
      name: "defaults only",
      argv: [],
      env: {},
      file: {},
      want: { heartbeatInterval: 5_000, dataDir: ".nadm/host" },
    },
    {
      name: "file over defaults",
      argv: [],
      env: {},
      file: { heartbeatInterval: 2_000, drain: 0 },
      want: { heartbeatInterval: 2_000, dataDir: ".nadm/host", drain: 0 },
    },
    {
      name: "env over file",
      argv: [],
      env: { heartbeatInterval: 3_000 },
      file: { heartbeatInterval: 2_000 },
      want: { heartbeatInterval: 3_000, dataDir: ".nadm/host" },
    },
    {
      name: "flag over env and file",
      argv: ["--heartbeat-interval", "1s"],
      env: { heartbeatInterval: 3_000 },
      file: { heartbeatInterval: 2_000 },
      want: { heartbeatInterval: 1_000, dataDir: ".nadm/host" },
    },
    {
      name: "a flag equal to its default still wins over the file",
      argv: ["--data-dir", ".nadm/host"],
      env: {},
      file: { dataDir: "/var/lib/nadm" },
      want: { heartbeatInterval: 5_000, dataDir: ".nadm/host" },
    },
    {
      name: "undefined in a higher layer hides nothing",
      argv: [],
      env: { drain: undefined },
      file: { drain: 250 },
      want: { heartbeatInterval: 5_000, dataDir: ".nadm/host", drain: 250 },
    },
  ];
  for (const r of rows) {
    const got = effectiveFlags(
      verb(r.argv),
      r.file as Record<string, unknown>,
      r.env as Record<string, unknown>,
    );
    assert.deepEqual(got, r.want, r.name);
  }
});

test("redaction: passwords, also inside a NATS URL", () => {
  const cases: Array<[object, object]> = [
    [{ password: "p" }, { password: "<redacted>" }],
    [{ natsUrl: "nats://u:p@h:4222" }, { natsUrl: "nats://u:<redacted>@h:4222" }],
    [
      { natsUrl: "nats://u:p@a:4222,nats://v:q@b:4222" },
      { natsUrl: "nats://u:<redacted>@a:4222,nats://v:<redacted>@b:4222" },
    ],
    [
      { natsUrl: "nats://h:4222", user: "u" },
      { natsUrl: "nats://h:4222", user: "u" },
    ],
    [
      { connection: { password: "p", creds: "/x.creds" } },
      { connection: { password: "<redacted>", creds: "/x.creds" } },
    ],
  ];
  for (const [input, want] of cases) assert.deepEqual(redact(input), want);
});

test("a readable log line from a pino record", () => {
  let out = "";
  const sink = new Writable({
    write(chunk, _enc, done) {
      out += String(chunk);
      done();
    },
  });
  const log = pino({ name: "nadm-host" }, prettyStream(sink));
  log.info({ hostId: "h1", n: 2 }, "host started");
  assert.match(out, /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO \(nadm-host\): host started\n/);
  assert.match(out, /hostId: "h1"/);
  assert.doesNotMatch(out, /^\{/, "not JSON");
});
