/**
 * Version keys: any version string becomes one KV key token (reversibly), and the key parser
 * never mistakes a version key for an app's index.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { decodeKeyToken, encodeKeyToken, keys } from "../../../src/streams/subjects.js";

const VALID_KEY = /^[-/=.\w]+$/;

test("version tokens: table of awkward versions", () => {
  const cases: Array<[string, string]> = [
    ["v1", "v1"],
    ["1.2.3", "1=2E2=2E3"],
    ["v1/rc=2", "v1=2Frc=3D2"],
    ["ä", "=C3=A4"],
    ["a*b>c", "a=2Ab=3Ec"],
    ["release_2026-01-01", "release_2026-01-01"],
  ];
  for (const [version, token] of cases) {
    assert.equal(encodeKeyToken(version), token, version);
    assert.equal(decodeKeyToken(token), version, version);
    const key = keys.manifestVersion("default", "shop", version);
    assert.match(key, VALID_KEY);
    assert.equal(key.split(".").length, 4, key);
  }
});

test("any non-whitespace version round-trips and stays one token", () => {
  fc.assert(
    fc.property(fc.string({ minLength: 1, maxLength: 128, unit: "grapheme" }), (version) => {
      const token = encodeKeyToken(version);
      assert.equal(decodeKeyToken(token), version);
      assert.match(token, /^[\w=-]+$/);
    }),
  );
});

test("only two-token keys parse as {lattice}.{name}", () => {
  const cases: Array<[string, { lattice: string; name: string } | undefined]> = [
    ["default.shop", { lattice: "default", name: "shop" }],
    ["default.shop.v.v1", undefined],
    ["default.shop.v.1=2E2", undefined],
    ["default", undefined],
    ["default.", undefined],
    [".shop", undefined],
  ];
  for (const [key, want] of cases) assert.deepEqual(keys.parse(key), want, key);
  assert.equal(keys.appIndexes("default"), "default.*");
  assert.equal(keys.appIndexes(), "*.*");
});

test("nameIn agrees with parse for one lattice", () => {
  const cases: Array<[string, string, string | undefined]> = [
    ["default.shop", "default", "shop"],
    ["default.shop", "prod", undefined],
    ["defaults.shop", "default", undefined],
    ["prod.shop", "pro", undefined],
    ["default.shop.v.v1", "default", undefined],
    ["default.", "default", undefined],
    ["default", "default", undefined],
    [".shop", "", undefined],
    ["a.b.c", "a.b", undefined],
  ];
  for (const [key, lattice, want] of cases)
    assert.equal(keys.nameIn(key, lattice), want, `${key} in ${lattice}`);
  const token = fc.stringMatching(/^[-\w.]{0,8}$/);
  fc.assert(
    fc.property(token, token, token, (a, b, lattice) => {
      const key = `${a}.${b}`;
      const parsed = keys.parse(key);
      assert.equal(keys.nameIn(key, lattice), parsed?.lattice === lattice ? parsed.name : undefined);
    }),
  );
});
