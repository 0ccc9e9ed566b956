/**
 * The reconciler never plans with a manifest other than the one the app's index deploys: the
 * deployed version's key is checked against the index, by its KV revision when the index
 * records it (no digest to compute) and by digest otherwise, and a key rewritten behind the
 * index's back is refused either way. And a replica whose watch lags learns the newest index
 * from the bucket's leader before it sends commands no app event fenced (`confirm`).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { jetstreamManager } from "@nats-io/jetstream";
import { builtinTraitCatalog } from "../../../src/catalog.js";
import { resolve, resourcesSchema } from "../../../src/config.js";
import { silentLogger } from "../../../src/log.js";
import { parseManifestText } from "../../../src/manifests/index.js";
import { ManifestStore } from "../../../src/manifests/store.js";
import { AppCache } from "../../../src/reconcile/app-cache.js";
import { openBuckets } from "../../../src/streams/provision.js";
import { keys } from "../../../src/streams/subjects.js";
import { spreadApp } from "../../support/manifests.js";
import { testNats } from "../../support/nats.js";
import { waitFor } from "../../support/wait.js";

const nats = await testNats();
const nc = await nats.connect();
const { manifests: kv } = await openBuckets(nc, resolve(resourcesSchema, {}));
const store = new ManifestStore(kv, {});

async function deployed(app: string, instances: number): Promise<void> {
  await store.put(
    "default",
    parseManifestText(spreadApp(app, { instances }), builtinTraitCatalog()),
    new Date(),
  );
  await store.deploy("default", app, "v1");
}

/** A replica's fresh cache, caught up with the bucket. */
async function cache(): Promise<AppCache> {
  const apps = new AppCache(kv, silentLogger());
  await apps.start();
  await apps.indexes.reach((await kv.status()).values, 5_000);
  return apps;
}

/** Rewrites the index of `app` without the version keys' revisions (as older nadm wrote it). */
async function dropRevisions(app: string): Promise<void> {
  const entry = (await kv.get(keys.manifest("default", app)))!;
  const index = entry.json<{ versions: Array<{ revision?: number }> }>();
  for (const v of index.versions) delete v.revision;
  await kv.update(keys.manifest("default", app), JSON.stringify(index), entry.revision);
}

const rows: Array<{ name: string; app: string; revisions: boolean; tampered: boolean }> = [
  { name: "the index records the key's revision", app: "rev", revisions: true, tampered: false },
  { name: "the index has no revisions: checked by digest", app: "digest", revisions: false, tampered: false },
  {
    name: "a key rewritten behind the index (revision differs)",
    app: "rev-bad",
    revisions: true,
    tampered: true,
  },
  {
    name: "a key rewritten behind an index without revisions",
    app: "digest-bad",
    revisions: false,
    tampered: true,
  },
];

for (const row of rows) {
  test(row.name, async () => {
    await deployed(row.app, 2);
    if (!row.revisions) await dropRevisions(row.app);
    if (row.tampered) {
      const other = parseManifestText(spreadApp(row.app, { instances: 7 }), builtinTraitCatalog());
      await kv.put(keys.manifestVersion("default", row.app, "v1"), JSON.stringify(other));
    }
    const apps = await cache();
    try {
      const summary = apps.indexes.get(keys.manifest("default", row.app))?.value;
      assert.equal(typeof summary?.deployedRevision, row.revisions ? "number" : "undefined");
      if (row.tampered) {
        await assert.rejects(apps.state("default", row.app), /does not match its index/);
      } else {
        const state = await apps.state("default", row.app);
        const traits = state?.deployed?.manifest.spec.components[0]?.traits;
        assert.deepEqual(traits?.[0]?.properties, { instances: 2 });
      }
    } finally {
      apps.stop();
    }
  });
}

test("confirm: a cache whose watch lags is told by the leader and catches up the app's index", async () => {
  await deployed("lagging", 2);
  const apps = new AppCache(kv, silentLogger(), await jetstreamManager(nc));
  await apps.start();
  await apps.indexes.reach((await kv.status()).values, 5_000);
  try {
    assert.equal(await apps.confirm("default", "lagging"), true, "up to date: nothing to catch up");
    assert.equal(await apps.confirm("default", "never-stored"), true, "no key, no copy: up to date");
    apps.indexes.stop(); // the watch lags from here on (a NATS leader election, say)
    await store.undeploy("default", "lagging");
    assert.equal((await apps.state("default", "lagging"))?.deployedVersion, "v1", "the stale copy");
    assert.equal(await apps.confirm("default", "lagging"), false, "behind: plan again");
    assert.equal((await apps.state("default", "lagging"))?.deployedVersion, null, "caught up");
    assert.equal(await apps.confirm("default", "lagging"), true);
  } finally {
    apps.stop();
  }
});

test("lattices: those with an app, kept as apps come and go (no scan per tick)", async () => {
  const apps = await cache();
  try {
    const put = (lattice: string, app: string) =>
      store.put(
        lattice,
        parseManifestText(spreadApp(app, { instances: 1 }), builtinTraitCatalog()),
        new Date(),
      );
    await put("east", "one");
    await put("east", "two");
    await put("west", "three");
    await apps.indexes.reach((await kv.status()).values, 5_000);
    assert.deepEqual([...apps.lattices()].sort(), ["default", "east", "west"]);
    await store.delete("east", "one", undefined);
    await store.delete("west", "three", undefined);
    await waitFor(() => ![...apps.lattices()].includes("west"), { what: "west to have no app" });
    assert.deepEqual([...apps.lattices()].sort(), ["default", "east"]);
  } finally {
    apps.stop();
  }
});
