/**
 * A replica started with an HTTP port serves Prometheus metrics and a health check.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { jetstream } from "@nats-io/jetstream";
import { ApiClient } from "../../../src/api/client.js";
import { freePort } from "../../../src/system.js";
import { startController } from "../../support/controller.js";
import { testNats } from "../../support/nats.js";
import { waitFor } from "../../support/wait.js";

const nats = await testNats();
const nc = await nats.connect();
const port = await freePort();
await startController(nc, { httpPort: port });

test("/metrics counts settled events; /healthz answers ok", async () => {
  const api = new ApiClient(nc, "default");
  await api.put(
    JSON.stringify({
      apiVersion: "nadm.dev/v1",
      kind: "Application",
      metadata: { name: "m", annotations: { version: "v1" } },
      spec: { components: [{ name: "c", type: "process", properties: { command: "sleep" } }] },
    }),
  );
  const body = await waitFor(
    async () => {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      return /nadm_events_settled_total\{outcome="ok"\} [1-9]/.test(text) ? text : undefined;
    },
    { timeoutMs: 10_000, what: "an ok event counted" },
  );
  assert.match(body, /# TYPE nadm_reconcile_seconds histogram/);
  const health = await fetch(`http://127.0.0.1:${port}/healthz`);
  assert.equal(health.status, 200);
  assert.equal(await health.text(), "ok\n");
});

test("a malformed event is counted by type and outcome and in the DLQ count", async () => {
  const js = jetstream(nc);
  await js.publish("nadm.evt.default.bogus", new TextEncoder().encode("not json"));
  const body = await waitFor(
    async () => {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      return /nadm_dlq_total\{kind="event"\} 1/.test(text) ? text : undefined;
    },
    { timeoutMs: 10_000, what: "the DLQ count" },
  );
  assert.match(body, /nadm_events_total\{type="bogus",outcome="terminal"\} 1/);
  assert.match(body, /nadm_dlq_total\{kind="command"\} 0/);
  assert.match(body, /nadm_consumer_pending\{consumer="nadm-reconcile"\} \d+/);
  assert.match(body, /nadm_consumer_redelivered_total\{consumer="nadm-reconcile"\} 0/);
});
