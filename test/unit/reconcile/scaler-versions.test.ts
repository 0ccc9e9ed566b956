import assert from "node:assert/strict";
import { test } from "node:test";
import { type ScalerPresence, versionWarnings } from "../../../src/reconcile/scaler-versions.js";

const replica = (name: string, scalers: Record<string, string>): ScalerPresence => ({
  replica: name,
  scalers,
  at: "",
});

const rows: Array<{ name: string; records: ScalerPresence[]; want: Record<string, string> }> = [
  { name: "one replica: nothing to compare", records: [replica("a", { bin: "1" })], want: {} },
  {
    name: "same versions everywhere",
    records: [replica("a", { bin: "1" }), replica("b", { bin: "1" })],
    want: {},
  },
  {
    name: "two versions",
    records: [replica("a", { bin: "1" }), replica("b", { bin: "2" }), replica("c", { bin: "1" })],
    want: { bin: "replicas disagree on scaler bin: 1 on 2, 2 on 1" },
  },
  {
    name: "one replica lacks it",
    records: [replica("a", { bin: "1", can: "3" }), replica("b", { can: "3" })],
    want: { bin: "replicas disagree on scaler bin: 1 on 1, not loaded on 1" },
  },
];

for (const row of rows) {
  test(`versionWarnings: ${row.name}`, () => {
    assert.deepEqual(Object.fromEntries(versionWarnings(row.records)), row.want);
  });
}
