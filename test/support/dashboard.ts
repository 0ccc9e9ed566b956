/**
 * The dashboard over a synthetic lattice, for the render measurements (the browser test and
 * bench/dashboard-render.ts): N hosts and M apps as rows of the same read model (LiveModel and
 * the real routes), held in in-memory caches instead of NATS, so only the page's work is timed.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { NatsConnection } from "@nats-io/transport-node";
import { LiveModel } from "../../src/dashboard/live.js";
import { dashboardRoutes } from "../../src/dashboard/routes.js";
import { defaultAssetDir, loadAssets } from "../../src/dashboard/static.js";
import type { Cached, CacheListener, KvCache } from "../../src/lattice/kv-cache.js";
import { silentLogger } from "../../src/log.js";
import type { IndexSummary } from "../../src/reconcile/app-cache.js";
import type { AppStatus } from "../../src/streams/app-status.js";
import type { HostRecord } from "../../src/streams/host-record.js";

/** Just what LiveModel reads of a KvCache: values, get, onChange; `set` plays a watch update. */
class MemoryCache<T> {
  private readonly entries = new Map<string, Cached<T>>();
  private readonly listeners: CacheListener<T>[] = [];
  private revision = 0;
  set(key: string, value: T): void {
    const previous = this.entries.get(key);
    const next = { key, value, revision: ++this.revision, created: new Date() };
    this.entries.set(key, next);
    for (const l of this.listeners) l(key, next, previous);
  }
  get(key: string) {
    return this.entries.get(key);
  }
  values() {
    return this.entries.values();
  }
  onChange(l: CacheListener<T>): void {
    this.listeners.push(l);
  }
}

/** Every app runs 5 instances, app j on hosts 5j … 5j+4 (mod N): 200 apps cover 1,000 hosts once. */
export function syntheticHosts(hosts: number, apps: number, zones = ["a", "b", "c"], seq = 0): HostRecord[] {
  const now = new Date().toISOString();
  const records: HostRecord[] = Array.from({ length: hosts }, (_, i) => ({
    hostId: `host-${String(i).padStart(4, "0")}`,
    lattice: "default",
    labels: { zone: zones[i % zones.length]!, "nadm.io/os": "linux" },
    driver: "sim",
    version: "bench",
    startedAt: now,
    updatedAt: now,
    heartbeatIntervalMs: 5_000,
    heartbeatSeq: seq,
    inventory: {},
  }));
  for (let j = 0; j < apps; j++) {
    for (let k = 0; k < 5; k++) {
      const w = { app: `app-${j}`, component: "web", rev: "r1", desired: 1, running: 1, ready: 1 };
      records[(5 * j + k) % hosts]!.inventory[`app-${j}.web.r1`] = {
        ...w,
        failed: 0,
        restarts: 0,
        lastError: null,
      };
    }
  }
  return records;
}

function appStatus(j: number): AppStatus {
  return {
    name: `app-${j}`,
    version: "v1",
    phase: j % 10 === 0 ? "reconciling" : "deployed",
    message: j % 10 === 0 ? "4/5 ready; 1 starting" : "5/5 ready",
    observedGeneration: 1,
    updatedAt: new Date().toISOString(),
    components: [
      {
        name: "web",
        scaler: "spreadscaler",
        phase: "deployed",
        message: "5/5 ready",
        desired: 5,
        running: 5,
        ready: 5,
        hosts: {},
      },
    ],
  };
}

const INDEX: IndexSummary = {
  deployedVersion: "v1",
  previousVersion: null,
  generation: 1,
  paused: false,
  deployedDigest: "sha256:bench",
};

export interface SyntheticDashboard {
  url: string;
  /** Plays one heartbeat of `count` hosts (a watch update of each record). */
  heartbeat(count: number): void;
  stop(): Promise<void>;
}

/** Serves the built page and the read model over `hosts` × `apps` on a free port. */
export async function syntheticDashboard(hosts: number, apps: number): Promise<SyntheticDashboard> {
  const dir = defaultAssetDir();
  if (!dir) throw new Error("the dashboard page is not built: npm run build:ui");
  const indexes = new MemoryCache<IndexSummary>();
  const statuses = new MemoryCache<AppStatus>();
  const hostCache = new MemoryCache<HostRecord>();
  for (const r of syntheticHosts(hosts, apps)) hostCache.set(`default.${r.hostId}`, r);
  for (let j = 0; j < apps; j++) {
    indexes.set(`default.app-${j}`, INDEX);
    statuses.set(`default.app-${j}`, appStatus(j));
  }
  const as = <T>(c: MemoryCache<T>) => c as unknown as KvCache<T>;
  const live = new LiveModel(
    {
      indexes: as(indexes),
      statuses: as(statuses),
      hosts: as(hostCache),
      js: undefined as never,
      log: silentLogger(),
    },
    { follow: false }, // no NATS here: the page gets no stream items
  );
  const streams = new Set<import("node:http").ServerResponse>();
  const routes = dashboardRoutes({
    nc: undefined as unknown as NatsConnection,
    live,
    assets: loadAssets(dir),
    actions: false,
    replica: "synthetic",
    log: silentLogger(),
    streams,
  });
  const server: Server = createServer((req, res) => {
    if (!routes(req, res)) res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  let seq = 0;
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    heartbeat(count) {
      seq++;
      for (const r of syntheticHosts(hosts, apps, undefined, seq).slice(0, count))
        hostCache.set(`default.${r.hostId}`, r);
    },
    async stop() {
      for (const res of streams) res.end();
      live.stop();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
