/**
 * Two replicas running different builds of one custom scaler: each publishes what it runs in
 * `nadm_scalers`, and the status of a component using that scaler warns about the mismatch.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, test } from "node:test";
import { ApiClient } from "../../../src/api/client.js";
import { loadScalers } from "../../../src/plugins.js";
import { startController } from "../../support/controller.js";
import { hostRecords, openHostsKv } from "../../support/lattice.js";
import { testNats } from "../../support/nats.js";
import { spawnNadm } from "../../support/processes.js";
import { waitFor } from "../../support/wait.js";

test("status warns when replicas run different versions of a scaler", async () => {
  const nats = await testNats();
  const [nc1, nc2] = [await nats.connect(), await nats.connect()];
  const config = { resyncIntervalMs: 1_000, scalerDeadlineMs: 1_000 };
  const registries = [
    await loadScalers(["examples/scalers/binpack.ts"]),
    await loadScalers(["test/fixtures/binpack-v2.ts"]),
  ];
  after(() => Promise.all(registries.map((r) => r.close())));
  await startController(nc1, config, registries[0]);
  await startController(nc2, config, registries[1]);
  spawnNadm("sim", ["host", "--driver", "sim", "--sim-hosts", "2", "--heartbeat-interval", "1s"], {
    NATS_URL: nats.url,
  });
  const hostsKv = await openHostsKv(nc1);
  await waitFor(async () => (await hostRecords(hostsKv)).length === 2, {
    timeoutMs: 30_000,
    what: "2 hosts",
  });
  const api = new ApiClient(nc1, "default", 5_000);
  await api.put(readFileSync("examples/scalers/binpack.yaml", "utf8").replace("sleep", "sim"));
  await api.deploy("packed");
  const web = await waitFor(
    async () => (await api.status("packed")).components.find((c) => /replicas disagree/.test(c.message)),
    { timeoutMs: 30_000, what: "a warning in the status" },
  );
  assert.match(web.message, /replicas disagree on scaler binpackscaler: 1\.0\.0 on 1, 2\.0\.0 on 1/);
});
