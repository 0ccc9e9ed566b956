/**
 * `nadm app ...` and `nadm schema` as a user runs them: the CLI as a child process against a
 * controller running in this process, `--json` output parsed, exit codes checked
 * (ARCHITECTURE §10: 0 ok, 1 error reply, 2 usage).
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { Kvm } from "@nats-io/kv";
import type * as P from "../../../src/api/protocol.js";
import { controllerSchema, resolve, resourcesSchema } from "../../../src/config.js";
import { Controller } from "../../../src/controller.js";
import { silentLogger } from "../../../src/log.js";
import { ScalerRegistry } from "../../../src/scalers/index.js";
import type { AppStatus } from "../../../src/streams/app-status.js";
import { BUCKETS } from "../../../src/streams/subjects.js";
import { type CliResult, runCli } from "../../support/cli.js";
import { testNats } from "../../support/nats.js";
import { waitFor } from "../../support/wait.js";
import { manifest, manifestYaml } from "./helpers.js";

const nats = await testNats();
const nc = await nats.connect();
const controller = new Controller({
  nc,
  resources: resolve(resourcesSchema, {}),
  controller: resolve(controllerSchema, {}),
  registry: new ScalerRegistry(),
  log: silentLogger(),
});
const dir = mkdtempSync(join(tmpdir(), "nadm-cli-test-"));
const CLOSED = { NATS_URL: "nats://127.0.0.1:1" };
const file = (name: string, content: string) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};
const v1File = file("v1.yaml", manifestYaml("cli-app", "v1"));
const invalidFile = file("bad.yaml", manifestYaml("Cli.App", "v1").replace("instances: 1", "instances: -1"));

before(() => controller.start());
after(async () => {
  await controller.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** `nadm ARGS` against the test server. */
function nadm(args: string[], opts: { input?: string; env?: Record<string, string> } = {}) {
  return runCli(args, { env: { NATS_URL: nats.url, ...opts.env }, input: opts.input });
}

function expectOk(r: CliResult): unknown {
  assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}${r.stdout}`);
  return r.json;
}

/** Checks that every row's cells start in the column of their header (an aligned table). */
function assertTable(text: string, headers: string[]): string[] {
  const lines = text.trimEnd().split("\n");
  const headerLine = lines.findIndex((l) => l.startsWith(headers[0]!));
  assert.ok(headerLine >= 0, `header ${headers[0]} in:\n${text}`);
  const head = lines[headerLine]!;
  const starts = headers.map((h) => head.indexOf(h));
  assert.ok(
    starts.every((s, i) => s >= 0 && (i === 0 || s > starts[i - 1]!)),
    `headers ${headers} in ${head}`,
  );
  const rows = lines.slice(headerLine + 1);
  assert.ok(rows.length > 0, "at least one row");
  for (const row of rows) {
    for (const s of starts.slice(1)) {
      if (row.length <= s) continue; // an empty last cell (trailing spaces are trimmed)
      assert.match(row.slice(s - 2, s + 1), /^ {2}\S/, `cell at column ${s} of "${row}"`);
    }
  }
  return rows;
}

test("offline and failing invocations: validate, schema, usage errors, unreachable NATS, oversized file", async () => {
  const huge = file("huge.yaml", `${manifestYaml("huge", "v1")}#${"x".repeat(2 * 1024 * 1024)}`);
  const [valid, invalid, schema, missingArg, unknownFlag, unreachable, oversized] = await Promise.all([
    nadm(["app", "validate", v1File, "--json"], { env: CLOSED }),
    nadm(["app", "validate", invalidFile, "--json"], { env: CLOSED }),
    nadm(["schema"], { env: CLOSED }),
    nadm(["app", "deploy"]),
    nadm(["app", "list", "--bogus"]),
    nadm(["app", "list", "--timeout", "1500ms"], { env: CLOSED }),
    nadm(["app", "put", huge], { env: CLOSED }),
  ]);

  assert.deepEqual(expectOk(valid), { valid: true, name: "cli-app", version: "v1", components: ["web"] });

  assert.equal(invalid.code, 1);
  const err = (invalid.json as { error: { code: string; message: string; details: Array<{ path: string }> } })
    .error;
  assert.equal(err.code, "invalid_manifest");
  assert.ok(err.message.length > 0);
  assert.deepEqual(
    err.details.map((d) => d.path),
    ["metadata.name", "spec.components[0].traits[0].properties.instances"],
  );

  const s = expectOk(schema) as { properties?: { spec?: unknown } };
  assert.ok(s.properties?.spec, "JSON Schema with properties.spec");

  assert.equal(missingArg.code, 2);
  assert.match(missingArg.stderr, /missing required argument 'name'/);
  assert.equal(unknownFlag.code, 2);
  assert.match(unknownFlag.stderr, /unknown option '--bogus'/);

  // Unreachable NATS is `unavailable`: retried until --timeout, saying what it waits for, then
  // one error line.
  assert.equal(unreachable.code, 1);
  const lines = unreachable.stderr.trim().split("\n");
  assert.ok(lines.length >= 2, `waited before failing: ${unreachable.stderr}`);
  for (const line of lines.slice(0, -1))
    assert.match(line, /^waiting: cannot connect to NATS at nats:\/\/127\.0\.0\.1:1/);
  assert.match(lines.at(-1)!, /^error \(unavailable\): cannot connect to NATS at nats:\/\/127\.0\.0\.1:1/);
  assert.doesNotMatch(unreachable.stderr, /^\s+at /m, "no stack trace");

  assert.equal(oversized.code, 2, oversized.stderr);
  assert.match(oversized.stderr, /is 209\d{4} bytes; a manifest may be at most 1048576 bytes/);
  assert.doesNotMatch(oversized.stderr, /connect/, "refused before contacting NATS");
});

test("the app lifecycle through the CLI", async () => {
  const put1 = expectOk(await nadm(["app", "put", v1File, "--json"])) as P.PutResult;
  assert.deepEqual(put1, { name: "cli-app", version: "v1", created: true, versions: 1 });
  const put2 = expectOk(
    await nadm(["app", "put", "-", "--json"], { input: JSON.stringify(manifest("cli-app", "v2", 2)) }),
  ) as P.PutResult;
  assert.deepEqual(put2, { name: "cli-app", version: "v2", created: true, versions: 2 });
  const deployed = expectOk(await nadm(["app", "deploy", "cli-app", "--json"])) as P.DeployResult;
  assert.deepEqual(deployed, { name: "cli-app", version: "v2", changed: true });

  // The controller reconciles the deployment and records a status (no hosts: not deployed yet).
  const statusKv = await new Kvm(nc).open(BUCKETS.status);
  await waitFor(
    async () => {
      const e = await statusKv.get("default.cli-app");
      return e?.operation === "PUT" && e.json<AppStatus>().version === "v2";
    },
    { what: "a status of cli-app v2" },
  );

  const [listHuman, listJson, versionsHuman, getJson, getV1, statusHuman, historyJson, historyHuman] =
    await Promise.all([
      nadm(["app", "list"]),
      nadm(["app", "list", "--json"]),
      nadm(["app", "versions", "cli-app"]),
      nadm(["app", "get", "cli-app", "--json"]),
      nadm(["app", "get", "cli-app", "--version", "v1"]),
      nadm(["app", "status", "cli-app"]),
      nadm(["app", "history", "cli-app", "--json"]),
      nadm(["app", "history", "cli-app"]),
    ]);

  expectOk(listHuman);
  const listRows = assertTable(listHuman.stdout, [
    "NAME",
    "DEPLOYED",
    "LATEST",
    "VERSIONS",
    "PHASE",
    "MESSAGE",
  ]);
  assert.match(listRows[0]!, /^cli-app\s+v2\s+v2\s+2\s+/);
  const listed = (expectOk(listJson) as P.ListResult).apps;
  assert.deepEqual(
    listed.map((a) => [a.name, a.deployedVersion, a.latestVersion, a.versions]),
    [["cli-app", "v2", "v2", 2]],
  );

  expectOk(versionsHuman);
  const versionRows = assertTable(versionsHuman.stdout, ["VERSION", "CREATED", "DEPLOYED"]);
  assert.deepEqual(
    versionRows.map((r) => r.split(/\s+/).filter(Boolean)),
    [
      ["v1", versionRows[0]!.split(/\s+/)[1]],
      ["v2", versionRows[1]!.split(/\s+/)[1], "yes"],
    ],
  );

  const got = expectOk(getJson) as P.GetResult;
  assert.equal(got.version, "v2");
  assert.equal(got.deployed, true);
  expectOk(getV1);
  assert.match(getV1.stdout, /^apiVersion: nadm\.dev\/v1$/m, "YAML");
  assert.match(getV1.stdout, /version: v1/);

  expectOk(statusHuman);
  assert.match(statusHuman.stdout, /^app: +cli-app$/m);
  assert.match(statusHuman.stdout, /^version: +v2$/m);
  assert.doesNotMatch(statusHuman.stdout, /^phase: +undeployed$/m);
  assertTable(statusHuman.stdout, ["COMPONENT", "SCALER", "PHASE", "READY", "RUNNING", "HOSTS", "MESSAGE"]);

  const history = expectOk(historyJson) as P.HistoryResult;
  assert.equal(history.name, "cli-app");
  assert.ok(history.entries.length >= 1);
  assert.equal(history.entries.at(-1)?.version, "v2");
  expectOk(historyHuman);
  assert.deepEqual(
    history.actions.map((a) => [a.action, a.version]),
    [
      ["put", "v1"],
      ["put", "v2"],
      ["deploy", "v2"],
    ],
  );
  assertTable(historyHuman.stdout, ["TIME", "WHAT", "VERSION", "DETAIL"]);

  const paused = expectOk(await nadm(["app", "pause", "cli-app", "--json"]));
  assert.deepEqual(paused, { name: "cli-app", paused: true, changed: true });
  const resumed = expectOk(await nadm(["app", "resume", "cli-app", "--json"]));
  assert.deepEqual(resumed, { name: "cli-app", paused: false, changed: true });
  const undeployed = expectOk(await nadm(["app", "undeploy", "cli-app", "--json"]));
  assert.deepEqual(undeployed, { name: "cli-app", version: null, changed: true });
  const delV1 = expectOk(await nadm(["app", "delete", "cli-app", "--version", "v1", "--json"]));
  assert.deepEqual(delV1, { name: "cli-app", version: "v1", deleted: true, undeployed: false });
  const delAll = await nadm(["app", "delete", "cli-app"]);
  expectOk(delAll);
  assert.match(delAll.stdout, /^deleted cli-app$/m);
  const manifestsKv = await new Kvm(nc).open(BUCKETS.manifests);
  assert.equal((await manifestsKv.get("default.cli-app"))?.operation, "DEL");
});

test("an error reply exits 1: a message on stderr, or the error as JSON with --json", async () => {
  const [human, json] = await Promise.all([
    nadm(["app", "deploy", "missing-app"]),
    nadm(["app", "deploy", "missing-app", "--json"]),
  ]);
  assert.equal(human.code, 1);
  assert.match(human.stderr, /^error \(not_found\): application "missing-app" not found/);
  assert.equal(human.stdout, "");
  assert.equal(json.code, 1);
  const body = json.json as { error: { code: string; message: string } };
  assert.equal(body.error.code, "not_found");
  assert.match(body.error.message, /missing-app/);
});
