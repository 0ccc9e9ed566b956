/**
 * Zero-downtime rollouts on a real nats-server, a real controller and sim hosts in two zones:
 * a watcher samples every host inventory change and keeps the worst moment.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { ApiClient } from "../../../src/api/client.js";
import { runSimFleet, type SimFleet } from "../../../src/host/index.js";
import type { AppStatus } from "../../../src/streams/app-status.js";
import { startController } from "../../support/controller.js";
import { twoZoneApp } from "../../support/manifests.js";
import { testNats } from "../../support/nats.js";
import { watchRollout } from "../../support/rollout-watch.js";
import { statusWhere as waitForStatus } from "../../support/status.js";
import { waitFor } from "../../support/wait.js";

const nats = await testNats();
const nc = await nats.connect();
await startController(nc, { tickIntervalMs: 200 });
const api = new ApiClient(nc, "default");

/** Three hosts per zone, one fleet per host so that one can be stopped alone; instances take 300 ms to be ready. */
async function zones(prefix: string): Promise<Map<string, SimFleet>> {
  const fleets = new Map<string, SimFleet>();
  for (const zone of ["a", "b"]) {
    for (let i = 1; i <= 3; i++) {
      const id = `${prefix}${zone}${i}`;
      const fleet = await runSimFleet({
        nc,
        count: 1,
        hostIdPrefix: id,
        zones: [zone],
        simStartMs: 300,
        heartbeatIntervalMs: 1_000,
      });
      after(() => fleet.stop());
      fleets.set(`${id}-0`, fleet);
    }
  }
  return fleets;
}

const manifest = twoZoneApp;

const statusWhere = (name: string, ok: (s: AppStatus) => boolean, what: string) =>
  waitForStatus(api, name, ok, what);

const deployedAt = (version: string) => (s: AppStatus) => s.phase === "deployed" && s.version === version;

async function deployV1(name: string, rollout: Record<string, unknown>): Promise<void> {
  await api.put(manifest(name, "v1", rollout));
  await api.deploy(name, "v1");
  await statusWhere(name, deployedAt("v1"), `${name} v1 deployed`);
}

/** Instances per version at the end, from the hosts' own reports. */
function onHosts(
  records: Iterable<{ inventory: Record<string, { app: string; ready: number; running: number }> }>,
  app: string,
  key: string,
) {
  let [onKey, other] = [0, 0];
  for (const r of records) {
    for (const [k, inv] of Object.entries(r.inventory)) {
      if (inv.app !== app) continue;
      if (k === key) onKey += inv.ready;
      else other += inv.running;
    }
  }
  return { onKey, other };
}

async function rollTo(name: string, version: string, rollout: Record<string, unknown>) {
  await api.put(manifest(name, version, rollout));
  const watch = await watchRollout(nc, name);
  after(() => watch.stop());
  await api.deploy(name, version);
  const rolling = await statusWhere(name, (s) => s.components[0]?.rollout !== undefined, "rolling status");
  const done = await statusWhere(name, deployedAt(version), `${name} ${version} deployed`);
  // "deployed" means the hosts reported it; let the watcher see those same reports.
  await waitFor(
    () =>
      onHosts(watch.records.values(), name, done.components[0] ? rolling.components[0]!.rollout!.key : "")
        .other === 0
        ? true
        : undefined,
    { timeoutMs: 5_000, what: "watcher caught up" },
  );
  watch.stop();
  return { watch, rolling, done };
}

test("cluster by cluster: surge 0, unavailable 1, serialBy zone → ready never below 5, one zone at a time", async () => {
  await zones("s");
  const rollout = { maxSurge: 0, maxUnavailable: 1, serialBy: "zone" };
  await deployV1("zoned", rollout);
  const { watch, rolling, done } = await rollTo("zoned", "v2", rollout);
  assert.match(
    rolling.components[0]!.message,
    /^rolling v1 → v2: \d\/6 on v2, (zone [ab] in progress, )?\d\/6 available(; .+)?$/,
  );
  assert.ok(watch.minReady >= 5, `ready fell to ${watch.minReady}`);
  assert.equal(watch.maxDisruptedGroups, 1, "instances of two zones disrupted at once");
  assert.ok(watch.maxInstances <= 6, `${watch.maxInstances} instances at once with maxSurge 0`);
  assert.equal(Object.keys(done.components[0]!.hosts).length, 6);
  assert.deepEqual(onHosts(watch.records.values(), "zoned", rolling.components[0]!.rollout!.key), {
    onKey: 6,
    other: 0,
  });
});

test("surge 1, unavailable 0 → ready never below 6", async () => {
  await zones("u");
  const rollout = { maxSurge: 1, maxUnavailable: 0 };
  await deployV1("surging", rollout);
  const { watch } = await rollTo("surging", "v2", rollout);
  assert.ok(watch.minReady >= 6, `ready fell to ${watch.minReady}`);
  assert.ok(watch.maxInstances <= 7, `${watch.maxInstances} instances at once with maxSurge 1`);
});

test("from a heterogeneous state (one v2 already running, a zone-a host down) the bounds hold and it finishes", async () => {
  const fleets = await zones("h");
  const rollout = { maxSurge: 1, maxUnavailable: 0, serialBy: "zone" };
  await deployV1("mixed", rollout);
  // A zone-a host goes down; its instance is re-placed in zone a (not a rollout: v1 heals).
  const victim = "ha3-0";
  await fleets.get(victim)!.stop();
  await statusWhere(
    "mixed",
    (s) => s.phase === "deployed" && s.components[0]?.hosts[victim] === undefined,
    "v1 healed",
  );
  // One v2 instance running: start the rollout and pause it there (maxUnavailable 0 keeps 6 ready).
  await api.put(manifest("mixed", "v2", rollout));
  await api.deploy("mixed", "v2");
  await statusWhere("mixed", (s) => (s.components[0]?.rollout?.readyNew ?? 0) >= 1, "one v2 ready");
  await api.pause("mixed");
  await statusWhere(
    "mixed",
    (s) => s.phase === "paused" && s.components[0]?.running === s.components[0]?.ready,
    "paused, settled",
  );

  const watch = await watchRollout(nc, "mixed");
  after(() => watch.stop());
  await api.resume("mixed");
  const done = await statusWhere("mixed", deployedAt("v2"), "v2 deployed");
  watch.stop();
  assert.ok(watch.minReady >= 6, `ready fell to ${watch.minReady}`);
  assert.equal(watch.maxDisruptedGroups, 1);
  assert.ok(watch.maxInstances <= 7);
  assert.equal(done.components[0]?.ready, 6);
  assert.equal(done.components[0]?.hosts[victim], undefined);
});
