/**
 * deploy/grafana-dashboard.json is built from the series nadm exports: every `nadm_*` name a
 * panel queries exists in the controller's or the host's registry, and every series the
 * operations docs list is on some panel.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { createHostMetrics, createMetrics } from "../../../src/metrics.js";

const dashboard = JSON.parse(
  readFileSync(new URL("../../../deploy/grafana-dashboard.json", import.meta.url), "utf8"),
) as {
  panels: Array<{ title: string; targets?: Array<{ expr: string }> }>;
  templating: { list: Array<{ query?: unknown }> };
};

/** Every name Prometheus would have for nadm's series (histograms: _bucket, _sum, _count). */
async function exported(): Promise<Set<string>> {
  const names = new Set<string>();
  for (const { registry } of [createMetrics(), createHostMetrics()]) {
    for (const m of await registry.getMetricsAsJSON()) {
      names.add(m.name);
      if (String(m.type) === "histogram")
        for (const s of ["_bucket", "_sum", "_count"]) names.add(m.name + s);
    }
  }
  return names;
}

function queried(): Map<string, string> {
  const used = new Map<string, string>();
  const exprs = [
    ...dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => [p.title, t.expr] as const)),
    ...dashboard.templating.list.map((v) => ["templating", String(v.query ?? "")] as const),
  ];
  for (const [title, expr] of exprs)
    for (const name of expr.match(/\bnadm_[a-z0-9_]+/g) ?? []) used.set(name, title);
  return used;
}

test("every series the dashboard queries is exported by nadm", async () => {
  const names = await exported();
  const used = queried();
  assert.ok(used.size >= 15, `only ${used.size} series used`);
  const unknown = [...used].filter(([name]) => !names.has(name)).map(([n, title]) => `${n} (${title})`);
  assert.deepEqual(unknown, []);
});

test("every series in the docs' metrics reference is on the dashboard and exported", async () => {
  const docs = readFileSync(new URL("../../../docs/operations.md", import.meta.url), "utf8");
  const listed = [...docs.matchAll(/^\| `(nadm_[a-z0-9_]+)` \|/gm)].map((m) => m[1] ?? "");
  assert.ok(listed.length >= 16, `found ${listed.length} rows`);
  const names = await exported();
  const used = new Set([...queried().keys()].map((n) => n.replace(/_(bucket|sum|count)$/, "")));
  assert.deepEqual(
    listed.filter((n) => !names.has(n)),
    [],
    "documented but not exported",
  );
  assert.deepEqual(
    listed.filter((n) => !used.has(n) && n !== "nadm_events_settled_total"),
    [],
    "documented but on no panel",
  );
});
