/**
 * Deploying from code through the API path (`deployAndAnnounce`), as an auto-revert does: two
 * replicas reverting the same rollout at once deploy once and publish one `app_deployed`, whose
 * id is the deterministic one given and whose revision is the index write's.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { deployAndAnnounce } from "../../../src/manifests/deploy.js";
import { ManifestStore } from "../../../src/manifests/store.js";
import { keys, STREAMS } from "../../../src/streams/subjects.js";
import { testNats } from "../../support/nats.js";
import { manifest, ok, startApi } from "../api/helpers.js";

const nats = await testNats();
const nc = await nats.connect();
const buckets = await startApi(nc);

test("two concurrent reverts with the same id and expectation deploy once and publish one event", async () => {
  for (const v of ["v1", "v2"]) await ok(nc, "put", manifest("rev", v));
  await ok(nc, "deploy", { name: "rev", version: "v1" });
  await ok(nc, "deploy", { name: "rev", version: "v2" });
  const jsm = await jetstreamManager(nc);
  const before = (await jsm.streams.info(STREAMS.events)).state.last_seq;

  const replicas = await Promise.all([nats.connect(), nats.connect()]);
  const results = await Promise.all(
    replicas.map((c) =>
      deployAndAnnounce(new ManifestStore(buckets.manifests), jetstream(c), "default", "rev", "v1", {
        eventId: "revert:default:rev:v2",
        ifDeployed: "v2",
      }),
    ),
  );
  assert.deepEqual(results.map((r) => r.changed).sort(), [false, true]);
  const index = await buckets.manifests.get(keys.manifest("default", "rev"));
  assert.deepEqual(
    [
      index?.json<{ deployedVersion: string }>().deployedVersion,
      index?.json<{ previousVersion: string }>().previousVersion,
    ],
    ["v1", "v2"],
  );
  const after = (await jsm.streams.info(STREAMS.events)).state.last_seq;
  assert.equal(after - before, 1, "one app_deployed");
  const event = await jsm.streams.getMessage(STREAMS.events, { seq: after });
  assert.equal(event?.header.get("Nats-Msg-Id"), "revert:default:rev:v2");
  assert.equal(event?.json<{ data: { stateRevision: number } }>().data.stateRevision, index?.revision);

  // Once v1 is deployed, a late revert expecting v2 changes nothing.
  const late = await deployAndAnnounce(
    new ManifestStore(buckets.manifests),
    jetstream(nc),
    "default",
    "rev",
    "v1",
    {
      ifDeployed: "v2",
    },
  );
  assert.equal(late.changed, false);
});
