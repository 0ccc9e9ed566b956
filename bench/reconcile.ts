/**
 * Benchmarks (`npm run bench`): one JSON line per metric, each next to a baseline measured in
 * the same run on the same nats-server.
 *
 * reconcile_events_per_s — events drained by one controller replica (fence, plan, status
 *   check, ack) with 50 converged apps on 100 sim hosts, against the bare JetStream pipeline
 *   of NATS-NOTES (consume → publish with msgID → await PubAck → ackAck, 64 in flight).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AckPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { ApiClient } from "../src/api/client.js";
import { controllerSchema, resolve, resourcesSchema } from "../src/config.js";
import { Controller } from "../src/controller.js";
import { startNatsServer } from "../src/embedded/nats-server.js";
import { runSimFleet } from "../src/host/index.js";
import { silentLogger } from "../src/log.js";
import { ScalerRegistry } from "../src/scalers/index.js";
import { connectNats } from "../src/streams/connection.js";
import { buildEvent } from "../src/streams/events.js";
import { CONSUMERS, STREAMS } from "../src/streams/subjects.js";
import { spreadApp } from "../test/support/manifests.js";

const EVENTS = Number(process.env.BENCH_EVENTS ?? 20_000);
const APPS = 50;
const HOSTS = 100;

function line(value: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

async function until(probe: () => Promise<boolean>, timeoutMs = 300_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error("benchmark timed out");
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function publishAll(
  nc: NatsConnection,
  messages: Array<{ subject: string; payload: string; id: string }>,
) {
  const js = jetstream(nc);
  for (let i = 0; i < messages.length; i += 512) {
    await Promise.all(
      messages.slice(i, i + 512).map((m) => js.publish(m.subject, m.payload, { msgID: m.id })),
    );
  }
}

/** The bare pipeline: the most a consumer that publishes one command per event can do here. */
async function baseline(nc: NatsConnection, payloads: string[]): Promise<number> {
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: "bench_in", subjects: ["bench.in.>"] });
  await jsm.streams.add({ name: "bench_out", subjects: ["bench.out.>"] });
  await jsm.consumers.add("bench_in", {
    durable_name: "bench",
    ack_policy: AckPolicy.Explicit,
    max_ack_pending: 1000,
  });
  const js = jetstream(nc);
  const consumer = await js.consumers.get("bench_in", "bench");
  // Published while consuming, as in the nadm measurement, so both pay for the publishing.
  const started = performance.now();
  const publishing = publishAll(
    nc,
    payloads.map((p, i) => ({ subject: "bench.in.x", payload: p, id: `in-${i}` })),
  );
  let done = 0;
  const messages = await consumer.consume({ max_messages: 64 });
  const inflight = new Set<Promise<void>>();
  for await (const m of messages) {
    const p = (async () => {
      await js.publish("bench.out.x", m.data, { msgID: `out-${m.seq}` });
      await m.ackAck();
      done++;
    })();
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
    if (inflight.size >= 64) await Promise.race(inflight);
    if (done + inflight.size >= payloads.length) break;
  }
  await Promise.all(inflight);
  await publishing;
  await messages.close();
  return (payloads.length / (performance.now() - started)) * 1000;
}

async function nadm(nc: NatsConnection): Promise<{
  rate: number;
  converged_ms: number;
  cpu_share: number;
  spread: { max: number; ideal: number; hostsUsed: number };
}> {
  const log = silentLogger();
  const controller = new Controller({
    nc,
    resources: resolve(resourcesSchema, {}),
    controller: resolve(controllerSchema, { resyncIntervalMs: 3_600_000 }),
    registry: new ScalerRegistry(),
    log,
  });
  await controller.start();
  const fleet = await runSimFleet({ nc, count: HOSTS, heartbeatIntervalMs: 60_000, logger: log });
  const api = new ApiClient(nc, "default");
  const t0 = performance.now();
  for (let i = 0; i < APPS; i++) {
    const name = `bench-${i}`;
    await api.put(spreadApp(name, { instances: 4 }));
    await api.deploy(name, "v1");
  }
  await until(async () => (await api.list()).apps.every((a) => a.phase === "deployed"));
  const converged_ms = Math.round(performance.now() - t0);
  const perHost = fleet.agents.map((a) => Object.values(a.inventory()).reduce((n, w) => n + w.running, 0));
  const spread = {
    max: Math.max(...perHost),
    ideal: Math.ceil((APPS * 4) / HOSTS),
    hostsUsed: perHost.filter(Boolean).length,
  };

  const jsm = await jetstreamManager(nc);
  const drained = async () => {
    const info = await jsm.consumers.info(STREAMS.events, CONSUMERS.reconcile);
    return info.num_pending === 0 && info.num_ack_pending === 0;
  };
  await until(drained);
  const events = Array.from({ length: EVENTS }, (_, i) =>
    buildEvent("default", "workload_scaled", "nadm/default/host/bench", {
      hostId: `sim-${i % HOSTS}`,
      app: `bench-${i % APPS}`,
      component: "web",
      workloadKey: "bench",
      desired: 0,
      running: 0,
      ready: 0,
    }),
  );
  const started = performance.now();
  const cpu = process.cpuUsage();
  await publishAll(
    nc,
    events.map((e) => ({ subject: e.subject, payload: e.payload, id: e.id })),
  );
  await until(drained);
  const wall = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const rate = (EVENTS / wall) * 1000;
  const cpu_share = Number(((used.user + used.system) / 1000 / wall).toFixed(2));
  await fleet.stop();
  await controller.stop();
  return { rate, converged_ms, cpu_share, spread };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "nadm-bench-"));
  const server = await startNatsServer({ storeDir: dir });
  try {
    const nc = await connectNats({ natsUrl: server.url, lattice: "default" });
    const sample = buildEvent("default", "lattice_tick", "nadm/default/controller", {
      period: 1,
      intervalMs: 1000,
    });
    const base = await baseline(
      nc,
      Array.from({ length: EVENTS }, () => sample.payload),
    );
    const ours = await nadm(nc);
    line({ metric: "baseline_pipeline_events_per_s", value: Math.round(base), events: EVENTS });
    line({
      metric: "reconcile_events_per_s",
      value: Math.round(ours.rate),
      baseline: Math.round(base),
      ratio_to_baseline: Number((ours.rate / base).toFixed(3)),
      events: EVENTS,
      controller_cpu_share: ours.cpu_share,
      apps: APPS,
      hosts: HOSTS,
    });
    line({ metric: "deploy_50_apps_converged_ms", value: ours.converged_ms, apps: APPS, hosts: HOSTS });
    line({
      metric: "max_instances_per_host",
      value: ours.spread.max,
      baseline_even_spread: ours.spread.ideal,
      hosts_used: ours.spread.hostsUsed,
      hosts: HOSTS,
    });
    await nc.close();
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
