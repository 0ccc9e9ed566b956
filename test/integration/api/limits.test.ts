/**
 * Size limits follow the server's max_payload (read at connect), here 256 KiB: the client
 * refuses a larger request before sending it, saying so; a manifest that fits in a request but
 * not, as stored, in a KV value is refused by the API as invalid (not as an internal
 * "max_payload exceeded"); and nothing is stored either way.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ApiClient } from "../../../src/api/client.js";
import { NadmError } from "../../../src/errors.js";
import { startController } from "../../support/controller.js";
import { manifestYaml, testNatsWithConfig } from "./helpers.js";

const MAX_PAYLOAD = 256 * 1024;
const nats = await testNatsWithConfig(`max_payload: ${MAX_PAYLOAD}\n`);
const nc = await nats.connect();
await startController(nc);
const api = new ApiClient(nc, "default");

/** The manifest as YAML, padded with a comment to `size` bytes. */
function padded(size: number): string {
  const head = `${manifestYaml("sized", "v1")}#`;
  return head + "x".repeat(size - Buffer.byteLength(head));
}

/** The manifest as JSON with a padding annotation, `size` bytes long (stored nearly as is). */
function paddedJson(size: number): string {
  const doc = JSON.parse(
    JSON.stringify({
      apiVersion: "nadm.dev/v1",
      kind: "Application",
      metadata: { name: "sized", annotations: { version: "v1", pad: "" } },
      spec: { components: [{ name: "web", type: "process", properties: { command: "x" }, traits: [] }] },
    }),
  );
  const base = Buffer.byteLength(JSON.stringify(doc));
  doc.metadata.annotations.pad = "y".repeat(size - base);
  return JSON.stringify(doc);
}

async function rejected(p: Promise<unknown>): Promise<NadmError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof NadmError, `expected a NadmError, got ${String(err)}`);
  return err;
}

test("a request above the server's max_payload is refused by the client, before sending", async () => {
  assert.equal(nc.info?.max_payload, MAX_PAYLOAD);
  const err = await rejected(api.put(padded(MAX_PAYLOAD + 1)));
  assert.equal(err.code, "bad_request");
  assert.match(
    err.message,
    new RegExp(`is ${MAX_PAYLOAD + 1} bytes; the NATS server accepts at most ${MAX_PAYLOAD} bytes`),
  );
  assert.deepEqual((await api.list()).apps, []);
});

test("a manifest that fits a request but not a stored value is invalid, with the limit", async () => {
  const err = await rejected(api.put(paddedJson(MAX_PAYLOAD - 100)));
  assert.equal(err.code, "invalid_manifest", err.message);
  assert.match(err.message, new RegExp(`accepts at most ${MAX_PAYLOAD - 4096}`));
  assert.deepEqual(
    err.details.map((d) => d.path),
    [""],
  );
  assert.deepEqual((await api.list()).apps, []);
  // Just under the limit is stored and can be read back in one reply.
  const fits = await api.put(paddedJson(MAX_PAYLOAD - 4096 - 200));
  assert.equal(fits.created, true);
  assert.equal((await api.get("sized")).version, "v1");
});
