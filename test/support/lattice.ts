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

/** How long one key listing may take before it is given up and started again. */
const LISTING_MS = 5_000;

/**
 * The bucket's keys. A listing (an ordered consumer) taken while hosts write can stall and
 * never end — seen as the chaos suite hanging with every process idle — so one that takes
 * longer than LISTING_MS is stopped and taken again, a few times, then fails.
 */
export async function keysOf(kv: KV): Promise<Set<string>> {
  for (let attempt = 1; ; attempt++) {
    const listing = await kv.keys();
    const keys = new Set<string>();
    const listed = (async () => {
      for await (const key of listing) keys.add(key);
      return true;
    })();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), LISTING_MS);
    });
    const done = await Promise.race([listed, late]);
    clearTimeout(timer);
    if (done) return keys;
    listing.stop();
    void listed.catch(() => undefined);
    if (attempt >= 5) throw new Error(`listing the keys of a bucket did not end (${attempt} tries)`);
  }
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

/** The two durable consumers: (stream, consumer). */
const DURABLES = [
  [STREAMS.events, CONSUMERS.reconcile],
  [STREAMS.commands, CONSUMERS.dispatch],
] as const;

/** Un-acked and undelivered messages of the two durable consumers. */
export async function consumerBacklog(
  nc: NatsConnection,
): Promise<Record<string, { pending: number; ackPending: number }>> {
  const jsm = await jetstreamManager(nc);
  const out: Record<string, { pending: number; ackPending: number }> = {};
  for (const [stream, consumer] of DURABLES) {
    const info = await jsm.consumers.info(stream, consumer);
    out[consumer] = { pending: info.num_pending, ackPending: info.num_ack_pending };
  }
  return out;
}

/**
 * The longest a message held by a killed process can stay un-acked before nats-server delivers
 * it again: the largest ack wait or backoff step of the two durable consumers, in ms.
 */
export async function longestRedeliveryMs(nc: NatsConnection): Promise<number> {
  const jsm = await jetstreamManager(nc);
  let longest = 0;
  for (const [stream, consumer] of DURABLES) {
    const { config } = await jsm.consumers.info(stream, consumer);
    for (const ns of [config.ack_wait ?? 0, ...(config.backoff ?? [])]) longest = Math.max(longest, ns / 1e6);
  }
  return longest;
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
  /** The host life the command was planned for. */
  hostStartedAt?: string;
  /** Its dedupe id, and the host record's revision it was planned from (for a report of repeats). */
  id: string;
  basedOnRevision: number;
}

/** Every command in `nadm_commands`, in stream order. */
export async function allCommands(nc: NatsConnection): Promise<CommandSeen[]> {
  return commandsFrom(nc, 1);
}

/** The commands in `nadm_commands` from sequence `first` on, in stream order. */
export async function commandsFrom(nc: NatsConnection, first: number): Promise<CommandSeen[]> {
  const jsm = await jetstreamManager(nc);
  const last = (await jsm.streams.info(STREAMS.commands)).state.last_seq;
  const out: CommandSeen[] = [];
  for (let seq = first; seq <= last; seq++) {
    const m = await jsm.streams.getMessage(STREAMS.commands, { seq }).catch(() => null);
    if (!m) continue;
    const c = m.json<Omit<CommandSeen, "seq" | "key"> & { workload: { key: string } }>();
    out.push({ ...c, seq, key: c.workload.key });
  }
  return out;
}
