import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { jetstreamManager } from "@nats-io/jetstream";
import { resolve, resourcesSchema } from "../../../src/config.js";
import {
  formatHostsTable,
  HostAgent,
  InvalidHostIdError,
  listHosts,
  resolveHostId,
} from "../../../src/host/index.js";
import { BUILTIN_LABELS, type HostRecord } from "../../../src/streams/host-record.js";
import { provision } from "../../../src/streams/provision.js";
import { isToken } from "../../../src/streams/subjects.js";
import { testNats } from "../../support/nats.js";

const nats = await testNats();
const nc = await nats.connect();
const { hosts: kv } = await provision(nc, { resources: resolve(resourcesSchema, {}) });
const dataRoot = mkdtempSync(join(tmpdir(), "nadm-list-"));
after(() => rmSync(dataRoot, { recursive: true, force: true }));

test("listHosts returns the lattice's valid records, sorted, skipping invalid values", async (t) => {
  const agents = ["b-host", "a-host"].map(
    (hostId) =>
      new HostAgent({ nc, lattice: "listing", hostId, driver: "sim", labels: { zone: hostId[0]! } }),
  );
  const other = new HostAgent({ nc, lattice: "elsewhere", hostId: "c-host", driver: "sim" });
  for (const a of [...agents, other]) {
    t.after(() => a.stop());
    await a.start();
  }
  await kv.put("listing.garbage", "not json");
  await kv.put("listing.weird", JSON.stringify({ hostId: "weird" }));
  const hosts = await listHosts(kv, await jetstreamManager(nc), "listing");
  assert.deepEqual(
    hosts.map((h) => h.hostId),
    ["a-host", "b-host"],
  );
  assert.equal(hosts[0]?.labels.zone, "a");
  assert.equal(hosts[0]?.driver, "sim");
});

test("formatHostsTable aligns columns, hides built-in labels and sums workloads", () => {
  const now = Date.parse("2025-01-01T12:00:00Z");
  const base: HostRecord = {
    hostId: "h1",
    lattice: "default",
    labels: { [BUILTIN_LABELS.hostname]: "box", [BUILTIN_LABELS.os]: "linux", zone: "east", tier: "web" },
    driver: "process",
    version: "0.1.0",
    startedAt: "2025-01-01T09:55:00Z",
    updatedAt: "2025-01-01T11:59:57Z",
    heartbeatIntervalMs: 5000,
    heartbeatSeq: 9,
    inventory: {
      "app.web.r1": inv("app", "web", "r1", 2, 2),
      "app.web.r2": inv("app", "web", "r2", 1, 1),
      "app.db.r1": inv("app", "db", "r1", 1, 0),
    },
  };
  const idle: HostRecord = { ...base, hostId: "sim-10", labels: {}, driver: "sim", inventory: {} };
  idle.startedAt = "2025-01-01T11:59:15Z";
  assert.equal(
    formatHostsTable([base, idle], now),
    [
      "ID      LABELS              DRIVER   AGE   LAST SEEN  WORKLOADS",
      "h1      tier=web,zone=east  process  2h5m  3s ago     app.db×0/1, app.web×3",
      "sim-10  -                   sim      45s   3s ago     -",
    ].join("\n"),
  );
  assert.equal(formatHostsTable([], now), "ID  LABELS  DRIVER  AGE  LAST SEEN  WORKLOADS");
});

function inv(app: string, component: string, rev: string, desired: number, running: number) {
  return { app, component, rev, desired, running, ready: running, failed: 0, restarts: 0, lastError: null };
}

test("resolveHostId: explicit wins, else a generated id is persisted and reused", async () => {
  const dir = join(dataRoot, "identity");
  assert.equal(await resolveHostId("edge-1", dir), "edge-1");
  await assert.rejects(resolveHostId("bad.id", dir), InvalidHostIdError);
  const generated = await resolveHostId(undefined, dir);
  assert.match(generated, /^host-[0-9a-f]{8}$/);
  assert.ok(isToken(generated));
  assert.equal(readFileSync(join(dir, "host-id"), "utf8").trim(), generated);
  assert.equal(await resolveHostId(undefined, dir), generated, "reused on restart");
});
