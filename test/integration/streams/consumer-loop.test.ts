/**
 * A consumer loop's stop finishes what is in hand, but never waits on it for ever: a handler
 * stuck on a degraded NATS must not keep a replica from stopping. What it leaves unsettled is
 * delivered again.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { AckPolicy, type JsMsg, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { silentLogger } from "../../../src/log.js";
import { ConsumerLoop } from "../../../src/streams/consumer-loop.js";
import type { Outcome } from "../../../src/streams/settle.js";
import { testNats } from "../../support/nats.js";
import { waitFor } from "../../support/wait.js";

const nats = await testNats();
const nc = await nats.connect();
const js = jetstream(nc);
const jsm = await jetstreamManager(nc);

async function stream(name: string, ackWaitMs: number): Promise<void> {
  await jsm.streams.add({ name, subjects: [`${name}.>`] });
  await jsm.consumers.add(name, {
    durable_name: "work",
    ack_policy: AckPolicy.Explicit,
    ack_wait: ackWaitMs * 1_000_000,
  });
}

function loop(name: string, handle: (msg: JsMsg) => Promise<Outcome>, stopWaitMs: number): ConsumerLoop {
  return new ConsumerLoop({
    js,
    stream: name,
    consumer: "work",
    maxMessages: 10,
    handle,
    settle: { js, log: silentLogger(), dlq: () => ({ lattice: "test", kind: "test" }) },
    stopWaitMs,
    log: silentLogger(),
  });
}

test("stop waits for the messages in hand to be settled", async () => {
  await stream("FINISH", 30_000);
  let release: () => void = () => undefined;
  const released = new Promise<void>((r) => {
    release = r;
  });
  let started = 0;
  const worker = loop(
    "FINISH",
    async () => {
      started++;
      await released;
      return { kind: "ok" };
    },
    10_000,
  );
  await worker.start();
  await js.publish("FINISH.a", "1");
  await waitFor(() => started === 1, { what: "the message in hand" });
  const stopping = worker.stop();
  setTimeout(release, 200);
  await stopping;
  const info = await jsm.consumers.info("FINISH", "work");
  assert.equal(info.num_ack_pending, 0, "settled before stop returned");
  assert.equal(info.num_pending, 0);
});

test("stop gives up on a handler that never ends, and the message comes back", async () => {
  await stream("STUCK", 1_000);
  let started = 0;
  const stuck = loop(
    "STUCK",
    () => {
      started++;
      return new Promise<Outcome>(() => undefined);
    },
    300,
  );
  await stuck.start();
  await js.publish("STUCK.a", "1");
  await waitFor(() => started === 1, { what: "the message in hand" });
  const t0 = Date.now();
  await stuck.stop();
  const tookMs = Date.now() - t0;
  assert.ok(tookMs < 5_000, `stop returned after ${tookMs} ms`);

  // A replica that takes over gets it again once the ack wait has passed.
  const seen: number[] = [];
  const next = loop(
    "STUCK",
    async (msg) => {
      seen.push(msg.info.deliveryCount);
      return { kind: "ok" };
    },
    1_000,
  );
  await next.start();
  try {
    await waitFor(() => seen.length === 1, { timeoutMs: 10_000, what: "the message delivered again" });
    assert.ok(seen[0]! >= 2, `delivery count ${seen[0]}`);
  } finally {
    await next.stop();
  }
});
