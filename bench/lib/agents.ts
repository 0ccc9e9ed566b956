/**
 * The processes benchmarks run besides nadm's own (`tsx bench/lib/agents.ts ROLE ARGS…`), each
 * alone in its event loop so it measures neither nadm nor its load generator:
 *
 * - `deploy N PREFIX RATE [LATTICE]`: deploys the stored apps PREFIX-0…N-1 as the API would
 *   (index compare-and-set, then `app_deployed`), RATE per second (0: as fast as possible).
 * - `api-burst N INSTANCES PREFIX`: puts and deploys N apps through the API, 64 at a time
 *   (BENCH_API_CONCURRENCY).
 * - `publish N RATE`: the floor's load, N messages on `bench.in.x` with msg ids.
 * - `pipeline-loop N`: the floor of M1/M6: consume → publish(msgID) → PubAck → ackAck, 64 in flight.
 * - `quiet-hosts N`: N hosts of lattice `default` that accept every command and report nothing:
 *   a record each (heartbeat interval one hour, so none is ever suspect) and an answer
 *   `{ok: true}` to each control request, with no record write and no event. Behind them an
 *   `app_deployed` needs exactly one command and is followed by nothing (pipeline.ts).
 * - `responders N`: N placement-floor hosts: each answers its control request with a KV
 *   compare-and-set of its own key and an event, like a host applying a command.
 * - `placement-driver N HOSTS`: the rest of the placement floor (see placement.ts).
 * Each prints one JSON line `{done, ms}` on stdout when finished.
 */
import { jetstream } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { ApiClient } from "../../src/api/client.js";
import { resolve, resourcesSchema } from "../../src/config.js";
import { deployAndAnnounce } from "../../src/manifests/deploy.js";
import { ManifestStore } from "../../src/manifests/store.js";
import { connectNats } from "../../src/streams/connection.js";
import { BUILTIN_LABELS, type HostRecord } from "../../src/streams/host-record.js";
import { openBuckets } from "../../src/streams/provision.js";
import { keys, subjects } from "../../src/streams/subjects.js";
import { spreadApp } from "../../test/support/manifests.js";
import { FLOOR } from "./floor.js";
import type { ProcessWork } from "./report.js";

/** First message number of `publish` (a second run in one stream needs fresh msg ids). */
const ID_OFFSET = Number(process.env.BENCH_ID_OFFSET ?? 0);
const [role = "", ...args] = process.argv.slice(2);
const n = Number(args[0] ?? 0);
const nc = await connectNats({ natsUrl: process.env.NATS_URL ?? "", lattice: "default" });
const t0 = performance.now();
/** What a drain cost from its first message on (`drainConsumer`): the floor's side of M1/M6's per-event figures. */
let work: ProcessWork | undefined;
const done = await run(role, nc);
process.stdout.write(`${JSON.stringify({ done, ms: performance.now() - t0, ...(work ? { work } : {}) })}\n`);
await nc.drain();

function workSince(start: { cpu: NodeJS.CpuUsage; stats: ReturnType<NatsConnection["stats"]> }): ProcessWork {
  const cpu = process.cpuUsage(start.cpu);
  const stats = nc.stats();
  return {
    cpuUs: cpu.user + cpu.system,
    inMsgs: stats.inMsgs - start.stats.inMsgs,
    outMsgs: stats.outMsgs - start.stats.outMsgs,
  };
}

async function run(role: string, nc: NatsConnection): Promise<number> {
  switch (role) {
    case "deploy":
      return deploy(nc, n, args[1] ?? "app", Number(args[2] ?? 0), args[3] ?? "default");
    case "publish":
      return paced(n, Number(args[1] ?? 0), (j) => {
        const i = j + ID_OFFSET;
        const data = JSON.stringify({ i, pad: "x".repeat(200) });
        return jetstream(nc)
          .publish("bench.in.x", data, { msgID: `in-${i}` })
          .then(() => undefined);
      });
    case "pipeline-loop":
      return pipelineLoop(nc, n);
    case "api-burst":
      return apiBurst(nc, n, Number(args[1] ?? 10), args[2] ?? "app");
    case "quiet-hosts":
      return quietHosts(nc, n);
    case "responders":
      return responders(nc, n);
    case "placement-driver":
      return placementDriver(nc, n, Number(args[1] ?? 1000));
    default:
      throw new Error(`unknown role "${role}"`);
  }
}

/** Runs `task(i)` for i < count, at `rate` per second (0: BENCH_API_CONCURRENCY, default 64, at a time, as fast as possible). */
async function paced(count: number, rate: number, task: (i: number) => Promise<void>): Promise<number> {
  if (rate <= 0) {
    let next = 0;
    const worker = async () => {
      while (next < count) await task(next++);
    };
    await Promise.all(Array.from({ length: Number(process.env.BENCH_API_CONCURRENCY ?? 64) }, worker));
    return count;
  }
  const started = performance.now();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    inflight.push(task(i));
  }
  await Promise.all(inflight);
  return count;
}

async function deploy(
  nc: NatsConnection,
  count: number,
  prefix: string,
  rate: number,
  lattice: string,
): Promise<number> {
  const buckets = await openBuckets(nc, resolve(resourcesSchema, {}));
  const store = new ManifestStore(buckets.manifests, {});
  const js = jetstream(nc);
  return paced(count, rate, async (i) => {
    await deployAndAnnounce(store, js, lattice, `${prefix}-${i}`, "v1");
  });
}

/** Puts and deploys PREFIX-0…count-1 (INSTANCES each) through the API, 64 at a time (BENCH_API_CONCURRENCY), as users would. */
async function apiBurst(
  nc: NatsConnection,
  count: number,
  instances: number,
  prefix: string,
): Promise<number> {
  // A replica killed mid-request never answers: retry (put and deploy are idempotent).
  const api = new ApiClient(nc, "default", 5_000);
  const stats = { retries: 0, ms: [] as number[], errors: new Set<string>() };
  const retried = async <T>(op: () => Promise<T>): Promise<T> => {
    for (let attempt = 1; ; attempt++) {
      const t0 = performance.now();
      try {
        const out = await op();
        stats.ms.push(performance.now() - t0);
        return out;
      } catch (err) {
        stats.retries++;
        stats.errors.add(String((err as Error).message).slice(0, 120));
        if (attempt >= 10) throw err;
      }
    }
  };
  const done = await paced(count, 0, async (i) => {
    const put = await retried(() => api.put(spreadApp(`${prefix}-${i}`, { instances })));
    await retried(() => api.deploy(put.name, put.version));
  });
  const ms = stats.ms.sort((a, b) => a - b);
  const q = (p: number) => Math.round(ms[Math.min(ms.length - 1, Math.floor((p / 100) * ms.length))] ?? 0);
  const summary = { retries: stats.retries, errors: [...stats.errors], p50: q(50), p99: q(99), max: q(100) };
  process.stdout.write(`${JSON.stringify({ api: summary })}\n`);
  return done;
}

async function pipelineLoop(nc: NatsConnection, count: number): Promise<number> {
  const js = jetstream(nc);
  return drainConsumer(nc, FLOOR.in, count, async (m) => {
    await js.publish("bench.out.x", m.data, { msgID: `out-${m.seq}` });
  });
}

/**
 * Consumes `count` messages of the stream's `bench` durable, 64 in flight: `each` then ackAck
 * (awaited), as nadm's workers settle a message.
 */
async function drainConsumer(
  nc: NatsConnection,
  stream: string,
  count: number,
  each: (m: { subject: string; seq: number; data: Uint8Array }) => Promise<void>,
): Promise<number> {
  const messages = await (await jetstream(nc).consumers.get(stream, "bench")).consume({ max_messages: 64 });
  let done = 0;
  const inflight = new Set<Promise<void>>();
  let start: Parameters<typeof workSince>[0] | undefined;
  for await (const m of messages) {
    start ??= { cpu: process.cpuUsage(), stats: nc.stats() };
    const p = each(m).then(async () => {
      await m.ackAck();
      done++;
    });
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
    if (inflight.size >= 64) await Promise.race(inflight);
    if (done + inflight.size >= count) break;
  }
  await Promise.all(inflight);
  if (start) work = workSince(start);
  await messages.close();
  return done;
}

/**
 * Hosts of the placement floor: each applies a command as a host does — compare-and-set of its
 * own record, an event published with a msg id — and replies. Runs until killed.
 */
async function quietHosts(nc: NatsConnection, count: number): Promise<number> {
  const buckets = await openBuckets(nc, resolve(resourcesSchema, {}));
  const now = new Date().toISOString();
  const ok = new TextEncoder().encode('{"ok":true,"running":1}');
  for (let h = 0; h < count; h++) {
    const hostId = `quiet-${h}`;
    const record: HostRecord = {
      hostId,
      lattice: "default",
      labels: { [BUILTIN_LABELS.hostname]: hostId, zone: `z${h % 3}` },
      driver: "sim",
      version: "bench",
      startedAt: now,
      updatedAt: now,
      heartbeatIntervalMs: 3_600_000,
      heartbeatSeq: 0,
      inventory: {},
    };
    await buckets.hosts.create(keys.host("default", hostId), JSON.stringify(record));
    nc.subscribe(subjects.control("default", hostId), {
      callback: (_e, m) => {
        m.respond(ok);
      },
    });
  }
  await nc.flush();
  process.stdout.write(`${JSON.stringify({ ready: count })}\n`);
  await new Promise(() => undefined);
  return count;
}

async function responders(nc: NatsConnection, count: number): Promise<number> {
  const kv = await new Kvm(nc).open(FLOOR.bucket);
  const js = jetstream(nc);
  const revisions = new Map<number, number>();
  const chains = new Map<number, Promise<void>>();
  for (let h = 0; h < count; h++) revisions.set(h, await kv.put(`h${h}`, "{}"));
  for (let h = 0; h < count; h++) {
    nc.subscribe(`bench.ctl.h${h}`, {
      // One command at a time per host, as a host's per-workload mutex does.
      callback: (_e, m) => {
        const apply = async () => {
          const rev = await kv.update(`h${h}`, m.data, revisions.get(h)!);
          revisions.set(h, rev);
          await js.publish(`bench.evt.h${h}`, m.data, { msgID: `evt-${h}-${rev}` });
          m.respond('{"ok":true}');
        };
        const next = (chains.get(h) ?? Promise.resolve()).then(apply);
        chains.set(
          h,
          next.catch(() => undefined),
        );
      },
    });
  }
  await nc.flush();
  process.stdout.write(`${JSON.stringify({ ready: count })}\n`);
  await new Promise(() => undefined);
  return count;
}

/**
 * The controller side of the placement floor: publishes `count` commands (PubAck each),
 * consumes them and sends each to its host (request/reply), and consumes the hosts' events —
 * every ack awaited, 64 of each in flight.
 */
async function placementDriver(nc: NatsConnection, count: number, hosts: number): Promise<number> {
  const js = jetstream(nc);
  const publishing = paced(count, 0, (i) =>
    js
      .publish(`bench.cmd.h${i % hosts}`, JSON.stringify({ i, pad: "x".repeat(300) }), { msgID: `cmd-${i}` })
      .then(() => undefined),
  );
  await Promise.all([
    publishing,
    drainConsumer(nc, FLOOR.commands, count, async (m) => {
      await nc.request(m.subject.replace("bench.cmd.", "bench.ctl."), m.data, { timeout: 10_000 });
    }),
    drainConsumer(nc, FLOOR.events, count, async () => undefined),
  ]);
  return count;
}
