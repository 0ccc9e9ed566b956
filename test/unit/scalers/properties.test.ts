import assert from "node:assert/strict";
import { test } from "node:test";
import type { z } from "zod";
import { daemonScalerProperties, spreadScalerProperties } from "../../../src/scalers/index.js";

interface Row {
  name: string;
  schema: z.ZodType;
  value: unknown;
  /** Parsed output when valid; otherwise the issue paths (dotted) that must be reported. */
  want: { output: unknown } | { paths: string[] };
}

const spread = spreadScalerProperties;
const daemon = daemonScalerProperties;

const rows: Row[] = [
  {
    name: "spread defaults: requirements {} and weight 1",
    schema: spread,
    value: { instances: 2, spread: [{ name: "a" }] },
    want: { output: { instances: 2, spread: [{ name: "a", requirements: {}, weight: 1 }] } },
  },
  {
    name: "no spread stays absent",
    schema: spread,
    value: { instances: 0 },
    want: { output: { instances: 0 } },
  },
  { name: "instances required", schema: spread, value: {}, want: { paths: ["instances"] } },
  { name: "negative instances", schema: spread, value: { instances: -1 }, want: { paths: ["instances"] } },
  { name: "fractional instances", schema: spread, value: { instances: 1.5 }, want: { paths: ["instances"] } },
  {
    name: "unknown top-level key",
    schema: spread,
    value: { instances: 1, replicas: 2 },
    want: { paths: [""] },
  },
  {
    name: "unknown key inside a group points at the group",
    schema: spread,
    value: { instances: 1, spread: [{ name: "a" }, { name: "b", wieght: 2 }] },
    want: { paths: ["spread.1"] },
  },
  {
    name: "empty group name",
    schema: spread,
    value: { instances: 1, spread: [{ name: "" }] },
    want: { paths: ["spread.0.name"] },
  },
  {
    name: "duplicate group name points at the second",
    schema: spread,
    value: { instances: 1, spread: [{ name: "a" }, { name: "b" }, { name: "a" }] },
    want: { paths: ["spread.2.name"] },
  },
  {
    name: "negative weight",
    schema: spread,
    value: { instances: 1, spread: [{ name: "a", weight: -1 }] },
    want: { paths: ["spread.0.weight"] },
  },
  {
    name: "non-string requirement value",
    schema: spread,
    value: { instances: 1, spread: [{ name: "a", requirements: { zone: 1 } }] },
    want: { paths: ["spread.0.requirements.zone"] },
  },
  { name: "daemon instances default to 1", schema: daemon, value: {}, want: { output: { instances: 1 } } },
  {
    name: "daemon instances must be ≥ 1",
    schema: daemon,
    value: { instances: 0 },
    want: { paths: ["instances"] },
  },
  {
    name: "daemon spread shares the group schema",
    schema: daemon,
    value: { spread: [{ name: "a" }, { name: "a" }] },
    want: { paths: ["spread.1.name"] },
  },
];

for (const row of rows) {
  test(row.name, () => {
    const result = row.schema.safeParse(row.value);
    if ("output" in row.want) {
      assert.ok(result.success, JSON.stringify(result.error?.issues));
      assert.deepEqual(result.data, row.want.output);
    } else {
      assert.ok(!result.success);
      assert.deepEqual(
        result.error.issues.map((i) => i.path.join(".")),
        row.want.paths,
      );
    }
  });
}
