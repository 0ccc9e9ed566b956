/**
 * The periodic resync skips apps whose plan inputs have not changed since a plan that changed
 * nothing (resync-skip.ts), and still repairs drift whose event was lost: an instance removed
 * from a host's report behind the controller's back, with no event, is put back by the next
 * resync. The host is played by the test (its KV record and its control subject), so nothing
 * but the resync can notice the drift.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { jetstream } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { ApiClient } from "../../../src/api/client.js";
import { controllerSchema, resolve, resourcesSchema } from "../../../src/config.js";
import { Controller } from "../../../src/controller.js";
import { silentLogger } from "../../../src/log.js";
import { createMetrics } from "../../../src/metrics.js";
import { ScalerRegistry } from "../../../src/scalers/index.js";
import { type Command, commandSchema } from "../../../src/streams/commands.js";
import { eventSource, publishEvent } from "../../../src/streams/events.js";
import type { HostRecord, WorkloadInventory } from "../../../src/streams/host-record.js";
import { BUCKETS, keys, subjects } from "../../../src/streams/subjects.js";
import { spreadApp } from "../../support/manifests.js";
import { testNats } from "../../support/nats.js";
import { waitFor } from "../../support/wait.js";

const LATTICE = "default";
const HOST = "h1";

const nats = await testNats();
const nc = await nats.connect();
const metrics = createMetrics();
const controller = new Controller({
  nc,
  resources: resolve(resourcesSchema, {}),
  // A resync every second; commands stop counting as pending after one.
  controller: resolve(controllerSchema, {
    tickIntervalMs: 200,
    resyncIntervalMs: 1_000,
    inflightTimeoutMs: 1_000,
  }),
  registry: new ScalerRegistry(),
  log: silentLogger(),
  metrics,
});
await controller.start();
after(() => controller.stop());
const api = new ApiClient(nc, LATTICE);
const kv = await new Kvm(nc).open(BUCKETS.hosts);
const js = jetstream(nc);

/** A host that does what it is told at once: its record, its control subject, its events. */
const host = {
  record: {
    hostId: HOST,
    lattice: LATTICE,
    labels: { zone: "a" },
    driver: "sim",
    version: "test",
    startedAt: new Date().toISOString(),
    updatedAt: new Date().toISOString(),
    // Never suspect or swept while the test runs.
    heartbeatIntervalMs: 600_000,
    heartbeatSeq: 1,
    inventory: {},
  } as HostRecord,
  revision: 0,
  commands: [] as Command[],
  async write(inventory: Record<string, WorkloadInventory>): Promise<number> {
    this.record = { ...this.record, inventory, updatedAt: new Date().toISOString() };
    const data = JSON.stringify(this.record);
    const key = keys.host(LATTICE, HOST);
    this.revision = this.revision ? await kv.update(key, data, this.revision) : await kv.create(key, data);
    return this.revision;
  },
  async apply(cmd: Command): Promise<void> {
    const inventory = { ...this.record.inventory };
    const { key, rev } = cmd.workload;
    const counts = { desired: cmd.count, running: cmd.count, ready: cmd.count };
    inventory[key] = {
      app: cmd.app,
      component: cmd.component,
      rev,
      ...counts,
      failed: 0,
      restarts: 0,
      lastError: null,
      lastCommandId: cmd.id,
    };
    const stateRevision = await this.write(inventory);
    const data = {
      hostId: HOST,
      app: cmd.app,
      component: cmd.component,
      workloadKey: key,
      ...counts,
      stateRevision,
    };
    await publishEvent(js, LATTICE, "workload_scaled", eventSource(LATTICE, { hostId: HOST }), data);
  },
};
await host.write({});
const sub = nc.subscribe(subjects.control(LATTICE, HOST));
void (async () => {
  for await (const m of sub) {
    const cmd = commandSchema.parse(m.json());
    host.commands.push(cmd);
    await host.apply(cmd);
    m.respond(JSON.stringify({ ok: true, running: cmd.count }));
  }
})();
after(() => sub.unsubscribe());

async function skipped(): Promise<number> {
  const m = await metrics.registry.getSingleMetric("nadm_reconcile_skipped_total")?.get();
  return m?.values[0]?.value ?? 0;
}

test("a resync skips a settled app, and still puts back an instance removed behind its back", async () => {
  await api.put(spreadApp("steady", { instances: 2 }));
  await api.deploy("steady", "v1");
  const deployed = () =>
    waitFor(async () => (await api.status("steady")).phase === "deployed", {
      timeoutMs: 15_000,
      what: "steady deployed",
    });
  await deployed();
  assert.equal(host.commands.length, 1);
  const key = host.commands[0]!.workload.key;
  assert.equal(host.record.inventory[key]?.running, 2);

  // Settled: resyncs go by without planning it again (and without a command).
  const before = await skipped();
  await waitFor(async () => (await skipped()) >= before + 2, {
    timeoutMs: 10_000,
    what: "two resyncs skipping the app",
  });
  assert.equal(host.commands.length, 1);

  // Drift with no event: the host now reports one instance (as if a crash's report had been
  // written and its event lost). Only a resync can see it.
  const inventory = { ...host.record.inventory };
  inventory[key] = { ...inventory[key]!, desired: 1, running: 1, ready: 1, lastCommandId: null };
  await host.write(inventory);
  await waitFor(() => host.commands.length >= 2, {
    timeoutMs: 10_000,
    what: "a command repairing the drift",
  });
  assert.equal(host.commands[1]!.count, 2);
  assert.equal(host.commands[1]!.workload.key, key);
  await deployed();
  assert.equal(host.record.inventory[key]?.running, 2);
});
