/**
 * NATS degraded: the nats-server is SIGKILLed in the middle of a burst of deploys and comes
 * back 4 s later (longer than 3 heartbeats). Controllers and hosts (separate processes) reconnect, and every app ends
 * `deployed` with its full placement; the lattice still answers to a change afterwards.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { ApiClient } from "../../src/api/client.js";
import { BUCKETS, STREAMS } from "../../src/streams/subjects.js";
import { hostRecords } from "../support/lattice.js";
import { spreadApp } from "../support/manifests.js";
import { testNats } from "../support/nats.js";
import { spawnNadm } from "../support/processes.js";
import { waitFor } from "../support/wait.js";

const nats = await testNats();
const env = { NATS_URL: nats.url, NADM_LOG_LEVEL: "warn" };
const APPS = 12;

async function retry<T>(fn: () => Promise<T>): Promise<T> {
  return waitFor(() => fn().catch(() => undefined) as Promise<T | undefined>, {
    timeoutMs: 30_000,
    intervalMs: 200,
  });
}

test("a nats-server crash mid-deploy: everything reconnects and converges", async (t) => {
  const procs = [1, 2].map((i) => spawnNadm(`controller-${i}`, ["controller"], env));
  procs.push(
    spawnNadm("sim", ["host", "--driver", "sim", "--sim-hosts", "10", "--heartbeat-interval", "1s"], env),
  );
  let passed = false;
  t.after(() => {
    if (!passed) for (const p of procs) console.log(`--- ${p.name}\n${p.output().slice(-4000)}`);
  });
  const nc = await nats.connect();
  const api = new ApiClient(nc, "default", 3_000);
  await waitFor(async () => (await api.list().catch(() => undefined)) !== undefined, { timeoutMs: 30_000 });

  for (let i = 0; i < APPS; i++) {
    if (i === APPS / 2) await nats.restart({ crash: true, downMs: 4_000 });
    const put = await retry(() => api.put(spreadApp(`app-${i}`, { instances: 3 })));
    await retry(() => api.deploy(put.name, put.version));
  }
  await waitFor(
    async () => {
      const list = await api.list().catch(() => undefined);
      return list?.apps.length === APPS && list.apps.every((a) => a.phase === "deployed");
    },
    { timeoutMs: 90_000, intervalMs: 500, what: "every app deployed after the crash" },
  ).catch(async (err: Error) => {
    const list = await api.list().catch((e: Error) => e.message);
    assert.fail(`${err.message}: ${JSON.stringify(list)}`);
  });

  // The lattice still answers: scale one app and see it converge.
  const v2 = await retry(() => api.put(spreadApp("app-0", { instances: 5, version: "v2" })));
  await retry(() => api.deploy("app-0", v2.version));
  await waitFor(
    async () => {
      const s = await api.status("app-0").catch(() => undefined);
      return s?.phase === "deployed" && s.version === "v2";
    },
    { timeoutMs: 30_000, what: "app-0 v2 deployed" },
  );

  // What hosts report settles to it too: 3 instances per app (5 for app-0). (Hosts that missed
  // heartbeats during the outage may have been declared lost and come back meanwhile: wait.)
  const kv = await new Kvm(nc).open(BUCKETS.hosts);
  const runningPerApp = async () => {
    const perApp = new Map<string, number>();
    // One record per host (a key listing taken while hosts heartbeat can name a key twice).
    for (const rec of await hostRecords(kv)) {
      for (const inv of Object.values(rec.inventory))
        perApp.set(inv.app, (perApp.get(inv.app) ?? 0) + inv.running);
    }
    return perApp;
  };
  const expected = new Map(Array.from({ length: APPS }, (_, i) => [`app-${i}`, i === 0 ? 5 : 3]));
  let last = new Map<string, number>();
  await waitFor(
    async () => {
      last = await runningPerApp();
      return [...expected].every(([app, n]) => last.get(app) === n);
    },
    { timeoutMs: 30_000, intervalMs: 500, what: "hosts running exactly the placements" },
  ).catch((err: Error) => {
    assert.fail(`${err.message}: ${JSON.stringify([...last])}`);
  });
  const list = await api.list();
  assert.ok(
    list.apps.every((a) => a.phase === "deployed"),
    JSON.stringify(list.apps),
  );

  // The outage was NATS's, not the hosts': no host was declared lost because of it.
  const jsm = await jetstreamManager(nc);
  const lost = await jsm.streams
    .getMessage(STREAMS.events, { last_by_subj: "nadm.evt.default.host_lost" })
    .catch(() => null);
  assert.equal(lost, null, `no host_lost event: ${lost?.string()}`);
  passed = true;
});
