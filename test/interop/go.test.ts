/**
 * Interop from Go: test/interop/go is built in GOPATH mode against Debian's nats.go 1.22
 * (packages golang-go and golang-github-nats-io-go-nats-dev, installed by .ci/run) and run
 * against a real server, controller and sim host. It puts (twice, idempotently), deploys, waits
 * for `deployed`, checks the error envelopes of bad requests, follows the command and event
 * streams with ordered consumers and reads the KV index. Skipped, with a notice, where `go` is
 * not installed.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { runSimFleet } from "../../src/host/index.js";
import { startController } from "../support/controller.js";
import { testNats } from "../support/nats.js";

const run = promisify(execFile);
const SOURCE = fileURLToPath(new URL("./go/", import.meta.url));
/** Where Debian's golang-github-nats-io-go-nats-dev puts nats.go. */
const DEBIAN_GOPATH = "/usr/share/gocode";

async function goAvailable(): Promise<boolean> {
  return run("go", ["version"]).then(
    () => true,
    () => false,
  );
}

const hasGo = await goAvailable();
if (!hasGo) {
  process.stdout.write(
    "# Go interop test skipped: `go` is not on PATH (apt-get install golang-go golang-github-nats-io-go-nats-dev)\n",
  );
}

/** A server, a controller and two sim hosts, only when the test runs. */
async function startLattice() {
  const nats = await testNats();
  const nc = await nats.connect();
  await startController(nc, { tickIntervalMs: 200 });
  const fleet = await runSimFleet({ nc, count: 2, hostIdPrefix: "go" });
  after(() => fleet.stop());
  return nats;
}
const lattice = hasGo ? startLattice() : undefined;

test("a Go client (nats.go 1.22, legacy JetStreamContext) drives nadm through the documented wire protocol", {
  skip: !hasGo && "go is not installed",
}, async () => {
  const work = mkdtempSync(join(tmpdir(), "nadm-go-"));
  after(() => rmSync(work, { recursive: true, force: true }));
  const env = {
    ...process.env,
    GO111MODULE: "off",
    GOPATH: [join(work, "gopath"), DEBIAN_GOPATH].join(delimiter),
    GOCACHE: join(tmpdir(), "nadm-go-build-cache"),
    GOFLAGS: "",
  };
  const binary = join(work, "interop");
  await run("go", ["build", "-o", binary, "."], { cwd: SOURCE, env, timeout: 180_000 });

  const nats = await lattice!;
  const { stdout } = await run(binary, ["-url", nats.url, "-lattice", "default", "-app", "go-interop"], {
    timeout: 90_000,
  }).catch((err: { stdout?: string; stderr?: string }) => {
    throw new Error(`the Go client failed: ${err.stderr ?? ""}${err.stdout ?? ""}`);
  });
  const summary = JSON.parse(stdout.trim()) as Record<string, unknown>;
  assert.equal(summary.phase, "deployed");
  assert.equal(summary.badRequests, 6);
  assert.ok((summary.commands as number) >= 1);
  assert.deepEqual(summary.events, ["dev.nadm.app_put", "dev.nadm.app_deployed"]);
  assert.equal(typeof summary.natsGo, "string");
});
