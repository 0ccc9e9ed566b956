/**
 * Events and commands published raw onto their subjects (fast-check, 1,200 of each) against a
 * real controller process and a sim host process: one-field-broken CloudEvents (some on the
 * wrong type's subject), random JSON, text and bytes on `nadm.evt.default.*`; broken commands on
 * `nadm.cmd.default.*`. Afterwards: exactly the messages a parser rejects are in the DLQ (by
 * original stream and sequence), both durable consumers have nothing pending or unacked, no
 * process exited, and an app deployed after the fuzz converges — the consumers still flow.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import fc from "fast-check";
import { ApiClient } from "../../src/api/client.js";
import { commandSchema } from "../../src/streams/commands.js";
import { buildEvent, parseEvent } from "../../src/streams/events.js";
import { CONSUMERS, EVENT_TYPES, STREAMS } from "../../src/streams/subjects.js";
import { spreadApp } from "../support/manifests.js";
import { testNats } from "../support/nats.js";
import { spawnNadm } from "../support/processes.js";
import { statusWhere } from "../support/status.js";
import { waitFor } from "../support/wait.js";
import { inBatches, oneFieldBroken, payloads } from "./support.js";

const RUNS = 1_200;
const nats = await testNats();
const nc = await nats.connect();
const js = jetstream(nc);
const jsm = await jetstreamManager(nc);
const env = { NATS_URL: nats.url };
const controller = spawnNadm("controller", ["controller", "--tick-interval", "500ms"], env);
const hosts = spawnNadm("hosts", ["host", "--driver", "sim", "--sim-hosts", "2", "--host-id", "fz"], env);

/** A valid event of `type` (data shaped for every type), as the plain object a host would send. */
function event(type: (typeof EVENT_TYPES)[number]): Record<string, unknown> {
  const workload = {
    hostId: "fz-0",
    app: "ghost",
    component: "web",
    workloadKey: "ghost.web.r1",
    desired: 1,
    running: 1,
    ready: 1,
  };
  const data: Record<string, unknown> = {
    host_started: { hostId: "fz-9" },
    host_stopped: { hostId: "fz-9" },
    host_lost: { hostId: "fz-9" },
    workload_scaled: workload,
    workload_failed: { ...workload, reason: "boom" },
    app_put: { app: "ghost", version: "v1" },
    app_deployed: { app: "ghost", version: "v1" },
    app_undeployed: { app: "ghost" },
    app_deleted: { app: "ghost" },
    lattice_tick: { period: 1, intervalMs: 1000 },
    command_failed: {
      commandId: "c",
      hostId: "fz-9",
      app: "ghost",
      component: "web",
      workloadKey: "ghost.web.r1",
      count: 1,
      reason: "x",
    },
  }[type];
  return JSON.parse(buildEvent("default", type, "fuzz", data as never).payload);
}

const type = fc.constantFrom(...EVENT_TYPES);
const eventCase = fc.tuple(
  type.chain((t) => payloads(oneFieldBroken(() => event(t)))),
  fc.oneof({ weight: 3, arbitrary: type }, { weight: 1, arbitrary: fc.stringMatching(/^[a-z_]{1,12}$/) }),
);
const command = () => ({
  id: "c1",
  lattice: "default",
  hostId: "nohost",
  app: "ghost",
  component: "web",
  workload: { key: "ghost.web.r1", rev: "r1", type: "process", spec: { command: "sleep" } },
  count: 1,
  reason: "fuzz",
  causationId: "fuzz",
  basedOnRevision: 0,
  issuedAt: new Date(0).toISOString(),
});
/** Commands that fail the schema: a valid one would wait for the absent host's answer. */
const brokenCommand = payloads(oneFieldBroken(command)).filter((data) => {
  try {
    return !commandSchema.safeParse(JSON.parse(new TextDecoder().decode(data))).success;
  } catch {
    return true;
  }
});

function rejects(fn: () => unknown): boolean {
  try {
    fn();
    return false;
  } catch {
    return true;
  }
}

async function pending(stream: string, durable: string): Promise<number> {
  const info = await jsm.consumers.info(stream, durable);
  return info.num_pending + info.num_ack_pending;
}

/** `stream:seq` of every message in the DLQ, from its Nadm-Original-* headers. */
async function deadLettered(): Promise<Set<string>> {
  const out = new Set<string>();
  const consumer = await js.consumers.get(STREAMS.dlq, { deliver_policy: DeliverPolicy.All });
  const total = (await jsm.streams.info(STREAMS.dlq)).state.messages;
  while (out.size < total) {
    const batch = await consumer.fetch({ max_messages: 1_000, expires: 2_000 });
    let got = 0;
    for await (const m of batch) {
      got++;
      const subject = m.headers?.get("Nadm-Original-Subject") ?? "";
      const stream = subject.startsWith("nadm.evt.") ? STREAMS.events : STREAMS.commands;
      out.add(`${stream}:${m.headers?.get("Nadm-Original-Sequence")}`);
    }
    if (got === 0) break;
  }
  return out;
}

test(`raw events and commands (${RUNS} each): poison dead-lettered, nothing stuck, no exit, still converges`, async () => {
  await waitFor(() => jsm.consumers.info(STREAMS.commands, CONSUMERS.dispatch), {
    timeoutMs: 20_000,
    what: "controller up",
  });
  const poison = new Set<string>();
  await inBatches(fc.sample(eventCase, RUNS), 100, async ([data, t]) => {
    const subject = `nadm.evt.default.${t}`;
    const ack = await js.publish(subject, data);
    if (rejects(() => parseEvent(subject, data))) poison.add(`${STREAMS.events}:${ack.seq}`);
  });
  await inBatches(fc.sample(brokenCommand, RUNS), 100, async (data) => {
    const ack = await js.publish("nadm.cmd.default.nohost", data);
    poison.add(`${STREAMS.commands}:${ack.seq}`);
  });

  await waitFor(
    async () =>
      (await pending(STREAMS.events, CONSUMERS.reconcile)) === 0 &&
      (await pending(STREAMS.commands, CONSUMERS.dispatch)) === 0,
    { timeoutMs: 120_000, intervalMs: 500, what: "both durables drained" },
  );
  const dlq = await deadLettered();
  const missing = [...poison].filter((p) => !dlq.has(p));
  const extra = [...dlq].filter((p) => !poison.has(p));
  assert.deepEqual({ missing: missing.slice(0, 5), extra: extra.slice(0, 5) }, { missing: [], extra: [] });
  assert.ok(poison.size > RUNS, `both kinds of poison were sent (${poison.size})`);

  assert.equal(controller.child.exitCode, null, controller.output().slice(-2_000));
  assert.equal(hosts.child.exitCode, null, hosts.output().slice(-2_000));
  const api = new ApiClient(nc, "default");
  const put = await api.put(spreadApp("after-fuzz", { instances: 2 }));
  await api.deploy(put.name, put.version);
  const s = await statusWhere(
    api,
    "after-fuzz",
    (s) => s.phase === "deployed",
    "deployed after the fuzz",
    30_000,
  );
  assert.equal(
    Object.values(s.components[0]?.hosts ?? {}).reduce((a, b) => a + b, 0),
    2,
  );
});
