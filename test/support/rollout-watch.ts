/**
 * Watches every host inventory change of one app during a rollout and keeps the worst moments:
 * the fewest ready instances, the most instances at once, and the most `serialBy` values
 * disrupted at once (an instance starting, stopping or not ready). Also records the commands
 * issued for the app, in stream order.
 */
import { DeliverPolicy, jetstream } from "@nats-io/jetstream";
import { Kvm, KvWatchInclude } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { commandSchema } from "../../src/streams/commands.js";
import { type HostRecord, hostRecordSchema } from "../../src/streams/host-record.js";
import { keysOf } from "./lattice.js";

export interface RolloutWatch {
  minReady: number;
  maxInstances: number;
  maxDisruptedGroups: number;
  /** The newest record of every live host (for asserting the end state). */
  records: Map<string, HostRecord>;
  stop(): void;
}

export async function watchRollout(
  nc: NatsConnection,
  app: string,
  label = "zone",
  /** Count ready instances of this workload key only (e.g. the old revision during a revert). */
  onlyKey?: string,
): Promise<RolloutWatch> {
  const kv = await new Kvm(nc).open("nadm_hosts");
  const records = new Map<string, HostRecord>();
  const watch: RolloutWatch = {
    minReady: Number.POSITIVE_INFINITY,
    maxInstances: 0,
    maxDisruptedGroups: 0,
    records,
    stop: () => void iter.stop(),
  };
  // Updates from now on, then the current values: samples start from the whole fleet, never
  // from a half-loaded one; a revision per key keeps an older value from overwriting a newer.
  const revisions = new Map<string, number>();
  let loaded = false;
  const apply = (key: string, revision: number, value: HostRecord | undefined) => {
    if ((revisions.get(key) ?? 0) >= revision) return;
    revisions.set(key, revision);
    if (value) records.set(key, value);
    else records.delete(key);
    if (loaded) sample(watch, app, label, onlyKey);
  };
  const iter = await kv.watch({ include: KvWatchInclude.UpdatesOnly });
  void (async () => {
    for await (const e of iter) {
      apply(e.key, e.revision, e.operation === "PUT" ? hostRecordSchema.parse(e.json()) : undefined);
    }
  })();
  for (const key of await keysOf(kv)) {
    const e = await kv.get(key);
    if (e?.operation === "PUT") apply(key, e.revision, hostRecordSchema.parse(e.json()));
  }
  loaded = true;
  sample(watch, app, label, onlyKey);
  return watch;
}

function sample(w: RolloutWatch, app: string, label: string, onlyKey?: string): void {
  let ready = 0;
  let instances = 0;
  const disrupted = new Set<string>();
  for (const r of w.records.values()) {
    for (const [key, inv] of Object.entries(r.inventory)) {
      if (inv.app !== app) continue;
      if (onlyKey === undefined || key === onlyKey) ready += inv.ready;
      instances += Math.max(inv.desired, inv.running);
      if (inv.desired !== inv.running || inv.ready < inv.running) disrupted.add(r.labels[label] ?? "");
    }
  }
  w.minReady = Math.min(w.minReady, ready);
  w.maxInstances = Math.max(w.maxInstances, instances);
  w.maxDisruptedGroups = Math.max(w.maxDisruptedGroups, disrupted.size);
}

/** `host workload from→to` strings, counted per (host, key) as the commands arrive. */
export interface CommandLog {
  commands: Array<{
    hostId: string;
    key: string;
    count: number;
    basedOnRevision: number;
    causationId: string;
    issuedAt: string;
    seq: number;
  }>;
  stop(): void;
}

export async function recordCommands(nc: NatsConnection, app: string): Promise<CommandLog> {
  const js = jetstream(nc);
  const consumer = await js.consumers.get("nadm_commands", { deliver_policy: DeliverPolicy.New });
  const messages = await consumer.consume();
  const log: CommandLog = { commands: [], stop: () => void messages.stop() };
  void (async () => {
    for await (const m of messages) {
      const c = commandSchema.parse(m.json());
      if (c.app === app)
        log.commands.push({
          hostId: c.hostId,
          key: c.workload.key,
          count: c.count,
          basedOnRevision: c.basedOnRevision,
          causationId: c.causationId,
          issuedAt: c.issuedAt,
          seq: m.seq,
        });
    }
  })();
  return log;
}
