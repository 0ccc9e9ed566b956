/**
 * `nadm host --driver sim --sim-hosts 1000` shows 1,000 hosts in `nadm hosts list --json`
 * within 10 s, and a graceful stop takes them all out of the lattice.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { runCli } from "../support/cli.js";
import { startController } from "../support/controller.js";
import { testNats } from "../support/nats.js";
import { spawnNadm } from "../support/processes.js";
import { waitFor } from "../support/wait.js";

const nats = await testNats();
await startController(await nats.connect()); // provisions the buckets

async function listed(): Promise<Array<{ hostId: string; labels: Record<string, string>; driver: string }>> {
  const r = await runCli(["hosts", "list", "--json"], { env: { NATS_URL: nats.url } });
  assert.equal(r.code, 0, r.stderr);
  return r.json as never;
}

test("1,000 simulated hosts from one process are listed within 10 s", async () => {
  const started = Date.now();
  const sim = spawnNadm("sim", ["host", "--driver", "sim", "--sim-hosts", "1000", "--sim-zones", "a,b"], {
    NATS_URL: nats.url,
    NADM_LOG_LEVEL: "warn",
  });
  const hosts = await waitFor(
    async () => {
      const h = await listed();
      return h.length === 1000 ? h : undefined;
    },
    { timeoutMs: 10_000, intervalMs: 250, what: "1,000 hosts listed" },
  );
  console.log(JSON.stringify({ metric: "sim_1000_hosts_listed_ms", value: Date.now() - started }));
  assert.equal(new Set(hosts.map((h) => h.hostId)).size, 1000);
  assert.ok(hosts.every((h) => h.driver === "sim" && ["a", "b"].includes(h.labels.zone ?? "")));
  assert.equal(hosts.filter((h) => h.labels.zone === "a").length, 500);

  assert.equal(await sim.stop(), 0, "graceful stop exits 0");
  assert.deepEqual(await listed(), []);
});
