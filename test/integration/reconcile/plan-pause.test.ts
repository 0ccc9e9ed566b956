/**
 * `app plan` predicts what the reconciler then does, and writes nothing; `app pause` freezes a
 * rollout where it is and `resume` finishes it. Real nats-server, real controller, sim hosts.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { ApiClient } from "../../../src/api/client.js";
import { runSimFleet } from "../../../src/host/index.js";
import type { AppStatus } from "../../../src/streams/app-status.js";
import { startController } from "../../support/controller.js";
import { spreadApp, twoZoneApp } from "../../support/manifests.js";
import { testNats } from "../../support/nats.js";
import { recordCommands } from "../../support/rollout-watch.js";
import { statusWhere as waitForStatus } from "../../support/status.js";
import { waitFor } from "../../support/wait.js";

const TICK_MS = 200;
const nats = await testNats();
const nc = await nats.connect();
await startController(nc, { tickIntervalMs: TICK_MS });
const api = new ApiClient(nc, "default");
const jsm = await jetstreamManager(nc);

const rollout = { maxSurge: 0, maxUnavailable: 1, serialBy: "zone" };
const manifest = (name: string, version: string) => twoZoneApp(name, version, rollout);

const statusWhere = (name: string, ok: (s: AppStatus) => boolean, what: string) =>
  waitForStatus(api, name, ok, what);

async function deployed(name: string, version: string): Promise<AppStatus> {
  return statusWhere(
    name,
    (s) => s.phase === "deployed" && s.version === version,
    `${name} ${version} deployed`,
  );
}

async function sixHosts(prefix: string): Promise<void> {
  const fleet = await runSimFleet({ nc, count: 6, hostIdPrefix: prefix, zones: ["a", "b"], simStartMs: 300 });
  after(() => fleet.stop());
}

/** What only a write on behalf of the app could move: commands, manifests, statuses, app events. */
async function marks(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const stream of ["nadm_commands", "KV_nadm_manifests", "KV_nadm_status"]) {
    out[stream] = (await jsm.streams.info(stream)).state.last_seq;
  }
  const apps = await jsm.streams.info("nadm_events", { subjects_filter: "nadm.evt.*.app_*" });
  out.appEvents = Object.values(apps.state.subjects ?? {}).reduce((n, c) => n + c, 0);
  return out;
}

test("plan lists the waves in the order the reconciler takes them, and changes nothing", async () => {
  await sixHosts("p");
  await api.put(manifest("planned", "v1"));
  await api.deploy("planned", "v1");
  await deployed("planned", "v1");
  await api.put(manifest("planned", "v2"));

  const before = await marks();
  const plan = await api.plan({ name: "planned", version: "v2" });
  assert.deepEqual(await marks(), before, "plan wrote something");

  assert.equal(plan.from, "v1");
  assert.equal(plan.finished, true);
  assert.equal(plan.phase, "deployed");
  assert.equal(plan.waves.length, 12, "6 stops and 6 starts, one at a time");
  const zonesInOrder = plan.waves.map((w) => w.groups.join());
  assert.deepEqual(zonesInOrder, ["a", "a", "a", "a", "a", "a", "b", "b", "b", "b", "b", "b"]);
  assert.deepEqual(
    Object.values(plan.placement.web ?? {}).reduce((a, b) => a + b, 0),
    6,
  );

  const log = await recordCommands(nc, "planned");
  after(() => log.stop());
  await api.deploy("planned", "v2");
  await deployed("planned", "v2");
  await waitFor(() => (log.commands.length >= 12 ? true : undefined), { what: "12 commands recorded" });
  const predicted = plan.waves.map((w) => w.commands.map((c) => `${c.hostId} ${c.workload} ${c.to}`));
  const actual = log.commands.map((c) => [`${c.hostId} ${c.key} ${c.count}`]);
  assert.deepEqual(actual, predicted);
});

test("plan of a manifest that cannot be placed says why, in the status's words", async () => {
  await sixHosts("n");
  const text = spreadApp("nowhere", {
    instances: 2,
    spread: [{ name: "mars", requirements: { zone: "mars" }, weight: 1 }],
    version: "v1",
  });
  const plan = await api.plan({ manifest: text });
  assert.equal(plan.phase, "failed");
  assert.match(plan.message, /no host matches zone=mars \(spread group "mars"\)/);
  await assert.rejects(api.status("nowhere"), /not found/, "plan stored nothing");
});

test("pause holds a rollout where it is for ≥ 3 ticks; resume finishes it", async () => {
  await sixHosts("q");
  await api.put(manifest("paused", "v1"));
  await api.deploy("paused", "v1");
  await deployed("paused", "v1");
  await api.put(manifest("paused", "v2"));
  await api.deploy("paused", "v2");
  await statusWhere(
    "paused",
    (s) => (s.components[0]?.rollout?.readyNew ?? 0) >= 2,
    "two v2 instances ready",
  );
  await api.pause("paused");
  const held = await statusWhere("paused", (s) => s.phase === "paused", "paused");
  assert.match(held.message, /^paused: rolling v1 → v2: \d\/6 on v2/);
  const log = await recordCommands(nc, "paused");
  after(() => log.stop());
  // Let in-flight commands land, then watch the placement stand still for more than 3 ticks.
  const settled = await waitFor(
    async () => {
      const s = await api.status("paused");
      return s.components[0]?.running === s.components[0]?.ready ? s : undefined;
    },
    { what: "instances settled" },
  );
  const count = log.commands.length;
  const started = Date.now();
  await waitFor(() => (Date.now() - started > 4 * TICK_MS ? true : undefined), { what: "4 ticks" });
  const still = await api.status("paused");
  assert.equal(log.commands.length, count, "no command while paused");
  assert.equal(still.phase, "paused");
  assert.deepEqual(still.components[0]?.hosts, settled.components[0]?.hosts);

  await api.resume("paused");
  const done = await deployed("paused", "v2");
  assert.equal(done.components[0]?.ready, 6);
});

test("history --commands skips a malformed message on the command stream instead of failing", async () => {
  await api.put(manifest("audited", "v1"));
  await jetstream(nc).publish("nadm.cmd.default.nobody", "not json");
  const h = await api.history("audited", { commands: true });
  assert.deepEqual(h.commands, []);
  assert.deepEqual(
    h.actions.map((a) => a.action),
    ["put"],
  );
});
