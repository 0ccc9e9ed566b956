import assert from "node:assert/strict";
import { test } from "node:test";
import { jetstreamManager } from "@nats-io/jetstream";
import { resolve, resourcesSchema } from "../../src/config.js";
import { IncompatibleResourceError, provision } from "../../src/streams/provision.js";
import { CONSUMERS, STREAMS } from "../../src/streams/subjects.js";
import { testNats } from "../support/nats.js";

const nats = await testNats();
const resources = resolve(resourcesSchema, {});

test("provision creates every stream, consumer and bucket, and is idempotent", async () => {
  const nc = await nats.connect();
  await provision(nc, { resources });
  await provision(nc, { resources });
  const jsm = await jetstreamManager(nc);
  for (const name of Object.values(STREAMS)) assert.ok(await jsm.streams.info(name));
  const reconcile = await jsm.consumers.info(STREAMS.events, CONSUMERS.reconcile);
  assert.equal(reconcile.config.filter_subject ?? "", "", "no filter_subject (NATS-NOTES)");
  assert.ok(await jsm.consumers.info(STREAMS.commands, CONSUMERS.dispatch));
  const streams = (await jsm.streams.names().next()).sort();
  assert.deepEqual(
    streams.filter((s) => s.startsWith("KV_")),
    ["KV_nadm_hosts", "KV_nadm_manifests", "KV_nadm_status"],
  );
});

test("a stream with other subjects fails start-up with a clear message", async () => {
  const nc = await nats.connect();
  const jsm = await jetstreamManager(nc);
  await jsm.streams.delete(STREAMS.dlq);
  await jsm.streams.add({ name: STREAMS.dlq, subjects: ["other.>"] });
  await assert.rejects(provision(nc, { resources }), (err: unknown) => {
    assert.ok(err instanceof IncompatibleResourceError);
    assert.match(err.message, /nadm_dlq exists with subjects \[other\.>\]/);
    return true;
  });
  await jsm.streams.delete(STREAMS.dlq);
});
