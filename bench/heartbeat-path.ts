/**
 * What a replica's own code costs per host heartbeat (`tsx bench/heartbeat-path.ts`, not part of
 * `npm run bench`): HOSTS records shaped like a sim host's (two workloads each) are rewritten
 * with only their heartbeat fields changed and fed, in-process, to the host decoder alone and
 * to the whole cache path (KvCache apply → HostRecordDecoder → LatticeView update). No NATS: the
 * client's share of M5 is the rest of the controller's CPU (bench/README.md). Then what the
 * lattice view alone costs per placement write (a host's record gaining a workload of a new
 * app, as in M2's burst: every host goes from 1 to 10 workloads, 10 rounds of new apps).
 * Params (env): BENCH_HOSTS (5000), BENCH_BEATS (50000).
 */
import type { KV, KvEntry } from "@nats-io/kv";
import { HostRecordDecoder } from "../src/lattice/host-decoder.js";
import { type Cached, type CacheListener, KvCache } from "../src/lattice/kv-cache.js";
import { LatticeView } from "../src/lattice/view.js";
import { silentLogger } from "../src/log.js";
import type { HostRecord } from "../src/streams/host-record.js";
import { emit } from "./lib/report.js";

const HOSTS = Number(process.env.BENCH_HOSTS ?? 5000);
const BEATS = Number(process.env.BENCH_BEATS ?? 50_000);
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function workload(app: string) {
  return {
    ...{ app, component: "web", rev: "abc123", desired: 1, running: 1, ready: 1, failed: 0 },
    ...{ restarts: 0, lastError: null, lastCommandId: "c".repeat(64), readyAt: [1_700_000_000_000] },
  };
}

function record(i: number, seq: number): string {
  const inventory: Record<string, unknown> = {};
  for (let w = 0; w < 2; w++) {
    const app = `app-${(i * 2 + w) % 1000}`;
    inventory[`${app}.web.abc123`] = workload(app);
  }
  const labels = { zone: "a", "nadm.io/hostname": "x", "nadm.io/os": "linux", "nadm.io/arch": "x64" };
  const updatedAt = new Date(1_700_000_000_000 + seq * 5000).toISOString();
  return JSON.stringify({
    ...{ hostId: `n0-${i}`, lattice: "default", labels, driver: "sim", version: "0.1.0" },
    ...{ startedAt: "2026-01-01T00:00:00.000Z", updatedAt, heartbeatIntervalMs: 5000, heartbeatSeq: seq },
    inventory,
  });
}

let revision = 0;
/** The parts of a KV watch entry the cache and the decoder read. */
function entry(i: number, seq: number): KvEntry {
  const value = encoder.encode(record(i, seq));
  const e = { key: `default.n0-${i}`, revision: ++revision, created: new Date(), operation: "PUT", value };
  return {
    ...e,
    string: () => decoder.decode(value),
    json: () => JSON.parse(decoder.decode(value)),
  } as KvEntry;
}

/** Heartbeats of every host in turn, after each host's first full record. */
function beats(): KvEntry[] {
  return Array.from({ length: BEATS }, (_, k) => entry(k % HOSTS, 2 + Math.floor(k / HOSTS)));
}

function usPer(entries: readonly KvEntry[], fn: (e: KvEntry) => void): number {
  const t = performance.now();
  for (const e of entries) fn(e);
  return ((performance.now() - t) * 1000) / entries.length;
}

const alone = new HostRecordDecoder();
for (let i = 0; i < HOSTS; i++) alone.decode(entry(i, 1));
const decodeUs = usPer(beats(), (e) => alone.decode(e));

const hostDecoder = new HostRecordDecoder();
const cache = new KvCache<HostRecord>({} as KV, (e) => hostDecoder.decode(e), silentLogger());
const view = new LatticeView(cache, silentLogger());
// The watch's own entry point: the cache is fed as its KV watch would feed it.
const apply = (e: KvEntry) => (cache as unknown as { apply(e: KvEntry, w: boolean): void }).apply(e, true);
for (let i = 0; i < HOSTS; i++) apply(entry(i, 1));
view.hosts("default");
const pathUs = usPer(beats(), apply);

/** The view fed directly (records already parsed): each write adds one app to its host. */
function placementWriteUs(): number {
  const listeners: CacheListener<HostRecord>[] = [];
  const feed = { values: () => [].values(), onChange: (l: CacheListener<HostRecord>) => listeners.push(l) };
  new LatticeView(feed as unknown as KvCache<HostRecord>, silentLogger());
  const last = new Map<string, Cached<HostRecord>>();
  const labels = { zone: "a" };
  let rev = 0;
  let us = 0;
  for (let round = 0; round < 10; round++) {
    const writes: Cached<HostRecord>[] = [];
    for (let w = 1; w <= 10; w++)
      for (let i = 0; i < HOSTS; i++) {
        const inventory: Record<string, unknown> = {};
        for (let k = 0; k < w; k++)
          inventory[`app-${round}-${i}-${k}.web.abc123`] = workload(`app-${round}-${i}-${k}`);
        const value = { ...JSON.parse(record(i, 1)), labels, inventory } as HostRecord;
        writes.push({ key: `default.n0-${i}`, value, revision: ++rev, created: new Date() });
      }
    us += usPer(writes as unknown as KvEntry[], (e) => {
      const next = e as unknown as Cached<HostRecord>;
      const prev = last.get(next.key);
      last.set(next.key, next);
      for (const l of listeners) l(next.key, next, prev);
    });
  }
  return us / 10;
}
const placementUs = placementWriteUs();

const params = { hosts: HOSTS, beats: BEATS };
emit({ metric: "heartbeat_decode_us", value: decodeUs, unit: "µs", params });
emit({ metric: "heartbeat_cache_path_us", value: pathUs, unit: "µs", params });
emit({
  metric: "view_placement_write_us",
  value: placementUs,
  unit: "µs",
  params: { hosts: HOSTS, workloads: "1 → 10" },
});
