/**
 * A small JSON Schema (2020-12) validator for the keywords nadm's generated schemas use, so tests
 * can check the published schemas against what the responder really accepts and answers without
 * a validator dependency. Unknown keywords are refused, so a schema using more than this
 * understands fails loudly instead of passing silently.
 */
type Schema = Record<string, unknown>;

const ANNOTATIONS = new Set(["$schema", "title", "description", "default", "$defs"]);
const KNOWN = new Set([
  "$ref",
  "type",
  "properties",
  "required",
  "additionalProperties",
  "propertyNames",
  "items",
  "enum",
  "const",
  "anyOf",
  "oneOf",
  "pattern",
  "minLength",
  "maxLength",
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "minItems",
  "maxItems",
]);

function typeOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

function typeMatches(want: string, v: unknown): boolean {
  const t = typeOf(v);
  return want === t || (want === "number" && t === "integer");
}

/** Problems of `value` against `schema` (empty when valid); `root` resolves `#/...` refs. */
export function validateJson(schema: Schema, value: unknown, root: Schema = schema, path = ""): string[] {
  for (const k of Object.keys(schema)) {
    if (!KNOWN.has(k) && !ANNOTATIONS.has(k))
      throw new Error(`unsupported JSON Schema keyword ${k} at ${path}`);
  }
  if (typeof schema.$ref === "string") return validateJson(resolveRef(root, schema.$ref), value, root, path);
  const errors: string[] = [];
  const fail = (m: string) => errors.push(`${path || "(root)"}: ${m}`);
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
    if (!types.some((t) => typeMatches(t, value)))
      return [`${path || "(root)"}: expected ${types.join("|")}`];
  }
  if (schema.enum && !(schema.enum as unknown[]).some((e) => e === value)) fail("not in enum");
  if ("const" in schema && schema.const !== value) fail(`expected ${JSON.stringify(schema.const)}`);
  if (typeof value === "string") checkString(schema, value, fail);
  if (typeof value === "number") checkNumber(schema, value, fail);
  if (Array.isArray(value)) errors.push(...checkArray(schema, value, root, path, fail));
  else if (typeOf(value) === "object") errors.push(...checkObject(schema, value as Schema, root, path, fail));
  if (
    schema.anyOf &&
    !(schema.anyOf as Schema[]).some((s) => validateJson(s, value, root, path).length === 0)
  ) {
    fail("matches none of anyOf");
  }
  if (schema.oneOf) {
    const n = (schema.oneOf as Schema[]).filter(
      (s) => validateJson(s, value, root, path).length === 0,
    ).length;
    if (n !== 1) fail(`matches ${n} of oneOf`);
  }
  return errors;
}

function resolveRef(root: Schema, ref: string): Schema {
  if (!ref.startsWith("#/")) throw new Error(`unsupported $ref ${ref}`);
  let node: unknown = root;
  for (const part of ref.slice(2).split("/")) node = (node as Schema)[part];
  if (!node) throw new Error(`dangling $ref ${ref}`);
  return node as Schema;
}

function checkString(schema: Schema, v: string, fail: (m: string) => void): void {
  const length = [...v].length;
  if (typeof schema.minLength === "number" && length < schema.minLength) fail("too short");
  if (typeof schema.maxLength === "number" && length > schema.maxLength) fail("too long");
  if (typeof schema.pattern === "string" && !new RegExp(schema.pattern, "u").test(v)) fail("pattern");
}

function checkNumber(schema: Schema, v: number, fail: (m: string) => void): void {
  if (typeof schema.minimum === "number" && v < schema.minimum) fail("below minimum");
  if (typeof schema.maximum === "number" && v > schema.maximum) fail("above maximum");
  if (typeof schema.exclusiveMinimum === "number" && v <= schema.exclusiveMinimum) fail("not above minimum");
}

function checkArray(schema: Schema, v: unknown[], root: Schema, path: string, fail: (m: string) => void) {
  if (typeof schema.minItems === "number" && v.length < schema.minItems) fail("too few items");
  if (typeof schema.maxItems === "number" && v.length > schema.maxItems) fail("too many items");
  if (!schema.items) return [];
  return v.flatMap((item, i) => validateJson(schema.items as Schema, item, root, `${path}[${i}]`));
}

function checkObject(schema: Schema, v: Schema, root: Schema, path: string, fail: (m: string) => void) {
  const errors: string[] = [];
  const props = (schema.properties ?? {}) as Record<string, Schema>;
  for (const r of (schema.required ?? []) as string[]) if (!(r in v)) fail(`missing ${r}`);
  for (const [k, item] of Object.entries(v)) {
    const at = path ? `${path}.${k}` : k;
    if (schema.propertyNames)
      errors.push(...validateJson(schema.propertyNames as Schema, k, root, `${at} (name)`));
    if (props[k]) errors.push(...validateJson(props[k], item, root, at));
    else if (schema.additionalProperties === false) fail(`unknown property ${k}`);
    else if (typeof schema.additionalProperties === "object") {
      errors.push(...validateJson(schema.additionalProperties as Schema, item, root, at));
    }
  }
  return errors;
}
