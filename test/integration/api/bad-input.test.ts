/**
 * Bad input never changes stored state and never stops the responder (ARCHITECTURE §9): every
 * reply is an error envelope, a valid request afterwards succeeds, and `nadm_manifests` (every
 * key, value and revision, and the stream's last sequence) and `nadm_events` are unchanged.
 *
 * The server allows 4 MB payloads, so a request just over the responder's own limit reaches it
 * (with the default 1 MiB max_payload the client refuses it before sending).
 */
import assert from "node:assert/strict";
import { before, test } from "node:test";
import { MAX_REQUEST_BYTES } from "../../../src/api/protocol.js";
import { MAX_MANIFEST_BYTES } from "../../../src/manifests/index.js";
import {
  BAD_NAMES,
  call,
  manifest,
  manifestYaml,
  ok,
  type StateSnapshot,
  seed,
  snapshot,
  startApi,
  testNatsWithConfig,
} from "./helpers.js";

const nats = await testNatsWithConfig("max_payload: 4MB\n");
const nc = await nats.connect();
const buckets = await startApi(nc);
const NAMED = ["get", "versions", "delete", "deploy", "undeploy", "status", "history", "pause", "resume"];

let initial: StateSnapshot;
before(async () => {
  initial = await seed(nc, buckets.manifests);
});

/** Sends every request, expects each to fail with `code`, then checks state and liveness. */
async function expectRejected(
  requests: Array<[op: string, body: unknown, lattice?: string]>,
  code: string,
  check: (
    error: { message: string; details?: Array<{ path: string; message: string }> },
    i: number,
  ) => void = () => {},
) {
  for (const [i, [op, body, lattice]] of requests.entries()) {
    const env = await call(nc, op, body, lattice);
    const label = `${op} ${typeof body === "string" ? body.slice(0, 60) : JSON.stringify(body)?.slice(0, 60)}`;
    assert.equal(env.ok, false, label);
    if (env.ok) continue;
    assert.equal(env.error.code, code, `${label}: ${env.error.message}`);
    assert.equal(typeof env.error.message, "string");
    assert.ok(env.error.message.length > 0);
    check(env.error, i);
  }
  assert.deepEqual(await snapshot(nc, buckets.manifests), initial, "state unchanged");
  assert.equal((await ok<{ name: string }>(nc, "get", { name: "shop" })).name, "shop", "still serving");
}

test("non-JSON and empty bodies are bad requests; an empty manifest is invalid", async () => {
  await expectRejected(
    [...NAMED.map((op): [string, unknown] => [op, "{not json"]), ["list", "nope"]],
    "bad_request",
    (e) => assert.match(e.message, /not JSON/),
  );
  await expectRejected(
    NAMED.map((op): [string, unknown] => [op, undefined]),
    "bad_request",
    (e) =>
      assert.deepEqual(
        e.details?.map((d) => d.path),
        ["name"],
      ),
  );
  await expectRejected(
    [
      ["put", undefined],
      ["validate", undefined],
      ["put", "   \n"],
    ],
    "invalid_manifest",
    (e) => assert.match(e.message, /empty/),
  );
  await expectRejected(
    [
      ["get", new Uint8Array([0xff, 0xfe, 0x7b])],
      ["list", new Uint8Array([0xc3, 0x28])],
      ["put", new Uint8Array([0xff, 0xfe, 0x7b])],
      ["validate", new Uint8Array([0x80])],
    ],
    "bad_request",
    (e) => assert.match(e.message, /UTF-8/),
  );
});

test("wrong types, unknown fields and unknown ops are bad requests with the field's path", async () => {
  await expectRejected(
    [
      ["deploy", { name: 5 }],
      ["delete", { name: null }],
      ["get", { name: ["shop"] }],
      ["status", { name: { shop: 1 } }],
    ],
    "bad_request",
    (e) =>
      assert.deepEqual(
        e.details?.map((d) => d.path),
        ["name"],
      ),
  );
  await expectRejected(
    [
      ["deploy", { name: "shop", version: 5 }],
      ["delete", { name: "shop", version: "" }],
      ["get", { name: "shop", version: "v".repeat(129) }],
    ],
    "bad_request",
    (e) =>
      assert.deepEqual(
        e.details?.map((d) => d.path),
        ["version"],
      ),
  );
  await expectRejected(
    [
      ["delete", { name: "shop", force: true }],
      ["undeploy", [{ name: "shop" }]],
      ["pause", "null"],
      ["resume", "42"],
      ["list", { name: "shop" }],
    ],
    "bad_request",
  );
  await expectRejected(
    [
      ["explode", { name: "shop" }],
      ["PUT", manifestYaml("shop", "v3")],
      ["delete2", { name: "shop" }],
    ],
    "bad_request",
    (e) => assert.match(e.message, /unknown op .*known: put, get, list/),
  );
  await expectRejected([["list", undefined, "bad!lattice"]], "bad_request");
});

test("names with '.', '*', '>', spaces or uppercase are refused in requests and in manifests", async () => {
  await expectRejected(
    BAD_NAMES.flatMap((name) => ["deploy", "delete", "get"].map((op): [string, unknown] => [op, { name }])),
    "bad_request",
    (e) =>
      assert.deepEqual(
        e.details?.map((d) => d.path),
        ["name"],
      ),
  );
  await expectRejected(
    BAD_NAMES.map((name): [string, unknown] => ["put", manifest(name, "v1")]),
    "invalid_manifest",
    (e) =>
      assert.deepEqual(
        e.details?.map((d) => d.path),
        ["metadata.name"],
      ),
  );
  const badComponent = (name: string) => {
    const m = manifest("shop", "v3") as { spec: { components: Array<{ name: string }> } };
    m.spec.components[0]!.name = name;
    return m;
  };
  await expectRejected(
    BAD_NAMES.map((name): [string, unknown] => ["put", badComponent(name)]),
    "invalid_manifest",
    (e) =>
      assert.deepEqual(
        e.details?.map((d) => d.path),
        ["spec.components[0].name"],
      ),
  );
});

test("an invalid manifest is refused with every problem at its path", async () => {
  const broken = {
    apiVersion: "nadm.dev/v1",
    kind: "Application",
    metadata: { name: "Bad.Name", annotations: { version: "has space" } },
    spec: {
      components: [
        {
          name: "web*",
          type: "container",
          properties: { args: [1] },
          traits: [{ type: "spreadscaler", properties: { instances: -1 } }, { type: "nope" }],
        },
        { name: "ok", type: "process", properties: { command: "x", port: 0 }, extra: true },
      ],
    },
  };
  // A component's properties are checked by its type's schema after its own fields (so even when
  // `type` is wrong): their problems follow the component's other ones.
  const paths = [
    "metadata.name",
    "metadata.annotations.version",
    "spec.components[0].name",
    "spec.components[0].type",
    "spec.components[0].traits[0].properties.instances",
    "spec.components[0].traits[1].type",
    "spec.components[0].properties.command",
    "spec.components[0].properties.args[0]",
    "spec.components[1].extra",
    "spec.components[1].properties.port",
  ];
  await expectRejected(
    [
      ["put", broken],
      ["validate", broken],
      ["put", JSON.stringify(broken, null, 2)],
    ],
    "invalid_manifest",
    (e) => {
      assert.deepEqual(
        e.details?.map((d) => d.path),
        paths,
      );
      assert.ok(e.details?.every((d) => d.message.length > 0));
    },
  );
  await expectRejected(
    [
      ["put", "apiVersion: [unclosed"],
      ["put", '{"apiVersion": "nadm.dev/v1",'],
      ["put", `${manifestYaml("shop", "v3")}---\n${manifestYaml("shop", "v4")}`],
      [
        "put",
        "a: &a [1,1,1,1,1,1,1,1,1,1]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]",
      ],
      ["put", "[1, 2]"],
    ],
    "invalid_manifest",
  );
});

test("requests over the size limits are refused before parsing", async () => {
  const padded = (size: number) => {
    const head = `${manifestYaml("shop", "v9")}#`;
    return head + "x".repeat(size - Buffer.byteLength(head));
  };
  const justOver = padded(MAX_REQUEST_BYTES + 1);
  const manifestOver = padded(MAX_MANIFEST_BYTES + 1);
  assert.ok(Buffer.byteLength(manifestOver) <= MAX_REQUEST_BYTES, "under the request limit");
  await expectRejected(
    [
      ["put", justOver],
      ["validate", justOver],
      ["get", JSON.stringify({ name: "shop", pad: "x".repeat(MAX_REQUEST_BYTES) })],
    ],
    "bad_request",
    (e) => assert.match(e.message, new RegExp(`larger than the limit of ${MAX_REQUEST_BYTES}`)),
  );
  await expectRejected([["put", manifestOver]], "invalid_manifest", (e) =>
    assert.match(e.message, /the limit is 1048576 bytes/),
  );
});

test("error envelopes: details always an array, every message in nadm's words with its path", async () => {
  const cases: Array<[string, unknown, string, Array<{ path: string; message: RegExp }>]> = [
    [
      "undeploy",
      [{ name: "shop" }],
      "invalid request: body: expected an object, got array",
      [{ path: "", message: /^expected an object, got array$/ }],
    ],
    [
      "deploy",
      { name: "shop", version: 5 },
      "invalid request: version: must be a string",
      [{ path: "version", message: /^must be a string$/ }],
    ],
    [
      "list",
      { name: "shop" },
      "invalid request: name: unknown property",
      [{ path: "name", message: /^unknown property/ }],
    ],
    ["explode", {}, 'unknown op "explode"', []],
  ];
  for (const [op, body, message, details] of cases) {
    const env = await call(nc, op, body);
    assert.ok(!env.ok, op);
    assert.ok(env.error.message.startsWith(message), `${op}: ${env.error.message}`);
    assert.ok(Array.isArray(env.error.details), `${op}: details is an array`);
    assert.deepEqual(
      env.error.details.map((d) => d.path),
      details.map((d) => d.path),
      op,
    );
    for (const [i, d] of details.entries()) assert.match(env.error.details[i]!.message, d.message, op);
  }
  const notFound = await call(nc, "get", { name: "nope" });
  assert.ok(!notFound.ok);
  assert.deepEqual(notFound.error.details, [], "not_found has an empty details array, not none");
});
