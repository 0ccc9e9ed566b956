/**
 * The CLI's configuration as a user meets it: `--print-config` shows what flags, environment,
 * a config file and defaults add up to (flags > env > file > defaults), secrets redacted; a
 * bad file or a bare-number duration exits 2 naming the field. No NATS needed: nothing connects.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { runCli } from "../../support/cli.js";

const dir = mkdtempSync(join(tmpdir(), "nadm-cli-config-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const configFile = join(dir, "nadm.yaml");
writeFileSync(
  configFile,
  `natsUrl: nats://alice:s3cret@from-file:4222
lattice: fromfile
logLevel: debug
controller:
  tickInterval: 2s
  maxVersions: 7
host:
  heartbeatInterval: 3s
  label: { zone: east }
`,
);
// Without these the rows below would depend on the environment the tests run in.
const CLEAN = {
  NATS_URL: "",
  NADM_LATTICE: "",
  NADM_LOG_LEVEL: "",
  LOG_LEVEL: "",
  NADM_MAX_VERSIONS: "",
  NADM_CONFIG: "",
};

async function effective(args: string[], env: Record<string, string> = {}) {
  const r = await runCli([...args, "--print-config", "--json"], { env: { ...CLEAN, ...env } });
  assert.equal(r.code, 0, r.stderr);
  return r.json as {
    connection: { natsUrl: string; lattice: string };
    logLevel: string;
    controller?: { tickIntervalMs: number };
    resources?: { maxVersions: number };
    host?: { heartbeatInterval?: number; label?: Record<string, string> };
  };
}

test("precedence table: flags > environment > config file > defaults", async () => {
  type Row = { name: string; args: string[]; env?: Record<string, string>; want: Record<string, unknown> };
  const pick = (c: Awaited<ReturnType<typeof effective>>) => ({
    natsUrl: c.connection.natsUrl,
    lattice: c.connection.lattice,
    logLevel: c.logLevel,
    tickIntervalMs: c.controller?.tickIntervalMs,
    maxVersions: c.resources?.maxVersions,
  });
  const defaults = {
    natsUrl: "nats://127.0.0.1:4222",
    lattice: "default",
    logLevel: "info",
    tickIntervalMs: 1_000,
    maxVersions: 100,
  };
  const fromFile = {
    natsUrl: "nats://alice:<redacted>@from-file:4222",
    lattice: "fromfile",
    logLevel: "debug",
    tickIntervalMs: 2_000,
    maxVersions: 7,
  };
  const rows: Row[] = [
    { name: "defaults", args: ["controller"], want: defaults },
    { name: "file", args: ["controller", "--config", configFile], want: fromFile },
    {
      name: "file named by NADM_CONFIG",
      args: ["controller"],
      env: { NADM_CONFIG: configFile },
      want: fromFile,
    },
    {
      name: "env over file",
      args: ["controller", "--config", configFile],
      env: {
        NATS_URL: "nats://from-env:4222",
        NADM_LATTICE: "fromenv",
        NADM_LOG_LEVEL: "warn",
        NADM_MAX_VERSIONS: "9",
      },
      want: {
        ...fromFile,
        natsUrl: "nats://from-env:4222",
        lattice: "fromenv",
        logLevel: "warn",
        maxVersions: 9,
      },
    },
    {
      name: "flags over env and file",
      args: [
        "--nats-url",
        "nats://from-flag:4222",
        "--lattice",
        "fromflag",
        "--log-level",
        "error",
        "controller",
        "--config",
        configFile,
        "--tick-interval",
        "500ms",
        "--max-versions",
        "11",
      ],
      env: {
        NATS_URL: "nats://from-env:4222",
        NADM_LATTICE: "fromenv",
        NADM_LOG_LEVEL: "warn",
        NADM_MAX_VERSIONS: "9",
      },
      want: {
        natsUrl: "nats://from-flag:4222",
        lattice: "fromflag",
        logLevel: "error",
        tickIntervalMs: 500,
        maxVersions: 11,
      },
    },
  ];
  for (const row of rows) assert.deepEqual(pick(await effective(row.args, row.env)), row.want, row.name);
});

test("nadm host reads its own section; a flag beats it", async () => {
  const fromFile = await effective(["host", "--config", configFile]);
  assert.equal(fromFile.host?.heartbeatInterval, 3_000);
  assert.deepEqual(fromFile.host?.label, { zone: "east" });
  const flagged = await effective(["host", "--config", configFile, "--heartbeat-interval", "1s"]);
  assert.equal(flagged.host?.heartbeatInterval, 1_000);
});

test("--print-config redacts a password given as a flag", async () => {
  const r = await runCli(["--user", "bob", "--password", "hunter2", "controller", "--print-config"], {
    env: CLEAN,
  });
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stdout, /hunter2/);
  assert.match(r.stdout, /password: <redacted>/);
});

test("a bare-number duration exits 2 with a hint naming the flag", async () => {
  for (const args of [
    ["host", "--heartbeat-interval", "1"],
    ["controller", "--tick-interval", "250"],
  ]) {
    const r = await runCli(args, { env: CLEAN, timeoutMs: 20_000 });
    assert.equal(r.code, 2, args.join(" "));
    assert.match(
      r.stderr,
      new RegExp(
        `'${args[1]} <duration>' argument '${args[2]}' is invalid\\. "${args[2]}" has no unit: write e\\.g\\. ${args[2]}s or ${args[2]}ms`,
      ),
    );
  }
});

test("an invalid config file exits 2 naming each field", async () => {
  const bad = join(dir, "bad.yaml");
  writeFileSync(bad, "controller:\n  tickInterval: 1\n  bogus: true\n");
  const r = await runCli(["controller", "--config", bad, "--json"], { env: CLEAN });
  assert.equal(r.code, 2);
  const body = r.json as { error: { details: Array<{ path: string; message: string }> } };
  assert.deepEqual(
    body.error.details.map((d) => d.path),
    ["controller.tickInterval", "controller.bogus"],
  );
});
