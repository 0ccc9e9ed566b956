/**
 * `nadm_nodejs_gc_duration_seconds` must count every collection. A busy process gets several
 * in one PerformanceObserver batch, and prom-client 15's own collector observes only the first
 * of each batch, so under load it undercounted (bench/README.md, M6).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { createMetrics } from "../../../src/metrics.js";

/** Young-generation garbage, in one synchronous turn: many scavenges before any callback runs. */
function churn(megabytes: number): number {
  let kept = 0;
  for (let i = 0; i < megabytes * 16_000; i++) {
    const o = { i, s: `x${i}`, a: [i, i + 1, i + 2] };
    kept += o.a.length;
  }
  return kept;
}

async function minorCollections(registry: ReturnType<typeof createMetrics>["registry"]): Promise<number> {
  const metric = await registry.getSingleMetric("nadm_nodejs_gc_duration_seconds")?.get();
  const count = metric?.values.find(
    (v) => (v as { metricName?: string }).metricName?.endsWith("_count") && v.labels.kind === "minor",
  );
  return count?.value ?? 0;
}

test("every scavenge of a busy turn is counted, not only the first of its batch", async () => {
  const { registry } = createMetrics();
  const before = await minorCollections(registry);
  const seen: number[] = [];
  const { PerformanceObserver, constants } = await import("node:perf_hooks");
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const { detail } = e as { detail?: { kind?: number } };
      if (detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) seen.push(e.duration);
    }
  });
  observer.observe({ entryTypes: ["gc"] });
  assert.ok(churn(400) > 0);
  // The entries are delivered after the turn; wait until they have been.
  const deadline = Date.now() + 5_000;
  while (seen.length < 2 && Date.now() < deadline) await new Promise((r) => setImmediate(r));
  observer.disconnect();
  await new Promise((r) => setImmediate(r)); // the histogram's observer had the same batch
  assert.ok(seen.length >= 2, `the churn should cause several scavenges, saw ${seen.length}`);
  assert.ok((await minorCollections(registry)) - before >= seen.length, "every scavenge is in the histogram");
});
