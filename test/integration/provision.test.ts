import assert from "node:assert/strict";
import { test } from "node:test";
import { jetstreamManager } from "@nats-io/jetstream";
import { nanos } from "@nats-io/transport-node";
import { resolve, resourcesSchema } from "../../src/config.js";
import { IncompatibleResourceError, provision } from "../../src/streams/provision.js";
import { REFUSAL_TTL_MS } from "../../src/streams/refusal-record.js";
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
  assert.equal(
    reconcile.config.filter_subject ?? "",
    "",
    "no filter_subject (2.9.10 filtered-durable slowdown)",
  );
  assert.ok(await jsm.consumers.info(STREAMS.commands, CONSUMERS.dispatch));
  const streams = (await jsm.streams.names().next()).sort();
  assert.deepEqual(
    streams.filter((s) => s.startsWith("KV_")),
    [
      "KV_nadm_hosts",
      "KV_nadm_liveness",
      "KV_nadm_manifests",
      "KV_nadm_refusals",
      "KV_nadm_scalers",
      "KV_nadm_status",
    ],
  );
  // A refusal not rewritten within the TTL is moot; the bucket forgets it.
  const refusals = await jsm.streams.info("KV_nadm_refusals");
  assert.equal(refusals.config.max_age, nanos(REFUSAL_TTL_MS));
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
