/**
 * A host never goes back in time: a command that was issued before the last one it applied for
 * the same workload (a late redelivery) is acknowledged as superseded and changes nothing, even
 * after the workload was stopped and retired. A recreated command stream (new epoch) starts over.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { headers } from "@nats-io/transport-node";
import { resolve, resourcesSchema } from "../../../src/config.js";
import { HostAgent } from "../../../src/host/index.js";
import { COMMAND_ORDER_HEADERS, decodeJson, encodeJson } from "../../../src/streams/commands.js";
import { provision } from "../../../src/streams/provision.js";
import { subjects } from "../../../src/streams/subjects.js";
import { testNats } from "../../support/nats.js";
import { makeCommand } from "./helpers.js";

const nats = await testNats();
const nc = await nats.connect();
await provision(nc, { resources: resolve(resourcesSchema, {}) });
const agent = new HostAgent({ nc, hostId: "ordered", driver: "sim", sim: { startMs: 1 } });
await agent.start();
after(() => agent.stop());

async function send(count: number, seq: number, epoch = "e1") {
  const h = headers();
  h.set(COMMAND_ORDER_HEADERS.seq, String(seq));
  h.set(COMMAND_ORDER_HEADERS.epoch, epoch);
  const cmd = makeCommand("default", "ordered", { spec: { command: "sim" } }, count);
  const reply = await nc.request(subjects.control("default", "ordered"), encodeJson(cmd), {
    headers: h,
    timeout: 5_000,
  });
  return decodeJson(reply.data) as { ok: boolean; running: number; superseded?: boolean };
}

const running = () => agent.inventory()["demo.web.r1"]?.running ?? 0;

test("an older command arriving late is superseded; newer ones and a new epoch apply", async () => {
  assert.deepEqual(await send(3, 10), { ok: true, running: 3 });
  assert.deepEqual(await send(1, 9), { ok: true, running: 3, superseded: true });
  assert.equal(running(), 3);
  assert.deepEqual(await send(1, 11), { ok: true, running: 1 });
  assert.deepEqual(await send(0, 12), { ok: true, running: 0 });
  // The workload has retired; a redelivery from before must still not bring it back.
  assert.deepEqual(await send(3, 10), { ok: true, running: 0, superseded: true });
  assert.equal(running(), 0);
  // The stream was recreated: sequences start again under a new epoch.
  assert.deepEqual(await send(2, 1, "e2"), { ok: true, running: 2 });
});
