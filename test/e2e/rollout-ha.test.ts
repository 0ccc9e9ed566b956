/**
 * A rollout survives a controller crash: 2 replicas as processes, 6 sim hosts in 2 zones, one
 * replica SIGKILLed mid-rollout. The bounds hold in every host report and the commands issued
 * equal the minimum the planner needs (the plan's own count): 1.00×.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { ApiClient } from "../../src/api/client.js";
import type { AppStatus } from "../../src/streams/app-status.js";
import { twoZoneApp } from "../support/manifests.js";
import { testNats } from "../support/nats.js";
import { type NadmProcess, spawnNadm } from "../support/processes.js";
import { recordCommands, watchRollout } from "../support/rollout-watch.js";
import { waitFor } from "../support/wait.js";

const nats = await testNats();
const env = { NATS_URL: nats.url, NADM_LOG_LEVEL: "warn" };
const rollout = { maxSurge: 0, maxUnavailable: 1, serialBy: "zone" };
const manifest = (version: string) => twoZoneApp("ha-roll", version, rollout);

test("a replica SIGKILLed mid-rollout: bounds hold, commands = 1.00 × the planner's minimum", async () => {
  const replicas: NadmProcess[] = [0, 1].map((i) =>
    spawnNadm(`controller-${i}`, ["controller", "--tick-interval", "250ms"], env),
  );
  spawnNadm(
    "sim",
    [
      "host",
      "--driver",
      "sim",
      "--sim-hosts",
      "6",
      "--sim-zones",
      "a,b",
      "--heartbeat-interval",
      "1s",
      "--sim-start-ms",
      "400",
    ],
    env,
  );
  const nc = await nats.connect();
  after(() => nc.close());
  const api = new ApiClient(nc, "default", 3_000);
  const status = (ok: (s: AppStatus) => boolean, what: string) =>
    waitFor(
      async () => {
        const s = await api.status("ha-roll").catch(() => undefined);
        return s && ok(s) ? s : undefined;
      },
      { timeoutMs: 60_000, what },
    );

  await waitFor(() => api.put(manifest("v1")).catch(() => undefined), { timeoutMs: 30_000, what: "API up" });
  await api.deploy("ha-roll", "v1");
  await status(
    (s) => s.phase === "deployed" && s.version === "v1" && s.components[0]?.ready === 6,
    "v1 deployed",
  );
  await api.put(manifest("v2"));
  const plan = await api.plan({ name: "ha-roll", version: "v2" });
  const minimum = plan.waves.reduce((n, w) => n + w.commands.length, 0);
  assert.equal(minimum, 12);

  const watch = await watchRollout(nc, "ha-roll");
  after(() => watch.stop());
  const log = await recordCommands(nc, "ha-roll");
  after(() => log.stop());
  await api.deploy("ha-roll", "v2");
  await waitFor(() => (log.commands.length >= 4 ? true : undefined), {
    timeoutMs: 30_000,
    what: "rollout under way",
  });
  await replicas[0]!.kill();
  const killedAt = log.commands.length;
  await status(
    (s) => s.phase === "deployed" && s.version === "v2" && s.components[0]?.ready === 6,
    "v2 deployed",
  );
  watch.stop();

  assert.ok(killedAt < minimum, "the replica died mid-rollout");
  assert.ok(watch.minReady >= 5, `ready fell to ${watch.minReady}`);
  assert.equal(watch.maxDisruptedGroups, 1, "two zones disrupted at once");
  assert.ok(watch.maxInstances <= 6, `${watch.maxInstances} instances with maxSurge 0`);
  const ratio = log.commands.length / minimum;
  console.log(
    JSON.stringify({
      metric: "rollout_ha_commands_over_minimum",
      value: ratio,
      commands: log.commands.length,
      minimum,
    }),
  );
  assert.equal(
    ratio,
    1,
    `commands: ${log.commands.map((c) => `${c.hostId} ${c.key} ${c.count}`).join("; ")}`,
  );
});
