/**
 * The benchmark's view of a lattice, read the way a user's tooling would: app statuses and host
 * records through KV watches (no API polling that would load the controller), apps put and
 * deployed through the API, and commands counted on the stream.
 */
import { DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { ApiClient } from "../../src/api/client.js";
import { resolve, resourcesSchema } from "../../src/config.js";
import { KvCache } from "../../src/lattice/kv-cache.js";
import { silentLogger } from "../../src/log.js";
import type { AppStatus } from "../../src/streams/app-status.js";
import type { HostRecord } from "../../src/streams/host-record.js";
import { provision } from "../../src/streams/provision.js";
import { BUCKETS, CONSUMERS, keys, STREAMS } from "../../src/streams/subjects.js";
import { until } from "./processes.js";

export const LATTICE = "default";

export class LatticeObserver {
  private constructor(
    readonly statuses: KvCache<AppStatus>,
    readonly hosts: KvCache<HostRecord>,
  ) {}

  /** Provisions the streams and buckets first (as the controller would), so it can start before it. */
  static async open(nc: NatsConnection): Promise<LatticeObserver> {
    await provision(nc, { resources: resolve(resourcesSchema, {}) });
    const kvm = new Kvm(nc);
    const json = <T>(e: { json<X>(): X }) => e.json<T>();
    const statuses = new KvCache<AppStatus>(await kvm.open(BUCKETS.status), json, silentLogger());
    const hosts = new KvCache<HostRecord>(await kvm.open(BUCKETS.hosts), json, silentLogger());
    await Promise.all([statuses.start(), hosts.start()]);
    return new LatticeObserver(statuses, hosts);
  }

  stop(): void {
    this.statuses.stop();
    this.hosts.stop();
  }

  hostCount(): number {
    let n = 0;
    for (const _ of this.hosts.values()) n++;
    return n;
  }

  /** Apps among `names` whose status is `deployed` at `version` (any version when absent). */
  deployedCount(names: readonly string[], version?: string): number {
    let n = 0;
    for (const app of names) {
      const s = this.statuses.get(keys.status(LATTICE, app))?.value;
      if (s?.phase === "deployed" && (version === undefined || s.version === version)) n++;
    }
    return n;
  }

  /** app → instances running on live hosts, and on which hosts. */
  running(): Map<string, { total: number; hosts: Set<string> }> {
    const out = new Map<string, { total: number; hosts: Set<string> }>();
    for (const c of this.hosts.values()) {
      for (const inv of Object.values(c.value.inventory)) {
        if (inv.running === 0) continue;
        const e = out.get(inv.app) ?? { total: 0, hosts: new Set<string>() };
        e.total += inv.running;
        e.hosts.add(c.value.hostId);
        out.set(inv.app, e);
      }
    }
    return out;
  }

  /** Distinct (host, workload) pairs with instances: the commands a placement from nothing needs. */
  placedPairs(): number {
    let n = 0;
    for (const c of this.hosts.values())
      for (const inv of Object.values(c.value.inventory)) if (inv.desired > 0) n++;
    return n;
  }

  /** hostId → workload key → desired count, for computing the commands a heal needs. */
  desiredByHost(): Map<string, Map<string, number>> {
    const out = new Map<string, Map<string, number>>();
    for (const c of this.hosts.values()) {
      const m = new Map<string, number>();
      for (const [key, inv] of Object.entries(c.value.inventory))
        if (inv.desired > 0) m.set(key, inv.desired);
      out.set(c.value.hostId, m);
    }
    return out;
  }

  async waitHosts(count: number, timeoutMs = 120_000): Promise<void> {
    await until(() => this.hostCount() >= count, `${count} hosts`, timeoutMs);
  }

  async waitDeployed(names: readonly string[], timeoutMs = 600_000, version?: string): Promise<void> {
    await until(
      () => this.deployedCount(names, version) === names.length,
      `${names.length} apps deployed`,
      timeoutMs,
      20,
    );
  }
}

/** Puts and deploys every manifest through the API, `concurrency` at a time. */
export async function putAndDeploy(
  api: ApiClient,
  manifests: readonly string[],
  concurrency = 64,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < manifests.length) {
      const put = await api.put(manifests[next++]!);
      await api.deploy(put.name, put.version);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

export function apiClient(nc: NatsConnection): ApiClient {
  return new ApiClient(nc, LATTICE, 60_000);
}

/** Messages ever stored in the commands stream (its last sequence). */
export function commandsStored(nc: NatsConnection): Promise<number> {
  return lastSeq(nc, STREAMS.commands);
}

/** Every message of `stream` on `filter` after sequence `after`, with its server timestamp (ms, fractional). */
export async function readAfter(
  nc: NatsConnection,
  stream: string,
  filter: string,
  after: number,
): Promise<Array<{ seq: number; time: number; data: Uint8Array }>> {
  const js = jetstream(nc);
  const consumer = await js.consumers.get(stream, {
    filter_subjects: filter,
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: after + 1,
  });
  let pending = (await consumer.info()).num_pending;
  const out: Array<{ seq: number; time: number; data: Uint8Array }> = [];
  while (pending > 0) {
    const batch = await consumer.fetch({ max_messages: Math.min(pending, 1000), expires: 2_000 });
    let got = 0;
    for await (const m of batch) {
      got++;
      // Nanosecond store time, in ms: the floor's latencies are well under a millisecond.
      out.push({ seq: m.seq, time: Number(m.info.timestampNanos) / 1e6, data: m.data });
      pending = m.info.pending;
    }
    if (got === 0) break;
  }
  return out;
}

export async function lastSeq(nc: NatsConnection, stream: string): Promise<number> {
  return (await (await jetstreamManager(nc)).streams.info(stream)).state.last_seq;
}

/** Waits until the reconcile consumer has nothing pending or unacked (the controller is idle). */
export function reconcileIdle(nc: NatsConnection, timeoutMs = 600_000): Promise<void> {
  return consumerIdle(nc, STREAMS.events, CONSUMERS.reconcile, timeoutMs);
}

/** Waits until a durable has nothing pending and nothing unacknowledged. */
export async function consumerIdle(
  nc: NatsConnection,
  stream: string,
  consumer: string,
  timeoutMs = 600_000,
): Promise<void> {
  const jsm = await jetstreamManager(nc);
  await until(
    async () => {
      const info = await jsm.consumers.info(stream, consumer);
      return info.num_pending === 0 && info.num_ack_pending === 0;
    },
    `the ${consumer} consumer to drain`,
    timeoutMs,
    500,
  );
}

/** Waits until a controller answers the API (its replicas may start after the hosts). */
export async function waitForApi(api: ApiClient, timeoutMs = 120_000): Promise<void> {
  await until(
    () =>
      api.list().then(
        () => true,
        () => false,
      ),
    "a controller answering the API",
    timeoutMs,
    200,
  );
}
