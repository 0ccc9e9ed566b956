/**
 * What a replica's own code costs per host heartbeat (`tsx bench/heartbeat-path.ts`, not part of
 * `npm run bench`): HOSTS records shaped like a sim host's (two workloads each) are rewritten
 * with only their heartbeat fields changed and fed, in-process, to the host decoder alone and
 * to the whole cache path (KvCache apply → HostRecordDecoder → LatticeView update). No NATS: the
 * client's share of M5 is the rest of the controller's CPU (bench/README.md).
 * Params (env): BENCH_HOSTS (5000), BENCH_BEATS (50000).
 */
import type { KV, KvEntry } from "@nats-io/kv";
import { HostRecordDecoder } from "../src/lattice/host-decoder.js";
import { KvCache } from "../src/lattice/kv-cache.js";
import { LatticeView } from "../src/lattice/view.js";
import { silentLogger } from "../src/log.js";
import type { HostRecord } from "../src/streams/host-record.js";
import { emit } from "./lib/report.js";

const HOSTS = Number(process.env.BENCH_HOSTS ?? 5000);
const BEATS = Number(process.env.BENCH_BEATS ?? 50_000);
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function record(i: number, seq: number): string {
  const inventory: Record<string, unknown> = {};
  for (let w = 0; w < 2; w++) {
    const app = `app-${(i * 2 + w) % 1000}`;
    inventory[`${app}.web.abc123`] = {
      ...{ app, component: "web", rev: "abc123", desired: 1, running: 1, ready: 1, failed: 0 },
      ...{ restarts: 0, lastError: null, lastCommandId: "c".repeat(64), readyAt: [1_700_000_000_000] },
    };
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

const params = { hosts: HOSTS, beats: BEATS };
emit({ metric: "heartbeat_decode_us", value: decodeUs, unit: "µs", params });
emit({ metric: "heartbeat_cache_path_us", value: pathUs, unit: "µs", params });
