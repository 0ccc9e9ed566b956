/**
 * Controller memory per deployed app as versions accumulate. A replica's AppCache (what the
 * reconciler reads of nadm_manifests) is filled from a real server holding APPS deployed apps
 * with 1, 10, 100 and 400 versions of a ~10 KB manifest each; the heap it adds is measured
 * after GC. One JSON line per level: bytes per app should stay flat, since the cache holds index
 * summaries and the deployed manifest only (the first design held every version: ≈ 400 KB per
 * app was measured with 100 KB manifests).
 * Usage: node --expose-gc --import tsx bench/manifest-memory.ts [apps=50]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { KV } from "@nats-io/kv";
import { resolve, resourcesSchema } from "../src/config.js";
import { startNatsServer } from "../src/embedded/nats-server.js";
import { silentLogger } from "../src/log.js";
import type { Manifest } from "../src/manifests/schema.js";
import { ManifestStore } from "../src/manifests/store.js";
import { AppCache } from "../src/reconcile/app-cache.js";
import { connectNats } from "../src/streams/connection.js";
import { provision } from "../src/streams/provision.js";

const APPS = Number(process.argv[2] ?? 50);
const LEVELS = [1, 10, 100, 400];
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with node --expose-gc");

function manifest(app: string, version: number): Manifest {
  return {
    apiVersion: "nadm.dev/v1",
    kind: "Application",
    metadata: { name: app, annotations: { version: `v${version}` } },
    spec: {
      components: [
        {
          name: "web",
          type: "process",
          properties: { command: "sim", env: { PAD: "x".repeat(10_000), BUILD: String(version) } },
          traits: [{ type: "spreadscaler", properties: { instances: 1 } }],
        },
      ],
    },
  } as unknown as Manifest;
}

function heap(): number {
  gc!();
  gc!();
  return process.memoryUsage().heapUsed;
}

/**
 * Heap a fresh AppCache holds once it has read every app's state, per app: the heap with the
 * cache alive minus the heap once it is dropped (median of 3, so unrelated garbage cancels out).
 */
async function cacheBytesPerApp(kv: KV): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < 3; i++) {
    let cache: AppCache | undefined = new AppCache(kv, silentLogger());
    await cache.start();
    for (let a = 0; a < APPS; a++) await cache.state("default", `app-${a}`);
    if (cache.manifestsHeld !== APPS) throw new Error(`expected ${APPS} deployed manifests held`);
    const withCache = heap();
    cache.stop();
    cache = undefined;
    await new Promise((r) => setTimeout(r, 50));
    samples.push((withCache - heap()) / APPS);
  }
  return samples.sort((a, b) => a - b)[1]!;
}

const dir = mkdtempSync(join(tmpdir(), "nadm-bench-mem-"));
const server = await startNatsServer({ storeDir: dir });
try {
  const nc = await connectNats({ natsUrl: server.url, lattice: "default" });
  const { manifests } = await provision(nc, { resources: resolve(resourcesSchema, { maxVersions: 1000 }) });
  const store = new ManifestStore(manifests, { keepLast: 1000 });
  let stored = 0;
  for (const level of LEVELS) {
    // Apps are independent keys: each version is stored for every app at once (setup only; the
    // measurement is the cache's heap below). The whole benchmark: 58 s one put at a time, 49 s.
    const apps = Array.from({ length: APPS }, (_, a) => `app-${a}`);
    for (; stored < level; stored++) {
      const version = stored + 1;
      await Promise.all(apps.map((app) => store.put("default", manifest(app, version), new Date())));
    }
    await Promise.all(apps.map((app) => store.deploy("default", app, `v${level}`)));
    const bytes = await cacheBytesPerApp(manifests);
    console.log(
      JSON.stringify({
        metric: "controller_bytes_per_deployed_app",
        versions: level,
        apps: APPS,
        value: Math.round(bytes),
      }),
    );
  }
  await nc.close();
} finally {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
