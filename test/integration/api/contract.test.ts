/**
 * The published API contract is the one the responder implements: docs/api.schema.json is what
 * `nadm schema --api` generates today; every request the JSON Schema allows is accepted (not a
 * bad request) and every one it refuses is refused; and every reply of every op, ok or error,
 * validates against that op's reply schema.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { apiJsonSchemas } from "../../../src/api/contract.js";
import { builtinTraitCatalog } from "../../../src/catalog.js";
import { API_OPS } from "../../../src/streams/subjects.js";
import { runCli } from "../../support/cli.js";
import { validateJson } from "../../support/json-schema.js";
import { testNats } from "../../support/nats.js";
import { call, manifest, ok, startApi } from "./helpers.js";

type Schema = Record<string, unknown>;
type Op = { subject: string; request: Schema; reply: Schema };

const published = JSON.parse(
  readFileSync(new URL("../../../docs/api.schema.json", import.meta.url), "utf8"),
) as Schema;
const ops = published.ops as Record<string, Op>;
const nats = await testNats();
const nc = await nats.connect();
await startApi(nc);

test("docs/api.schema.json is what `nadm schema --api` generates (regenerate it after changing the API)", async () => {
  assert.deepEqual(published, JSON.parse(JSON.stringify(apiJsonSchemas(builtinTraitCatalog()))));
  const cli = await runCli(["schema", "--api"]);
  assert.equal(cli.code, 0, cli.stderr);
  assert.deepEqual(cli.json, published);
  assert.deepEqual(Object.keys(ops), [...API_OPS], "every op is documented");
});

const NAMED_BODIES: unknown[] = [
  { name: "shop" },
  { name: "shop", version: "v1" },
  { name: "a".repeat(63) },
  { name: "a".repeat(64) },
  {},
  { name: 5 },
  { name: "Shop" },
  { name: "a.b" },
  { name: "shop", version: "" },
  { name: "shop", version: "v".repeat(128) },
  { name: "shop", version: "v".repeat(129) },
  { name: "shop", extra: true },
  [],
  null,
  "shop",
];
const EMPTY_BODIES: unknown[] = [{}, { name: "shop" }, [], null, 1];

test("requests: the responder accepts exactly what the published request schemas allow", async () => {
  await ok(nc, "put", manifest("shop", "v1"));
  for (const [op, contract] of Object.entries(ops)) {
    if (contract.request.$ref) continue; // manifests: next test
    const bodies = contract.request.title === "EmptyRequest" ? EMPTY_BODIES : NAMED_BODIES;
    for (const body of bodies) {
      const allowed = validateJson(contract.request, body, published).length === 0;
      const env = await call(nc, op, JSON.stringify(body));
      const refused = !env.ok && env.error.code === "bad_request";
      assert.equal(refused, !allowed, `${op} ${JSON.stringify(body)}: ${JSON.stringify(env).slice(0, 200)}`);
      assert.deepEqual(validateJson(contract.reply, env, published), [], `${op} reply`);
    }
  }
});

test("manifests: validate accepts what the manifest schema allows and refuses what it does not", async () => {
  const broken = (edit: (m: Schema) => void) => {
    const m = structuredClone(manifest("shop", "v2")) as Schema;
    edit(m);
    return m;
  };
  const spec = (m: Schema) => (m.spec as { components: Array<Record<string, unknown>> }).components[0]!;
  const bodies: Schema[] = [
    manifest("shop", "v2"),
    manifest("shop"),
    broken((m) => delete m.kind),
    broken((m) => (m.apiVersion = "v0")),
    broken((m) => (m.extra = 1)),
    broken((m) => ((m.metadata as Schema).name = "Bad.Name")),
    broken((m) => (spec(m).traits = [{ type: "nope", properties: {} }])),
    broken((m) => (spec(m).traits = [{ type: "spreadscaler", properties: { instances: -1 } }])),
    broken((m) => (spec(m).properties = {})),
  ];
  for (const body of bodies) {
    const allowed = validateJson(ops.validate!.request, body, published).length === 0;
    const env = await call(nc, "validate", body);
    assert.equal(
      env.ok,
      allowed,
      `${JSON.stringify(body).slice(0, 160)}: ${JSON.stringify(env).slice(0, 300)}`,
    );
    assert.deepEqual(validateJson(ops.validate!.reply, env, published), []);
  }
});

test("replies: every op's ok and error replies validate against its published reply schema", async () => {
  const seq: Array<[string, unknown]> = [
    ["put", manifest("replies", "v1")],
    ["put", manifest("replies", "v2", 2)],
    ["put", manifest("replies", "v1", 3)], // conflict
    ["get", { name: "replies" }],
    ["list", undefined],
    ["versions", { name: "replies" }],
    ["deploy", { name: "replies", version: "v1" }],
    ["deploy", { name: "replies", version: "v9" }], // not_found
    ["status", { name: "replies" }],
    ["history", { name: "replies" }],
    ["history", { name: "replies", commands: true }],
    ["pause", { name: "replies" }],
    ["resume", { name: "replies" }],
    ["undeploy", { name: "replies" }],
    ["status", { name: "replies" }],
    ["validate", manifest("replies", "v3")],
    ["plan", manifest("replies", "v3")], // bad_request: a plan request is {name} or {manifest}
    ["plan", { manifest: JSON.stringify(manifest("replies", "v3")) }], // unavailable: no controller here
    ["plan", { name: "replies", version: "v1" }],
    ["delete", { name: "replies", version: "v2" }],
    ["delete", { name: "replies" }],
    ["status", { name: "replies" }], // not_found
  ];
  const codes = new Set<string>();
  for (const [op, body] of seq) {
    const env = await call(nc, op, body);
    codes.add(env.ok ? "ok" : env.error.code);
    assert.deepEqual(
      validateJson(ops[op]!.reply, env, published),
      [],
      `${op}: ${JSON.stringify(env).slice(0, 300)}`,
    );
  }
  assert.deepEqual([...codes].sort(), ["bad_request", "conflict", "not_found", "ok", "unavailable"]);
  // The check is not vacuous: a reply off the contract is caught.
  for (const wrong of [
    { ok: true, result: { name: "x" } },
    { ok: false, error: { code: "oops", message: "m", details: [] } },
    { ok: false, error: { code: "internal", message: "m" } },
  ]) {
    assert.notDeepEqual(validateJson(ops.put!.reply, wrong, published), [], JSON.stringify(wrong));
  }
});
