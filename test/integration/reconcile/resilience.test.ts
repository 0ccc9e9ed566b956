/**
 * The controller keeps converging when things go wrong: a poison event, its durable consumer
 * deleted under it, a host that never answers, and a nats-server restart.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { ApiClient } from "../../../src/api/client.js";
import { runSimFleet } from "../../../src/host/index.js";
import type { HostRecord } from "../../../src/streams/host-record.js";
import { BUCKETS, CONSUMERS, keys, STREAMS } from "../../../src/streams/subjects.js";
import { startController } from "../../support/controller.js";
import { spreadApp } from "../../support/manifests.js";
import { testNats } from "../../support/nats.js";
import { waitFor } from "../../support/wait.js";

const nats = await testNats();
const nc = await nats.connect();
await startController(nc, { commandMaxDeliver: 2, commandTimeoutMs: 200 });
const fleet = await runSimFleet({ nc, count: 2, zones: ["a"], heartbeatIntervalMs: 500 });
after(() => fleet.stop());
const api = new ApiClient(nc, "default");
const js = jetstream(nc);

function manifest(name: string, instances = 2, zone = "a"): string {
  return spreadApp(name, { instances, spread: [{ name: zone, requirements: { zone } }] });
}

async function deployed(name: string, instances = 2, zone = "a"): Promise<void> {
  await waitFor(() => api.put(manifest(name, instances, zone)).catch(() => undefined), { timeoutMs: 15_000 });
  await waitFor(() => api.deploy(name, "v1").catch(() => undefined), { timeoutMs: 15_000 });
  await waitFor(async () => (await api.status(name).catch(() => undefined))?.phase === "deployed", {
    timeoutMs: 20_000,
    what: `${name} deployed`,
  });
}

async function dlq(kind: string): Promise<Array<{ reason: string; subject: string }>> {
  const out: Array<{ reason: string; subject: string }> = [];
  const consumer = await js.consumers.get(STREAMS.dlq, { deliver_policy: DeliverPolicy.All });
  const pending = (await jetstreamManager(nc).then((m) => m.streams.info(STREAMS.dlq))).state.messages;
  if (pending === 0) return out;
  const batch = await consumer.fetch({ max_messages: pending, expires: 1_000 });
  for await (const m of batch) {
    if (!m.subject.endsWith(`.${kind}`)) continue;
    out.push({
      reason: m.headers?.get("Nadm-Reason") ?? "",
      subject: m.headers?.get("Nadm-Original-Subject") ?? "",
    });
  }
  return out;
}

test("a malformed event is dead-lettered with its reason and the consumer keeps working", async () => {
  await js.publish("nadm.evt.default.app_put", "this is not json");
  await js.publish(
    "nadm.evt.default.app_put",
    JSON.stringify({ type: "dev.nadm.app_put", id: "x", source: "s", data: {} }),
  );
  await deployed("after-poison");
  const dead = await waitFor(async () => {
    const d = await dlq("event");
    return d.length >= 2 ? d : undefined;
  });
  assert.ok(
    dead.some((d) => /not JSON/.test(d.reason)),
    JSON.stringify(dead),
  );
  assert.ok(
    dead.some((d) => /data\.app/.test(d.reason)),
    JSON.stringify(dead),
  );
});

test("a malformed command is dead-lettered by the dispatcher, which keeps dispatching", async () => {
  await js.publish("nadm.cmd.default.nobody", JSON.stringify({ id: "x", count: -1 }));
  await deployed("after-bad-command");
  const dead = await waitFor(async () => {
    const d = (await dlq("command")).filter((c) => c.subject === "nadm.cmd.default.nobody");
    return d.length > 0 ? d : undefined;
  });
  assert.match(dead[0]!.reason, /malformed command/);
});

test("a deleted durable consumer is recreated and reconciling goes on", async () => {
  const jsm = await jetstreamManager(nc);
  await jsm.consumers.delete(STREAMS.events, CONSUMERS.reconcile);
  await deployed("after-delete");
  assert.ok(await jsm.consumers.info(STREAMS.events, CONSUMERS.reconcile));
});

test("commands to a host that never answers end in command_failed and the DLQ", async () => {
  // A host record with no agent behind it, fresh enough not to be swept for a while.
  const kv = await new Kvm(nc).open(BUCKETS.hosts);
  const zombie: HostRecord = {
    hostId: "zombie",
    lattice: "default",
    labels: { zone: "z" },
    driver: "sim",
    version: "test",
    startedAt: new Date().toISOString(),
    updatedAt: new Date().toISOString(),
    heartbeatIntervalMs: 600_000,
    heartbeatSeq: 1,
    inventory: {},
  };
  await kv.create(keys.host("default", "zombie"), JSON.stringify(zombie));
  await api.put(manifest("haunted", 1, "z"));
  await api.deploy("haunted", "v1");
  const failed = await waitFor(
    async () => {
      const consumer = await js.consumers.get(STREAMS.events, { deliver_policy: DeliverPolicy.All });
      const info = await (await jetstreamManager(nc)).streams.info(STREAMS.events);
      const batch = await consumer.fetch({ max_messages: info.state.messages, expires: 1_000 });
      for await (const m of batch) {
        if (m.subject === "nadm.evt.default.command_failed")
          return m.json<{ data: { hostId: string; reason: string } }>();
      }
      return undefined;
    },
    { timeoutMs: 20_000, what: "command_failed" },
  );
  assert.equal(failed.data.hostId, "zombie");
  assert.match(failed.data.reason, /did not answer: no reply after 2 deliveries/);
  assert.ok((await dlq("command")).some((d) => d.subject === "nadm.cmd.default.zombie"));
  // The exhausted command is stored as a refusal: the status says so, and keeps saying it.
  const s = await waitFor(
    async () => {
      const st = await api.status("haunted");
      return st.phase === "failed" ? st : undefined;
    },
    { timeoutMs: 10_000, what: "haunted failed" },
  );
  assert.match(
    s.message,
    /^host zombie did not answer the command \(attempt \d\): no reply after 2 deliveries/,
  );
  await kv.delete(keys.host("default", "zombie"));
});

test("after a nats-server restart the controller and hosts carry on", async () => {
  await nats.restart();
  await deployed("after-restart");
  const s = await api.status("after-restart");
  assert.equal(s.message, "2/2 ready");
});
