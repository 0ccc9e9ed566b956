import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { stringify } from "yaml";
import { InvalidManifestError } from "../../../src/errors.js";
import {
  assignVersion,
  MAX_COMPONENTS,
  MAX_MANIFEST_BYTES,
  type Manifest,
  parseManifestText,
  versionAt,
} from "../../../src/manifests/index.js";
import { validApp } from "./builders.js";
import { testCatalog } from "./catalog.js";

const YAML_APP = stringify(validApp());

/** The error `parseManifestText(text)` throws; fails the test when it does not throw one. */
function rejection(text: string | Uint8Array): InvalidManifestError {
  try {
    parseManifestText(text, testCatalog);
  } catch (err) {
    assert.ok(err instanceof InvalidManifestError, `unexpected ${String(err)}`);
    assert.equal(err.code, "invalid_manifest");
    return err;
  }
  return assert.fail("expected the manifest to be rejected");
}

describe("parseManifestText accepts", () => {
  const cases: { name: string; text: string | Uint8Array }[] = [
    { name: "YAML", text: YAML_APP },
    { name: "YAML as bytes", text: new TextEncoder().encode(YAML_APP) },
    { name: "JSON", text: JSON.stringify(validApp()) },
    { name: "indented JSON", text: `\n  ${JSON.stringify(validApp(), null, 2)}\n` },
    { name: "a leading document marker", text: `---\n${YAML_APP}` },
    { name: "a trailing document marker", text: `${YAML_APP}---\n` },
  ];
  for (const c of cases) {
    it(c.name, () => assert.equal(parseManifestText(c.text, testCatalog).metadata.name, "shop"));
  }
});

describe("parseManifestText rejects", () => {
  const cases: { name: string; text: string; message: RegExp }[] = [
    { name: "empty input", text: "", message: /manifest is empty/ },
    { name: "whitespace only", text: " \n\t\n", message: /manifest is empty/ },
    { name: "comments only", text: "# nothing here\n", message: /manifest is empty/ },
    { name: "a null document", text: "null\n", message: /manifest is empty/ },
    {
      name: "a YAML syntax error",
      text: "kind: Application\nspec: [1, 2\n",
      message: /YAML syntax error at line 3/,
    },
    {
      name: "a nested mapping on one line",
      text: "apiVersion: nadm.dev/v1\nkind: a: b\n",
      message: /YAML syntax error at line 2, column 7/,
    },
    {
      name: "duplicate YAML keys",
      text: "kind: a\nkind: b\n",
      message: /line 2, column 1: Map keys must be unique/,
    },
    {
      name: "two documents",
      text: `${YAML_APP}---\n${YAML_APP}`,
      message: /expected one YAML document, found 2/,
    },
    {
      name: "a JSON syntax error",
      text: '{\n  "kind": "Application",\n  "spec" 1\n}',
      message: /JSON syntax error at line 3, column 10: Unexpected number/,
    },
    { name: "truncated JSON", text: '{"kind": "Application"', message: /JSON syntax error at line 1/ },
    { name: "a scalar document", text: "hello\n", message: /expected an object, got string/ },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const err = rejection(c.text);
      assert.match(err.message, c.message);
      assert.equal(err.details[0]?.path, "");
      assert.match(err.details[0]!.message, c.message);
    });
  }

  it("input over 1 MiB, before parsing it", () => {
    const text = `${YAML_APP}#${"x".repeat(MAX_MANIFEST_BYTES)}\n`;
    assert.match(rejection(text).message, /limit is 1048576 bytes/);
    assert.match(rejection(new Uint8Array(MAX_MANIFEST_BYTES + 1)).message, /limit/);
  });

  it("bytes that are not UTF-8", () => {
    assert.match(rejection(new Uint8Array([0x6b, 0xff, 0xfe])).message, /not valid UTF-8/);
  });

  it(`more than ${MAX_COMPONENTS} components`, () => {
    const app = validApp() as { spec: { components: unknown[] } };
    const base = app.spec.components[1] as Record<string, unknown>;
    app.spec.components = Array.from({ length: MAX_COMPONENTS + 1 }, (_, i) => ({ ...base, name: `c${i}` }));
    const err = rejection(JSON.stringify(app));
    assert.deepEqual(err.details, [{ path: "spec.components", message: "must have at most 256 item(s)" }]);
  });

  it("every validation problem, in the error's details", () => {
    const err = rejection(
      YAML_APP.replace("name: shop", "name: Shop").replace("command: node", "command: ''"),
    );
    assert.deepEqual(
      err.details.map((d) => d.path),
      ["metadata.name", "spec.components[0].properties.command"],
    );
    assert.match(err.message, /^invalid manifest \(2 problems\): metadata\.name: must be lowercase/);
  });
});

describe("example apps in manifests/", () => {
  const dir = join(import.meta.dirname, "../../../manifests");
  const files = readdirSync(dir).filter((f) => f.endsWith(".yaml"));

  it("exist", () => assert.ok(files.length >= 3, files.join()));
  for (const file of files) {
    it(`${file} is valid`, () => {
      const manifest = parseManifestText(readFileSync(join(dir, file)), testCatalog);
      assert.equal(`${manifest.metadata.name}.yaml`, file);
    });
  }
});

describe("assignVersion", () => {
  const app = (): Manifest => parseManifestText(YAML_APP.replace("version: v1", "owner: me"), testCatalog);

  it("formats the time in UTC with milliseconds", () => {
    const manifest = assignVersion(app(), new Date("2026-11-23T10:30:00.123Z"));
    assert.equal(manifest.metadata.annotations?.version, "v20261123T103000123Z");
    assert.equal(manifest.metadata.annotations?.owner, "me");
  });

  it("keeps a version the user gave", () => {
    const manifest = parseManifestText(YAML_APP, testCatalog);
    assert.equal(assignVersion(manifest, new Date()), manifest);
  });

  it("does not change its input", () => {
    const manifest = app();
    assignVersion(manifest, new Date());
    assert.equal(manifest.metadata.annotations?.version, undefined);
  });

  it("sorts in time order", () => {
    const times = [
      0, 1, 999, 1000, 59_999, 86_400_000, 1_700_000_000_000, 1_700_000_000_001, 4_102_444_800_000,
    ];
    const versions = times.map((t) => versionAt(new Date(t)));
    assert.deepEqual([...versions].sort(), versions);
    assert.equal(new Set(versions).size, versions.length);
  });
});
