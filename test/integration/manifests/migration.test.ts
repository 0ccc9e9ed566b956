/**
 * Data stored by the first release (one `nadm_manifests` value per app holding every manifest)
 * is migrated when a controller starts: versions get keys of their own, the index keeps the
 * deployed version and generation, the app keeps running; a value of the old shape written
 * later (by an old replica) is migrated on the fly when the API meets it.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { ApiClient } from "../../../src/api/client.js";
import { resolve, resourcesSchema } from "../../../src/config.js";
import { runSimFleet } from "../../../src/host/index.js";
import { decodeAppIndex } from "../../../src/manifests/store.js";
import { openBuckets } from "../../../src/streams/provision.js";
import { keys } from "../../../src/streams/subjects.js";
import { startController } from "../../support/controller.js";
import { testNats } from "../../support/nats.js";
import { waitFor } from "../../support/wait.js";
import { manifest } from "../api/helpers.js";

const nats = await testNats();
const nc = await nats.connect();
const buckets = await openBuckets(nc, resolve(resourcesSchema, {}));

function legacy(name: string, versions: string[], deployed: string | null, generation: number) {
  return JSON.stringify({
    name,
    versions: versions.map((v, i) => ({
      version: v,
      manifest: manifest(name, v, i + 1),
      createdAt: `2026-01-0${i + 1}T00:00:00.000Z`,
    })),
    deployedVersion: deployed,
    generation,
    paused: false,
  });
}

test("a controller's start migrates one-value apps to an index plus one key per version", async () => {
  await buckets.manifests.put(keys.manifest("default", "old"), legacy("old", ["v1", "v2", "v1.5"], "v2", 3));
  await buckets.manifests.put(keys.manifest("other", "quiet"), legacy("quiet", ["a"], null, 0));
  const fleet = await runSimFleet({ nc, count: 2, hostIdPrefix: "mig" });
  after(() => fleet.stop());
  // Migration changes no deployment, so it publishes no event: the periodic resync (level-
  // triggered) is what reconciles the migrated apps, here every second.
  await startController(nc, { tickIntervalMs: 200, resyncIntervalMs: 1_000 });

  const index = decodeAppIndex((await buckets.manifests.get(keys.manifest("default", "old")))!);
  assert.deepEqual(
    index.versions.map((v) => [v.version, v.createdAt]),
    [
      ["v1", "2026-01-01T00:00:00.000Z"],
      ["v2", "2026-01-02T00:00:00.000Z"],
      ["v1.5", "2026-01-03T00:00:00.000Z"],
    ],
  );
  assert.deepEqual([index.deployedVersion, index.previousVersion, index.generation], ["v2", null, 3]);
  for (const v of ["v1", "v2", "v1.5"]) {
    const entry = await buckets.manifests.get(keys.manifestVersion("default", "old", v));
    assert.equal(entry?.operation, "PUT", v);
  }
  assert.ok(await buckets.manifests.get(keys.manifestVersion("other", "quiet", "a")), "every lattice");

  const api = new ApiClient(nc, "default");
  assert.equal(
    ((await api.get("old", "v1.5")).manifest as { metadata: { name: string } }).metadata.name,
    "old",
  );
  const s = await waitFor(
    async () => {
      const st = await api.status("old");
      return st.phase === "deployed" ? st : undefined;
    },
    { timeoutMs: 15_000, what: "the migrated deployment to run" },
  );
  assert.equal(s.version, "v2");
  assert.equal(s.components[0]?.desired, 2, "v2's manifest (2 instances) is the one deployed");

  // An old replica writes the old shape again: the API migrates it when it reads it.
  await buckets.manifests.put(keys.manifest("default", "late"), legacy("late", ["x"], null, 0));
  assert.deepEqual(
    (await api.versions("late")).versions.map((v) => v.version),
    ["x"],
  );
  assert.equal(
    decodeAppIndex((await buckets.manifests.get(keys.manifest("default", "late")))!).versions.length,
    1,
  );
});
