/**
 * `nadm commands watch` and `nadm events watch`: one line per message, filtered by app, as
 * commands and events flow during a deploy.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { ApiClient } from "../../../src/api/client.js";
import { runSimFleet } from "../../../src/host/index.js";
import { startController } from "../../support/controller.js";
import { spreadApp } from "../../support/manifests.js";
import { testNats } from "../../support/nats.js";
import { spawnNadm } from "../../support/processes.js";
import { waitFor } from "../../support/wait.js";

const nats = await testNats();
const nc = await nats.connect();
await startController(nc);
const fleet = await runSimFleet({ nc, count: 2, zones: ["a"] });
after(() => fleet.stop());
const api = new ApiClient(nc, "default");
const env = { NATS_URL: nats.url, NADM_LOG_LEVEL: "warn" };

const manifest = (name: string) => spreadApp(name, { instances: 2 });

const jsonLines = (text: string) =>
  text
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

test("commands watch shows each command of the watched app, events watch shows the events", async () => {
  const commands = spawnNadm("commands-watch", ["commands", "watch", "--app", "watched", "--json"], env);
  const human = spawnNadm("commands-watch-human", ["commands", "watch"], env);
  const events = spawnNadm("events-watch", ["events", "watch", "--json"], env);
  // The watchers follow new messages only: each says on stderr when it has begun.
  for (const watcher of [commands, human, events]) {
    await waitFor(() => watcher.output().includes("watching nadm_"), {
      timeoutMs: 15_000,
      what: `${watcher.name} to begin`,
    });
  }
  assert.match(commands.output(), /watching nadm_commands in lattice default for app watched: new messages/);
  for (const name of ["watched", "other"]) {
    const put = await api.put(manifest(name));
    await api.deploy(name, put.version);
  }
  const cmds = await waitFor(
    () => {
      const lines = jsonLines(commands.output());
      return lines.length >= 2 ? lines : undefined;
    },
    { timeoutMs: 15_000, what: "2 commands" },
  );
  assert.ok(
    cmds.every((c) => c.app === "watched" && c.count === 1),
    JSON.stringify(cmds),
  );
  assert.deepEqual(cmds.map((c) => c.hostId).sort(), ["sim-0", "sim-1"]);
  await waitFor(
    () =>
      /sim-0 {2}watched\.web\.\w+ → 1 {2}\(spreadscaler: 1 on sim-0; based on rev \d+\)/.test(human.output()),
    {
      timeoutMs: 15_000,
      what: "a human command line",
    },
  );
  await waitFor(
    () => {
      const types = new Set(jsonLines(events.output()).map((e) => e.type));
      return ["dev.nadm.app_put", "dev.nadm.app_deployed", "dev.nadm.workload_scaled"].every((t) =>
        types.has(t),
      );
    },
    { timeoutMs: 15_000, what: "app and workload events" },
  );
});

test("app status --watch --json prints each status change as one JSON line until stopped", async () => {
  const put = await api.put(manifest("watched-status"));
  const watcher = spawnNadm("status-watch", ["app", "status", "watched-status", "--watch", "--json"], env);
  await waitFor(() => jsonLines(watcher.output()).some((s) => s.phase === "undeployed"), {
    timeoutMs: 15_000,
    what: "the current status first",
  });
  await api.deploy("watched-status", put.version);
  const seen = await waitFor(
    () => {
      const phases = jsonLines(watcher.output()).map((s) => s.phase);
      return phases.includes("deployed") ? phases : undefined;
    },
    { timeoutMs: 15_000, what: "deployed" },
  );
  assert.equal(seen[0], "undeployed");
  assert.equal(await watcher.stop(), 0, "stops cleanly on a signal");
  assert.ok(!watcher.output().includes("undefined"));
});
