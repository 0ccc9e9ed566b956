/**
 * put / deploy / undeploy / delete publish their CloudEvent to `nadm_events` after the KV write,
 * carrying that write's revision of `nadm_manifests` (read-your-writes, ARCHITECTURE §2, §4).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { jetstreamManager, type StoredMsg } from "@nats-io/jetstream";
import { STREAMS } from "../../../src/streams/subjects.js";
import { testNats } from "../../support/nats.js";
import { manifest, ok, startApi } from "./helpers.js";

const nats = await testNats();
const nc = await nats.connect();
const buckets = await startApi(nc);
const jsm = await jetstreamManager(nc);
const KEY = "default.evt";

async function lastEventSeq(): Promise<number> {
  return (await jsm.streams.info(STREAMS.events)).state.last_seq;
}

/** Runs `op` and returns the events it published (read back from the stream by sequence). */
async function eventsOf(op: () => Promise<unknown>): Promise<StoredMsg[]> {
  const from = await lastEventSeq();
  await op();
  const to = await lastEventSeq();
  const out: StoredMsg[] = [];
  for (let seq = from + 1; seq <= to; seq++) {
    const m = await jsm.streams.getMessage(STREAMS.events, { seq });
    if (m) out.push(m);
  }
  return out;
}

interface CloudEventJson {
  specversion: string;
  id: string;
  type: string;
  source: string;
  subject: string;
  data: { app: string; version?: string; stateRevision: number };
}

/** The one event of `type` an op published, checked against the KV write it follows. */
async function expectOneEvent(events: StoredMsg[], type: string, operation: "PUT" | "DEL") {
  assert.equal(events.length, 1, `exactly one event, got ${events.map((e) => e.subject).join(", ")}`);
  const msg = events[0]!;
  assert.equal(msg.subject, `nadm.evt.default.${type}`);
  const ce = msg.json<CloudEventJson>();
  assert.equal(ce.specversion, "1.0");
  assert.equal(ce.type, `dev.nadm.${type}`);
  assert.equal(ce.source, "nadm/default/api");
  assert.equal(msg.header.get("Nats-Msg-Id"), ce.id, "the event id is the dedupe id");
  // CloudEvents NATS binding, structured mode: the header says the payload is the whole event.
  assert.equal(msg.header.get("content-type"), "application/cloudevents+json");
  assert.equal(ce.subject, "evt", "the CloudEvents subject is the app the event is about");
  assert.equal(ce.data.app, "evt");

  // stateRevision is the revision this op wrote: the key's current entry, of the right kind.
  const current = await buckets.manifests.get(KEY);
  assert.equal(ce.data.stateRevision, current?.revision);
  assert.equal(current?.operation, operation);
  // A revision only exists once the write is done, and the server stamped the event later.
  assert.ok(msg.time.getTime() >= (current?.created.getTime() ?? Number.POSITIVE_INFINITY));
  return ce;
}

test("put, deploy, undeploy and delete each publish their event with the KV revision", async () => {
  const put1 = await eventsOf(() => ok(nc, "put", manifest("evt", "v1")));
  assert.equal((await expectOneEvent(put1, "app_put", "PUT")).data.version, "v1");

  const same = await eventsOf(() => ok(nc, "put", manifest("evt", "v1")));
  assert.deepEqual(same, [], "an identical re-put writes nothing and publishes nothing");

  const put2 = await eventsOf(() => ok(nc, "put", manifest("evt", "v2")));
  const ev2 = await expectOneEvent(put2, "app_put", "PUT");
  assert.equal(ev2.data.version, "v2");
  assert.ok(ev2.data.stateRevision > (put1[0]?.json<CloudEventJson>().data.stateRevision ?? 0));

  const deployed = await eventsOf(() => ok(nc, "deploy", { name: "evt", version: "v1" }));
  assert.equal((await expectOneEvent(deployed, "app_deployed", "PUT")).data.version, "v1");
  assert.deepEqual(
    await eventsOf(() => ok(nc, "deploy", { name: "evt", version: "v1" })),
    [],
    "deploying the deployed version changes nothing",
  );

  const undeployed = await eventsOf(() => ok(nc, "undeploy", { name: "evt" }));
  await expectOneEvent(undeployed, "app_undeployed", "PUT");

  const oneVersion = await eventsOf(() => ok(nc, "delete", { name: "evt", version: "v1" }));
  assert.equal((await expectOneEvent(oneVersion, "app_deleted", "PUT")).data.version, "v1");

  const whole = await eventsOf(() => ok(nc, "delete", { name: "evt" }));
  const gone = await expectOneEvent(whole, "app_deleted", "DEL");
  assert.equal(gone.data.version, undefined);
});
