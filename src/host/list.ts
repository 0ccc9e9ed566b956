/**
 * `nadm hosts list`: the host records of a lattice, and a human table of them.
 */
import type { JetStreamManager } from "@nats-io/jetstream";
import type { KV } from "@nats-io/kv";
import { BUILTIN_LABELS, type HostRecord, hostRecordSchema } from "../streams/host-record.js";
import { bucketKeys } from "../streams/leader-read.js";
import { BUCKETS, keys } from "../streams/subjects.js";

const READ_CONCURRENCY = 64;

/** A host record as listed: with when the host was last seen (its last heartbeat or record write). */
export type ListedHost = HostRecord & { lastSeen: string };

/**
 * Every valid host record of `lattice`, sorted by host id; invalid values (and the keys of
 * deleted records, which `bucketKeys` lists too) are skipped. With `liveness` (bucket
 * `nadm_liveness`), `lastSeen` counts heartbeats too; without it, only the record's writes.
 */
export async function listHosts(
  kv: KV,
  jsm: JetStreamManager,
  lattice: string,
  liveness?: KV,
): Promise<ListedHost[]> {
  const names = await bucketKeys(jsm, BUCKETS.hosts, keys.latticePrefix(lattice));
  const records: ListedHost[] = [];
  let next = 0;
  const worker = async () => {
    while (next < names.length) {
      const name = names[next++]!;
      const record = await readRecord(kv, name);
      if (!record) continue;
      const beat = await liveness?.get(name);
      const beatAt = beat?.operation === "PUT" ? beat.created.toISOString() : "";
      records.push({ ...record, lastSeen: beatAt > record.updatedAt ? beatAt : record.updatedAt });
    }
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, names.length) }, worker));
  return records.sort((a, b) => a.hostId.localeCompare(b.hostId));
}

async function readRecord(kv: KV, key: string): Promise<HostRecord | undefined> {
  const entry = await kv.get(key);
  if (entry?.operation !== "PUT") return undefined;
  try {
    const parsed = hostRecordSchema.safeParse(entry.json());
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined; // not JSON
  }
}

const BUILTINS = new Set<string>(Object.values(BUILTIN_LABELS));
const HEADERS = ["ID", "LABELS", "DRIVER", "AGE", "LAST SEEN", "WORKLOADS"] as const;

/** Aligned columns; built-in labels are omitted, workloads are `app.component×running[/desired]`. */
export function formatHostsTable(
  records: ReadonlyArray<HostRecord & { lastSeen?: string }>,
  now: Date | number = Date.now(),
): string {
  const nowMs = typeof now === "number" ? now : now.getTime();
  const rows = records.map((r) => [
    r.hostId,
    formatLabels(r.labels),
    r.driver,
    formatDuration(nowMs - Date.parse(r.startedAt)),
    `${formatDuration(nowMs - Date.parse(r.lastSeen ?? r.updatedAt))} ago`,
    formatWorkloads(r),
  ]);
  const table = [[...HEADERS], ...rows];
  const widths = HEADERS.map((_, col) => Math.max(...table.map((row) => row[col]!.length)));
  return table
    .map((row) =>
      row
        .map((cell, col) => (col === row.length - 1 ? cell : cell.padEnd(widths[col]!)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

function formatLabels(labels: Record<string, string>): string {
  const shown = Object.keys(labels)
    .filter((k) => !BUILTINS.has(k))
    .sort()
    .map((k) => `${k}=${labels[k]}`);
  return shown.length > 0 ? shown.join(",") : "-";
}

/** Revisions of one component are summed: the table is about what runs, not rollout detail. */
function formatWorkloads(record: HostRecord): string {
  const byComponent = new Map<string, { running: number; desired: number }>();
  for (const inv of Object.values(record.inventory)) {
    const name = `${inv.app}.${inv.component}`;
    const sum = byComponent.get(name) ?? { running: 0, desired: 0 };
    sum.running += inv.running;
    sum.desired += inv.desired;
    byComponent.set(name, sum);
  }
  const cells = [...byComponent.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, c]) =>
      c.running === c.desired ? `${name}×${c.running}` : `${name}×${c.running}/${c.desired}`,
    );
  return cells.length > 0 ? cells.join(", ") : "-";
}

/** Compact, kubectl-like: 45s, 3m12s, 42m, 2h5m, 3d4h. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor((Number.isFinite(ms) ? ms : 0) / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return `${m}m${s % 60}s`;
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${m % 60}m`;
  return `${Math.floor(h / 24)}d${h % 24}h`;
}
