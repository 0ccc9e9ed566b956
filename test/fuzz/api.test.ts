/**
 * API request bodies for every op (fast-check, 1,000 cases per op) against a real nats-server
 * and a real controller replica: one-field-broken valid bodies (manifests for put/validate/plan,
 * `{name, version}` for the named ops), random JSON, text and bytes. Every reply is the envelope;
 * an error is structured (a known code, never `internal`, a message, details with paths, and
 * for `invalid_manifest` at least one detail); and `nadm_manifests` is unchanged across every
 * batch of requests that were all rejected (and every batch of a read-only op).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { jetstreamManager } from "@nats-io/jetstream";
import fc from "fast-check";
import { ApiClient } from "../../src/api/client.js";
import { API_OPS, BUCKETS, subjects } from "../../src/streams/subjects.js";
import { startController } from "../support/controller.js";
import { testNats } from "../support/nats.js";
import { inBatches, oneFieldBroken, payloads } from "./support.js";

const RUNS = 1_000;
const CODES = ["invalid_manifest", "not_found", "conflict", "bad_request", "unavailable"];
const nats = await testNats();
const nc = await nats.connect();
await startController(nc);
const jsm = await jetstreamManager(nc);
const api = new ApiClient(nc, "default");

const manifest = (name = "shop", version = "v1") => ({
  apiVersion: "nadm.dev/v1",
  kind: "Application",
  metadata: { name, annotations: { version } },
  spec: {
    components: [
      {
        name: "web",
        type: "process",
        properties: { command: "sleep", args: ["60"] },
        traits: [{ type: "spreadscaler", properties: { instances: 1 } }],
      },
    ],
  },
});
await api.put(JSON.stringify(manifest("shop", "v1")));
await api.deploy("shop", "v1");
await api.put(JSON.stringify(manifest("idle", "v1")));

function bodies(op: string): fc.Arbitrary<Uint8Array> {
  switch (op) {
    case "put":
    case "validate":
      return payloads(oneFieldBroken(() => manifest("fuzzed", "v9")));
    case "plan":
      return fc.oneof(
        payloads(oneFieldBroken(() => ({ manifest: JSON.stringify(manifest("fuzzed", "v9")) }))),
        payloads(oneFieldBroken(() => ({ name: "shop", version: "v1" }))),
      );
    case "list":
      return payloads(oneFieldBroken(() => ({ extra: true })));
    case "history":
      return payloads(oneFieldBroken(() => ({ name: "shop", commands: true })));
    default:
      return payloads(oneFieldBroken(() => ({ name: "shop", version: "v1" })));
  }
}

/** Ops that never write: nadm_manifests must not change whatever they answer. */
const READ_ONLY = new Set(["get", "list", "versions", "status", "history", "plan", "validate", "endpoints"]);
const manifestsSeq = async () => (await jsm.streams.info(`KV_${BUCKETS.manifests}`)).state.last_seq;

for (const op of API_OPS) {
  test(`${op}: structured replies, rejected requests change nothing (${RUNS} cases)`, async () => {
    const cases = fc.sample(bodies(op), RUNS);
    let checkedBatches = 0;
    const batches = Array.from({ length: Math.ceil(RUNS / 50) }, (_, i) => cases.slice(i * 50, i * 50 + 50));
    await inBatches(batches, 1, async (batch) => {
      const before = await manifestsSeq();
      let allRejected = true;
      await inBatches(batch, 50, async (data) => {
        const reply = await nc.request(subjects.api("default", op), data, { timeout: 10_000 });
        const env = JSON.parse(new TextDecoder().decode(reply.data)) as {
          ok: boolean;
          error?: { code: string; message: string; details: Array<{ path: unknown; message: unknown }> };
        };
        if (env.ok) {
          allRejected = false;
          return;
        }
        const e = env.error!;
        const sent = new TextDecoder().decode(data).slice(0, 300);
        assert.ok(CODES.includes(e.code), `${op} → ${e.code}: ${e.message} (sent ${sent})`);
        assert.ok(typeof e.message === "string" && e.message.length > 0);
        assert.ok(Array.isArray(e.details));
        for (const d of e.details) assert.ok(typeof d.path === "string" && typeof d.message === "string");
        if (e.code === "invalid_manifest") assert.ok(e.details.length > 0, `${op}: details name the field`);
      });
      if (allRejected || READ_ONLY.has(op)) {
        assert.equal(await manifestsSeq(), before, `${op}: a rejected batch changed nadm_manifests`);
        checkedBatches++;
      }
    });
    assert.ok(checkedBatches > 0, "at least one all-rejected batch was checked");
  });
}
