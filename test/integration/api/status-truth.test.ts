/**
 * `status` never claims fewer instances than hosts report: polled every 50 ms after `undeploy`
 * (and after `delete`), a reply saying 0 running is only ever seen once the host's own record
 * says 0 too. The host runs sim instances that take 1.5 s to stop, so the window in which the
 * stored status still describes the deployment is long enough to be polled many times.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { ApiClient } from "../../../src/api/client.js";
import { resolve, resourcesSchema } from "../../../src/config.js";
import { SimDriver } from "../../../src/host/drivers/sim.js";
import type { Driver, InstanceEvents, InstanceSpec } from "../../../src/host/drivers/types.js";
import { HostAgent } from "../../../src/host/index.js";
import type { AppStatus } from "../../../src/streams/app-status.js";
import { hostRecordSchema } from "../../../src/streams/host-record.js";
import { openBuckets } from "../../../src/streams/provision.js";
import { keys } from "../../../src/streams/subjects.js";
import { startController } from "../../support/controller.js";
import { spreadApp } from "../../support/manifests.js";
import { testNats } from "../../support/nats.js";
import { waitFor } from "../../support/wait.js";

const STOP_MS = 1_500;

/** Sim instances that take STOP_MS to stop, like a process draining its connections. */
class SlowStopDriver implements Driver<null> {
  readonly name = "sim" as const;
  private readonly sim = new SimDriver({ startMs: 20 });
  prepare(): null {
    return null;
  }
  async start(spec: InstanceSpec<null>, events: InstanceEvents) {
    const handle = await this.sim.start(spec, events);
    return {
      stop: async (graceMs: number) => {
        await new Promise((r) => setTimeout(r, STOP_MS));
        await handle.stop(graceMs);
      },
    };
  }
}

const nats = await testNats();
const nc = await nats.connect();
await startController(nc, { tickIntervalMs: 200 });
const host = new HostAgent({ nc, hostId: "slow", driver: new SlowStopDriver(), heartbeatIntervalMs: 500 });
await host.start();
after(() => host.stop());
const hostsKv = (await openBuckets(nc, resolve(resourcesSchema, {}))).hosts;
const api = new ApiClient(nc, "default");

/** What the host's own KV record says runs of `app`, read now. */
async function hostReportsRunning(app: string): Promise<number> {
  const entry = await hostsKv.get(keys.host("default", "slow"));
  if (entry?.operation !== "PUT") return 0;
  const record = hostRecordSchema.parse(entry.json());
  return Object.values(record.inventory)
    .filter((w) => w.app === app)
    .reduce((n, w) => n + w.running, 0);
}

const running = (s: AppStatus) => s.components.reduce((n, c) => n + c.running, 0);

async function deployThree(name: string): Promise<void> {
  const put = await api.put(spreadApp(name, { instances: 3 }));
  await api.deploy(name, put.version);
  await waitFor(
    async () => {
      const s = await api.status(name);
      return s.phase === "deployed" && running(s) === 3;
    },
    { timeoutMs: 15_000, what: `${name} deployed with 3 running` },
  );
}

/** Polls status every 50 ms until hosts and status both say 0; checks every reply on the way. */
async function pollUntilStopped(name: string): Promise<AppStatus[]> {
  const replies: AppStatus[] = [];
  const deadline = Date.now() + 20_000;
  for (;;) {
    const s = await api.status(name).catch((e: Error) => e);
    if (s instanceof Error) {
      // After delete, not_found is the right answer once nothing runs any more.
      assert.match(s.message, /not found/);
      assert.equal(await hostReportsRunning(name), 0, "not_found while the host still runs instances");
      return replies;
    }
    replies.push(s);
    assert.equal(s.phase, "undeployed", s.message);
    assert.notEqual(s.updatedAt, new Date(0).toISOString());
    if (running(s) === 0) {
      // Counts only go down after undeploy: if the host says > 0 now, it did at the reply too.
      const reported = await hostReportsRunning(name);
      assert.equal(reported, 0, `status said 0 running while the host reports ${reported}: ${s.message}`);
      if (reported === 0) return replies;
    } else {
      assert.match(s.message, new RegExp(`: stopping ${running(s)} instances?$`));
    }
    assert.ok(Date.now() < deadline, "instances stopped in time");
    await new Promise((r) => setTimeout(r, 50));
  }
}

test("status polled every 50 ms after undeploy never says 0 running while the host still runs one", async () => {
  await deployThree("draining");
  await api.undeploy("draining");
  const replies = await pollUntilStopped("draining");
  const stopping = replies.filter((s) => running(s) > 0);
  assert.ok(stopping.length >= 5, `the stopping window was observed (${stopping.length} replies)`);
  assert.match(stopping[0]!.message, /^undeployed: stopping 3 instances$/);
  assert.equal(replies.at(-1)?.message, "undeployed");
});

test("the same after delete, until the app is gone", async () => {
  await deployThree("deleting");
  await api.delete("deleting");
  const replies = await pollUntilStopped("deleting");
  assert.ok(replies.filter((s) => running(s) > 0).length >= 5, "the stopping window was observed");
  assert.match(replies[0]!.message, /^deleted: stopping 3 instances$/);
});
