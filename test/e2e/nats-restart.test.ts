/**
 * NATS restart recovery (issue 8, point 1): 2 controllers and 20 sim hosts (separate
 * processes), 10 apps deployed; the nats-server is SIGKILLed and restarted on the same port and
 * store 2 s later; then 10 more apps are put and deployed. Controllers run with a resync
 * interval far longer than the test, so the periodic resync cannot hide a consumer, watch,
 * write or event that did not survive the outage: every app must be `deployed` within 5 s of
 * the API answering again.
 *
 * Hosts heartbeat every second, so every host has a record write in flight when NATS dies (the
 * case that stalled: the client drops what it buffered while disconnected, the write waits out
 * its timeout, the host misses heartbeats and is declared lost, commands and statuses race).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ApiClient } from "../../src/api/client.js";
import { countHosts, openHostsKv } from "../support/lattice.js";
import { spreadApp } from "../support/manifests.js";
import { testNats } from "../support/nats.js";
import { spawnNadm } from "../support/processes.js";
import { waitFor } from "../support/wait.js";

const nats = await testNats();
const env = { NATS_URL: nats.url, NADM_LOG_LEVEL: "warn" };
const HOSTS = 20;
const BEFORE = 10;
const AFTER = 10;
/** The bound: everything converges within 5 s of the API answering again. */
const BOUND_S = 5;

async function phases(api: ApiClient): Promise<string[] | undefined> {
  const list = await api.list().catch(() => undefined);
  return list?.apps.map((a) => `${a.name}: ${a.phase} (${a.message})`);
}

async function allDeployed(api: ApiClient, n: number): Promise<boolean> {
  const list = await api.list().catch(() => undefined);
  return list?.apps.length === n && list.apps.every((a) => a.phase === "deployed");
}

test("after a nats-server restart, apps deployed before and after converge within 5 s", async (t) => {
  const controller = ["controller", "--resync-interval", "600s"];
  const procs = [1, 2].map((i) => spawnNadm(`controller-${i}`, controller, env));
  const sim = ["host", "--driver", "sim", "--sim-hosts", String(HOSTS), "--heartbeat-interval", "1s"];
  procs.push(spawnNadm("sim", sim, env));
  let passed = false;
  t.after(() => {
    if (!passed) for (const p of procs) console.log(`--- ${p.name}\n${p.output().slice(-4000)}`);
  });
  const nc = await nats.connect();
  const api = new ApiClient(nc, "default", 2_000);
  await waitFor(() => api.list().catch(() => undefined), { timeoutMs: 30_000, what: "the API" });
  const hostsKv = await openHostsKv(nc);
  await waitFor(async () => (await countHosts(hostsKv)) === HOSTS, { timeoutMs: 30_000, what: "hosts" });

  for (let i = 0; i < BEFORE; i++) {
    const put = await api.put(spreadApp(`app-${i}`, { instances: 3 }));
    await api.deploy(put.name, put.version);
  }
  await waitFor(() => allDeployed(api, BEFORE), { timeoutMs: 30_000, what: "the first apps deployed" });

  await nats.restart({ crash: true, downMs: 2_000 });
  // The API answers again once a controller has reconnected (this client reconnects too).
  await waitFor(async () => (await api.list().catch(() => undefined)) !== undefined, {
    timeoutMs: 30_000,
    intervalMs: 50,
    what: "the API answering after the restart",
  });
  const answering = Date.now();
  for (let i = BEFORE; i < BEFORE + AFTER; i++) {
    const put = await api.put(spreadApp(`app-${i}`, { instances: 3 }));
    await api.deploy(put.name, put.version);
  }
  // Waits well past the bound, so a failure says how far off it was (or that it never came).
  let last: string[] | undefined;
  const converged = await waitFor(
    async () => {
      last = await phases(api);
      return (await allDeployed(api, BEFORE + AFTER)) && Date.now();
    },
    { timeoutMs: 30_000, intervalMs: 100, what: "every app deployed after the restart" },
  ).catch((err: Error) => assert.fail(`${err.message}:\n${last?.join("\n")}`));
  const seconds = (converged - answering) / 1000;
  console.log(JSON.stringify({ metric: "nats_restart_converge_s", value: seconds, apps: BEFORE + AFTER }));
  assert.ok(seconds <= BOUND_S, `converged ${seconds} s after the API answered again (bound ${BOUND_S} s)`);
  passed = true;
});
