import assert from "node:assert/strict";
import { test } from "node:test";
import { runCli } from "../../support/cli.js";

const cases = [
  {
    manifest: "examples/scalers/binpack.yaml",
    scaler: "examples/scalers/binpack.ts",
    trait: "binpackscaler",
  },
  { manifest: "examples/scalers/canary.yaml", scaler: "examples/scalers/canary.ts", trait: "canaryscaler" },
];

for (const c of cases) {
  test(`app validate ${c.manifest}: rejected without --scaler, valid with it`, async () => {
    const without = await runCli(["--json", "app", "validate", c.manifest]);
    assert.notEqual(without.code, 0);
    assert.match(without.stdout + without.stderr, new RegExp(`unknown trait type|${c.trait}`));
    const withIt = await runCli(["--json", "app", "validate", c.manifest, "--scaler", c.scaler]);
    assert.equal(withIt.code, 0, withIt.stderr);
    assert.equal((withIt.json as { valid: boolean }).valid, true);
  });
}

test("app validate --scaler still checks the custom trait's properties, naming the field", async () => {
  const bad = (await import("node:fs"))
    .readFileSync("examples/scalers/binpack.yaml", "utf8")
    .replace("maxPerHost: 2", "maxPerHost: 0");
  const r = await runCli(["--json", "app", "validate", "-", "--scaler", "examples/scalers/binpack.ts"], {
    input: bad,
  });
  assert.notEqual(r.code, 0);
  assert.match(r.stdout + r.stderr, /maxPerHost/);
});

test("schema --scaler includes the custom traits in the manifest's JSON Schema", async () => {
  const plain = await runCli(["schema"]);
  const withIt = await runCli([
    "schema",
    "--scaler",
    "examples/scalers/binpack.ts",
    "--scaler",
    "examples/scalers/canary.ts",
  ]);
  assert.equal(withIt.code, 0, withIt.stderr);
  assert.doesNotMatch(plain.stdout, /binpackscaler/);
  for (const word of ["binpackscaler", "maxPerHost", "canaryscaler", "pin"])
    assert.match(withIt.stdout, new RegExp(word));
});
