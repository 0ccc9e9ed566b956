/**
 * Reading a lattice's state straight from NATS for end-to-end tests and chaos runs: host
 * records, what hosts run, the command stream and the durable consumers' backlog.
 */
import { jetstreamManager } from "@nats-io/jetstream";
import { type KV, Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { type HostRecord, hostRecordSchema } from "../../src/streams/host-record.js";
import { BUCKETS, CONSUMERS, STREAMS } from "../../src/streams/subjects.js";
import { waitFor } from "./wait.js";

/** `nadm_hosts`, once a replica has provisioned it. */
export function openHostsKv(nc: NatsConnection, timeoutMs = 30_000): Promise<KV> {
  return waitFor(
    async () => {
      const kv = await new Kvm(nc).open(BUCKETS.hosts);
      await kv.status(); // throws until the bucket exists
      return kv;
    },
    { timeoutMs, what: "nadm_hosts bucket" },
  );
}

/** Keys of a bucket, each once: a listing taken while hosts write can name a key twice. */
async function keysOf(kv: KV): Promise<Set<string>> {
  const keys = new Set<string>();
  for await (const key of await kv.keys()) keys.add(key);
  return keys;
}

export async function countHosts(kv: KV): Promise<number> {
  return (await keysOf(kv)).size;
}

export async function hostRecords(kv: KV): Promise<HostRecord[]> {
  const out: HostRecord[] = [];
  for (const key of await keysOf(kv)) {
    const e = await kv.get(key);
    if (e?.operation === "PUT") out.push(hostRecordSchema.parse(e.json()));
  }
  return out;
}

/** app → hostId → running instances (every revision), from what hosts report. */
export function runningByApp(records: HostRecord[]): Map<string, Map<string, number>> {
  const perApp = new Map<string, Map<string, number>>();
  for (const rec of records) {
    for (const inv of Object.values(rec.inventory)) {
      if (inv.running === 0) continue;
      const m = perApp.get(inv.app) ?? new Map<string, number>();
      m.set(rec.hostId, (m.get(rec.hostId) ?? 0) + inv.running);
      perApp.set(inv.app, m);
    }
  }
  return perApp;
}

/** Messages in `nadm_commands`. */
export async function commandCount(nc: NatsConnection): Promise<number> {
  const jsm = await jetstreamManager(nc);
  return (await jsm.streams.info(STREAMS.commands)).state.messages;
}

/** Un-acked and undelivered messages of the two durable consumers. */
export async function consumerBacklog(
  nc: NatsConnection,
): Promise<Record<string, { pending: number; ackPending: number }>> {
  const jsm = await jetstreamManager(nc);
  const out: Record<string, { pending: number; ackPending: number }> = {};
  for (const [stream, consumer] of [
    [STREAMS.events, CONSUMERS.reconcile],
    [STREAMS.commands, CONSUMERS.dispatch],
  ] as const) {
    const info = await jsm.consumers.info(stream, consumer);
    out[consumer] = { pending: info.num_pending, ackPending: info.num_ack_pending };
  }
  return out;
}

export interface CommandSeen {
  seq: number;
  hostId: string;
  app: string;
  key: string;
  count: number;
  attempt?: number;
  causationId: string;
  issuedAt: string;
}

/** Every command in `nadm_commands`, in stream order. */
export async function allCommands(nc: NatsConnection): Promise<CommandSeen[]> {
  const jsm = await jetstreamManager(nc);
  const last = (await jsm.streams.info(STREAMS.commands)).state.last_seq;
  const out: CommandSeen[] = [];
  for (let seq = 1; seq <= last; seq++) {
    const m = await jsm.streams.getMessage(STREAMS.commands, { seq }).catch(() => null);
    if (!m) continue;
    const c = m.json<Omit<CommandSeen, "seq" | "key"> & { workload: { key: string } }>();
    out.push({ ...c, seq, key: c.workload.key });
  }
  return out;
}
