/**
 * A deploy or undeploy whose KV write landed but whose event was lost (the connection dropped
 * in between, so the client saw an error and retried): the retry finds nothing to change, and
 * still publishes the event, under the id of that write (so it is in the stream once however
 * often it is retried). Without it, controllers would act only at their periodic resync.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { jetstreamManager } from "@nats-io/jetstream";
import { ManifestStore } from "../../../src/manifests/store.js";
import { STREAMS } from "../../../src/streams/subjects.js";
import { testNats } from "../../support/nats.js";
import { manifest, ok, startApi } from "../api/helpers.js";

const nats = await testNats();
const nc = await nats.connect();
const buckets = await startApi(nc);
const store = new ManifestStore(buckets.manifests);

async function eventsOf(type: string): Promise<Array<{ id: string; data: { stateRevision: number } }>> {
  const jsm = await jetstreamManager(nc);
  const last = (await jsm.streams.info(STREAMS.events)).state.last_seq;
  const out: Array<{ id: string; data: { stateRevision: number } }> = [];
  for (let seq = 1; seq <= last; seq++) {
    const m = await jsm.streams.getMessage(STREAMS.events, { seq }).catch(() => null);
    if (m?.subject === `nadm.evt.default.${type}`) out.push(m.json());
  }
  return out;
}

for (const op of ["deploy", "undeploy"] as const) {
  test(`a retried ${op} publishes the event its first try lost, once`, async () => {
    const name = `lost-${op}`;
    await ok(nc, "put", manifest(name, "v1"));
    if (op === "undeploy") await ok(nc, "deploy", { name, version: "v1" });
    // The first try: the write lands, its event never leaves.
    const write =
      op === "deploy" ? await store.deploy("default", name, "v1") : await store.undeploy("default", name);
    assert.equal(write.changed, true);
    const type = op === "deploy" ? "app_deployed" : "app_undeployed";
    const before = (await eventsOf(type)).filter((e) => e.data.stateRevision === write.revision);
    assert.equal(before.length, 0);
    // The client retries, twice.
    await ok(nc, op, op === "deploy" ? { name, version: "v1" } : { name });
    await ok(nc, op, op === "deploy" ? { name, version: "v1" } : { name });
    const after = (await eventsOf(type)).filter((e) => e.data.stateRevision === write.revision);
    assert.equal(after.length, 1, JSON.stringify(after));
  });
}
