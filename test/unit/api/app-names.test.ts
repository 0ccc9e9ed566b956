/**
 * One definition of an app name: API requests (`{name}`) accept exactly the names a manifest's
 * `metadata.name` accepts. They had drifted: requests allowed a leading digit, manifests did not.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { namedRequestSchema } from "../../../src/api/protocol.js";
import { nameSchema } from "../../../src/manifests/names.js";

const NAMES = [
  "shop",
  "a",
  "a-1",
  "a".repeat(63),
  "1shop",
  "9",
  "a".repeat(64),
  "Shop",
  "-a",
  "a-",
  "a.b",
  "",
];

test("a request names an app exactly when a manifest may be called that", () => {
  for (const name of NAMES) {
    const manifest = nameSchema.safeParse(name).success;
    assert.equal(namedRequestSchema.safeParse({ name }).success, manifest, JSON.stringify(name));
  }
  assert.equal(namedRequestSchema.safeParse({ name: "1shop" }).success, false, "no leading digit");
});
