/**
 * 1,000 random requests (fast-check): random ops (known and unknown), lattices and bodies
 * (strings, bytes, JSON values, objects with random name/version, broken manifests). Each reply
 * must be the envelope the API owes that request on a lattice with no apps (only `list` with an
 * empty body and `validate` of a valid manifest may succeed; every other reply is an error with
 * the expected code, never `internal`), and nothing may be stored or published.
 */
import assert from "node:assert/strict";
import { before, test } from "node:test";
import fc from "fast-check";
import { parseRequest } from "../../../src/api/handlers.js";
import {
  emptyRequestSchema,
  historyRequestSchema,
  namedRequestSchema,
  planRequestSchema,
} from "../../../src/api/protocol.js";
import { parseManifestText } from "../../../src/manifests/index.js";
import { API_OPS, isToken } from "../../../src/streams/subjects.js";
import { testNats } from "../../support/nats.js";
import {
  BAD_NAMES,
  call,
  catalog,
  manifest,
  ok,
  type StateSnapshot,
  seed,
  snapshot,
  startApi,
} from "./helpers.js";

const nats = await testNats();
const nc = await nats.connect();
const buckets = await startApi(nc);
const CODES = ["invalid_manifest", "not_found", "conflict", "bad_request", "unavailable", "internal"];

let initial: StateSnapshot;
before(async () => {
  initial = await seed(nc, buckets.manifests);
});

const LATTICES = ["fuzz", "empty_lattice", "bad!lattice"];

const nameish = fc.oneof(
  fc.constantFrom(...BAD_NAMES, "shop", "a", "fuzz-app"),
  fc.string({ maxLength: 70 }),
  fc.integer(),
  fc.constant(null),
);
const objectBody = fc
  .record(
    { name: nameish, version: fc.oneof(fc.string({ maxLength: 140 }), fc.integer(), fc.constant(null)) },
    { requiredKeys: [] },
  )
  .chain((base) =>
    fc
      .dictionary(fc.string({ maxLength: 8 }), fc.jsonValue(), { maxKeys: 2 })
      .map((extra) => ({ ...extra, ...base })),
  );
/** A manifest that is broken at least in its name, with random other damage. */
const nearManifest = fc
  .tuple(
    fc.oneof(
      fc.constantFrom(...BAD_NAMES),
      fc.string({ maxLength: 20 }).filter((s) => !/^[a-z]([a-z0-9-]*[a-z0-9])?$/.test(s)),
    ),
    fc.option(fc.tuple(fc.constantFrom("apiVersion", "kind", "spec", "metadata"), fc.jsonValue())),
  )
  .map(([name, damage]) => {
    const m = manifest("x", "v1");
    (m.metadata as { name: unknown }).name = name;
    if (damage && damage[0] !== "metadata") m[damage[0]] = damage[1];
    return m;
  });
const body = fc.oneof(
  fc.constant(undefined),
  fc.string({ maxLength: 200 }),
  fc.string({ unit: "binary", maxLength: 200 }),
  fc.json({ maxDepth: 3 }),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? "null"),
  objectBody,
  nearManifest,
  fc.constantFrom("{}", " {} ", "", "null", "[]"),
  fc.uint8Array({ maxLength: 200 }),
);
const op = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...API_OPS) },
  { weight: 1, arbitrary: fc.constantFrom("explode", "PUT", "Get", "list2", "_", "app") },
  { weight: 1, arbitrary: fc.stringMatching(/^[a-z_-]{1,10}$/) },
);

function bytesOf(b: unknown): Uint8Array {
  if (b === undefined) return new Uint8Array(0);
  if (b instanceof Uint8Array) return b;
  return new TextEncoder().encode(typeof b === "string" ? b : JSON.stringify(b));
}

/** Whether `fn` runs without throwing. */
function succeeds(fn: () => unknown): boolean {
  try {
    fn();
    return true;
  } catch {
    return false;
  }
}

type Expected = { ok: true } | { ok: false; code: string };
const okIf = (pass: boolean, code: string): Expected => (pass ? { ok: true } : { ok: false, code });

/** What the API owes a request on a lattice with no apps: success, or the error code. */
function expected(opName: string, lattice: string, b: unknown): Expected {
  if (!isToken(lattice) || !(API_OPS as readonly string[]).includes(opName)) {
    return { ok: false, code: "bad_request" };
  }
  const bytes = bytesOf(b);
  const text = succeeds(() => new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  switch (opName) {
    case "plan":
      // A well-formed plan request gets `unavailable` here: no controller replica answers it.
      return {
        ok: false,
        code: succeeds(() => parseRequest(planRequestSchema, bytes)) ? "unavailable" : "bad_request",
      };
    case "history":
      return {
        ok: false,
        code: succeeds(() => parseRequest(historyRequestSchema, bytes)) ? "not_found" : "bad_request",
      };
    case "list":
      return okIf(
        succeeds(() => parseRequest(emptyRequestSchema, bytes)),
        "bad_request",
      );
    case "validate":
      if (!text) return { ok: false, code: "bad_request" };
      return okIf(
        succeeds(() => parseManifestText(bytes, catalog)),
        "invalid_manifest",
      );
    case "put":
      // A body that is not text is a bad request; the generators never produce a valid manifest.
      return { ok: false, code: text ? "invalid_manifest" : "bad_request" };
    default: {
      const valid = succeeds(() => parseRequest(namedRequestSchema, bytes));
      return { ok: false, code: valid ? "not_found" : "bad_request" };
    }
  }
}

test("1,000 random requests: each gets the envelope it should, and nothing is stored", async () => {
  let validLists = 0;
  await fc.assert(
    fc.asyncProperty(op, fc.constantFrom(...LATTICES), body, async (opName, lattice, b) => {
      const env = await call(nc, opName, b, lattice);
      const want = expected(opName, lattice, b);
      assert.equal(env.ok, want.ok, JSON.stringify(env));
      if (env.ok) {
        if (opName === "list") {
          assert.deepEqual(env.result, { apps: [] });
          validLists++;
        }
        return;
      }
      assert.ok(!want.ok);
      assert.ok(CODES.includes(env.error.code));
      assert.equal(env.error.code, want.code, env.error.message);
      assert.equal(typeof env.error.message, "string");
      assert.ok(Array.isArray(env.error.details), "details is always an array");
      for (const d of env.error.details) {
        assert.equal(typeof d.path, "string");
        assert.equal(typeof d.message, "string");
      }
      // nadm's own words, not the validation library's ("Invalid input: expected x, received y").
      for (const text of [env.error.message, ...env.error.details.map((d) => d.message)]) {
        assert.doesNotMatch(text, /Invalid input|, received /, text);
      }
    }),
    { numRuns: 1000 },
  );
  assert.ok(validLists > 0, "some list requests were valid");
  assert.deepEqual(await snapshot(nc, buckets.manifests), initial, "state unchanged");
  assert.equal((await ok<{ created: boolean }>(nc, "put", manifest("after-fuzz", "v1"))).created, true);
});
