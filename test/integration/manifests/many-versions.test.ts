/**
 * An app's history is no longer bounded by one NATS message: 500 versions of a 100 KB manifest
 * (50 MB, where one value per app failed at the 11th put) are stored, listed and deployable
 * through a real controller and sim host, and the controller holds only the deployed manifest.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { ApiClient } from "../../../src/api/client.js";
import { runSimFleet } from "../../../src/host/index.js";
import { startController } from "../../support/controller.js";
import { testNats } from "../../support/nats.js";
import { waitFor } from "../../support/wait.js";

const VERSIONS = 500;
const PAD = "x".repeat(100 * 1024);

const nats = await testNats();
const nc = await nats.connect();
const controller = await startController(nc, { tickIntervalMs: 200 }, undefined, { maxVersions: 1000 });
const fleet = await runSimFleet({ nc, count: 1, hostIdPrefix: "big" });
after(() => fleet.stop());
const api = new ApiClient(nc, "default", 30_000);

function bigManifest(i: number): string {
  return JSON.stringify({
    apiVersion: "nadm.dev/v1",
    kind: "Application",
    metadata: { name: "big", annotations: { version: `1.0.${i}` } },
    spec: {
      components: [
        {
          name: "web",
          type: "process",
          properties: { command: "sim", env: { PAD, BUILD: String(i) } },
          traits: [{ type: "spreadscaler", properties: { instances: 1 } }],
        },
      ],
    },
  });
}

async function deployedAs(version: string) {
  await api.deploy("big", version);
  return waitFor(
    async () => {
      const s = await api.status("big");
      return s.phase === "deployed" && s.version === version ? s : undefined;
    },
    { timeoutMs: 20_000, what: `big ${version} deployed` },
  );
}

test("500 versions of a 100 KB manifest are stored, listed and deployable", async () => {
  for (let i = 1; i <= VERSIONS; i++) {
    const put = await api.put(bigManifest(i));
    assert.equal(put.created, true, `put ${i}`);
    assert.equal(put.versions, i);
  }
  const listed = await api.versions("big");
  assert.equal(listed.versions.length, VERSIONS);
  assert.equal(listed.versions[0]?.version, "1.0.1");
  assert.equal(listed.versions.at(-1)?.version, `1.0.${VERSIONS}`);
  assert.ok(listed.versions.every((v) => v.size > 100 * 1024 && /^[0-9a-f]{64}$/.test(v.digest)));
  const summary = (await api.list()).apps.find((a) => a.name === "big");
  assert.equal(summary?.versions, VERSIONS);

  const oldest = await api.get("big", "1.0.1");
  assert.equal(
    (oldest.manifest as { spec: { components: Array<{ properties: { env: { BUILD: string } } }> } }).spec
      .components[0]?.properties.env.BUILD,
    "1",
  );

  await deployedAs("1.0.1");
  const newest = await deployedAs(`1.0.${VERSIONS}`);
  assert.deepEqual(newest.components[0]?.hosts, { "big-0": 1 });
  const versions = await api.versions("big");
  assert.equal(versions.previousVersion, "1.0.1", "the revert target is kept");

  // The replica holds the deployed manifest only, not 500 of them, and none once undeployed.
  assert.equal(controller.apps?.manifestsHeld, 1);
  await api.undeploy("big");
  await waitFor(() => controller.apps?.manifestsHeld === 0, { what: "the undeployed manifest dropped" });
});
