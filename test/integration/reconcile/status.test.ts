/**
 * The status scenarios of the reconciler issue, each on a real nats-server with a real
 * controller and hosts: what `app status` says, and why.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { ApiClient } from "../../../src/api/client.js";
import { HostAgent, runSimFleet } from "../../../src/host/index.js";
import type { AppStatus } from "../../../src/streams/app-status.js";
import { startController } from "../../support/controller.js";
import { testNats } from "../../support/nats.js";
import { statusWhere as waitForStatus } from "../../support/status.js";

const nats = await testNats();
const nc = await nats.connect();
await startController(nc, { tickIntervalMs: 200 });
const api = new ApiClient(nc, "default");

function app(name: string, properties: object, traits: object[]): string {
  return JSON.stringify({
    apiVersion: "nadm.dev/v1",
    kind: "Application",
    metadata: { name, annotations: { version: "v1" } },
    spec: { components: [{ name: "main", type: "process", properties, traits }] },
  });
}

const spread = (instances: number, groups?: object[]) => ({
  type: "spreadscaler",
  properties: groups ? { instances, spread: groups } : { instances },
});

async function deploy(manifest: string): Promise<string> {
  const put = await api.put(manifest);
  await api.deploy(put.name, put.version);
  return put.name;
}

const statusWhere = (name: string, ok: (s: AppStatus) => boolean, what: string) =>
  waitForStatus(api, name, ok, what, 15_000);

test("no hosts in the lattice → waiting, saying so", async () => {
  const name = await deploy(app("lonely", { command: "sleep", args: ["60"] }, [spread(2)]));
  const s = await statusWhere(name, (s) => s.phase === "waiting", "waiting");
  assert.equal(s.message, "no hosts in lattice");
});

test("a spread group no host matches → failed, naming the group; then reconciling N/M ready; then deployed", async () => {
  const east = await runSimFleet({ nc, count: 2, hostIdPrefix: "east", zones: ["east"], simStartMs: 1_500 });
  after(() => east.stop());
  const name = await deploy(
    app("zoned", { command: "sim" }, [
      spread(4, [
        { name: "east", requirements: { zone: "east" }, weight: 3 },
        { name: "west", requirements: { zone: "west" }, weight: 1 },
      ]),
    ]),
  );
  const failed = await statusWhere(name, (s) => s.phase === "failed", "failed");
  assert.match(failed.message, /no host matches zone=west \(spread group "west"\)/);

  const west = await runSimFleet({ nc, count: 1, hostIdPrefix: "west", zones: ["west"], simStartMs: 1_500 });
  after(() => west.stop());
  const starting = await statusWhere(name, (s) => s.phase === "reconciling", "reconciling");
  assert.match(starting.message, /^[0-3]\/4 ready/);
  const done = await statusWhere(name, (s) => s.phase === "deployed", "deployed");
  assert.equal(done.message, "4/4 ready");
  assert.deepEqual(done.components[0]?.hosts, { "east-0": 2, "east-1": 1, "west-0": 1 });
});

test("a crash-looping process → failed with its exit reason", async () => {
  const host = new HostAgent({
    nc,
    hostId: "crashy",
    labels: { role: "crash" },
    dataDir: `${nats.storeDir}/crashy`,
    backoff: { baseMs: 50, maxMs: 200 },
  });
  await host.start();
  after(() => host.stop());
  const name = await deploy(
    app("crasher", { command: "sh", args: ["-c", "echo boom >&2; exit 3"] }, [
      spread(1, [{ name: "crash", requirements: { role: "crash" } }]),
    ]),
  );
  const s = await statusWhere(name, (s) => s.phase === "failed", "crash loop reported");
  assert.match(s.message, /crash-looping on crashy/);
  assert.match(s.message, /3/);
  assert.match(s.message, /boom/);
});

test("a command that does not exist → failed, saying so", async () => {
  const host = new HostAgent({
    nc,
    hostId: "nocmd",
    labels: { role: "nocmd" },
    dataDir: `${nats.storeDir}/nocmd`,
    backoff: { baseMs: 50, maxMs: 200 },
  });
  await host.start();
  after(() => host.stop());
  const name = await deploy(
    app("missing", { command: "/nonexistent/server" }, [
      spread(1, [{ name: "x", requirements: { role: "nocmd" } }]),
    ]),
  );
  const s = await statusWhere(name, (s) => s.phase === "failed", "failed");
  assert.match(s.message, /crash-looping on nocmd/);
  assert.match(s.message, /nonexistent/);
});
