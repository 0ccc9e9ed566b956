import assert from "node:assert/strict";
import { test } from "node:test";
import { builtinTraitCatalog, traitCatalogFor } from "../../src/catalog.js";
import { parseManifestText } from "../../src/manifests/index.js";
import { loadScalers, ScalerLoadError } from "../../src/plugins.js";

const manifest = `apiVersion: nadm.dev/v1
kind: Application
metadata: { name: primary }
spec:
  components:
    - name: db
      type: process
      properties: { command: sleep, args: ["60"] }
      traits:
        - type: primaryscaler
          properties: { count: 2 }
`;

test("a custom scaler module is loaded next to the built-ins and its trait validates", async () => {
  const registry = await loadScalers(["test/fixtures/fixed-scaler.ts"]);
  assert.deepEqual(registry.types(), ["daemonscaler", "primaryscaler", "spreadscaler"]);
  const m = parseManifestText(manifest, traitCatalogFor(registry));
  assert.equal(m.spec.components[0]?.traits?.[0]?.type, "primaryscaler");
});

test("without the module the same manifest is rejected with the known trait types", () => {
  assert.throws(
    () => parseManifestText(manifest, builtinTraitCatalog()),
    (err: Error & { details?: Array<{ path: string; message: string }> }) => {
      assert.equal(err.details?.[0]?.path, "spec.components[0].traits[0].type");
      assert.match(err.details?.[0]?.message ?? "", /daemonscaler, rollout, spreadscaler/);
      return true;
    },
  );
});

test("a module that is not a scaler, or is missing, fails start-up naming its path", async () => {
  for (const path of ["test/fixtures/not-a-scaler.ts", "test/fixtures/missing.ts"]) {
    await assert.rejects(loadScalers([path]), (err: unknown) => {
      assert.ok(err instanceof ScalerLoadError);
      assert.match(err.message, new RegExp(path.replace(/[./]/g, "\\$&")));
      return true;
    });
  }
});
