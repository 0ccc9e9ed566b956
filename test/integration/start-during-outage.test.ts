/**
 * A host fleet and a controller replica that connected, then lost NATS before their start was
 * done (a nats-server crash right after boot), wait the outage out and come up once NATS is
 * back, instead of exiting with "timeout" (which left a lattice with no hosts in CI).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { NatsConnection } from "@nats-io/transport-node";
import { ApiClient } from "../../src/api/client.js";
import { controllerSchema, resolve, resourcesSchema } from "../../src/config.js";
import { startController } from "../../src/controller.js";
import { runSimFleet } from "../../src/host/index.js";
import { silentLogger } from "../../src/log.js";
import { ScalerRegistry } from "../../src/scalers/index.js";
import { spreadApp } from "../support/manifests.js";
import { testNats } from "../support/nats.js";
import { stopWithin, waitFor } from "../support/wait.js";

const nats = await testNats();

/** Resolves at the connection's next disconnect. */
async function disconnected(nc: NatsConnection): Promise<void> {
  for await (const s of nc.status()) if (s.type === "disconnect") return;
}

test("a sim fleet and a controller started while NATS is down come up once it is back", async (t) => {
  const hostsNc = await nats.connect();
  const controllerNc = await nats.connect();
  // Longer than the JetStream API's 5 s request timeout: each start sees its requests fail.
  const down = Promise.all([disconnected(hostsNc), disconnected(controllerNc)]);
  const back = nats.restart({ crash: true, downMs: 6_000 });
  await down;

  const fleet = runSimFleet({ nc: hostsNc, count: 3, heartbeatIntervalMs: 1_000 });
  const replica = startController({
    nc: controllerNc,
    resources: resolve(resourcesSchema, {}),
    controller: resolve(controllerSchema, {}),
    registry: new ScalerRegistry(),
    log: silentLogger(),
  });
  t.after(async () => {
    await stopWithin(
      "the sim fleet",
      fleet.then((f) => f.stop()),
    );
    await stopWithin(
      "the controller",
      replica.then((r) => r.stop()),
    );
  });
  await back;
  const [hosts] = await Promise.all([fleet, replica]);
  assert.deepEqual(hosts.hostIds, ["sim-0", "sim-1", "sim-2"]);

  // The whole pipeline works: an app deployed now lands on those hosts.
  const api = new ApiClient(await nats.connect(), "default", 3_000);
  const put = await api.put(spreadApp("after-outage", { instances: 3 }));
  await api.deploy(put.name, put.version);
  await waitFor(async () => (await api.status(put.name)).phase === "deployed", {
    timeoutMs: 20_000,
    what: "the app deployed",
  });
});
