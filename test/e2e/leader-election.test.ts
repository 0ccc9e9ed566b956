/**
 * A NATS leader election under load: 3 nats-servers, every nadm stream and bucket with 3
 * replicas, a controller replica and sim hosts. The node leading the API's streams (the
 * manifests and status buckets, the event stream) is SIGKILLed while clients keep calling the
 * API every 50 ms: every reply is `ok` or `unavailable`, never `internal`, and CLI commands
 * started at the moment of the kill succeed once the cluster recovers, within their --timeout.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { jetstreamManager } from "@nats-io/jetstream";
import { ApiClient } from "../../src/api/client.js";
import { NadmError } from "../../src/errors.js";
import { runSimFleet } from "../../src/host/index.js";
import { BUCKETS, STREAMS } from "../../src/streams/subjects.js";
import { runCli } from "../support/cli.js";
import { testCluster } from "../support/cluster.js";
import { startController } from "../support/controller.js";
import { spreadApp } from "../support/manifests.js";
import { waitFor } from "../support/wait.js";

const cluster = await testCluster(3);
const LEADER_STREAMS = [`KV_${BUCKETS.manifests}`, `KV_${BUCKETS.status}`, STREAMS.events];

/** Moves the leadership of each stream to node `target` by asking the current leader to step down. */
async function leadOn(target: string): Promise<Record<string, string>> {
  const nc = await cluster.connect();
  const jsm = await jetstreamManager(nc);
  const leaders: Record<string, string> = {};
  for (const stream of LEADER_STREAMS) {
    leaders[stream] = await waitFor(
      async () => {
        const leader = (await jsm.streams.info(stream)).cluster?.leader;
        if (leader === target) return leader;
        if (leader) await nc.request(`$JS.API.STREAM.LEADER.STEPDOWN.${stream}`, "", { timeout: 2_000 });
        return undefined;
      },
      { timeoutMs: 30_000, intervalMs: 300, what: `${stream} led by ${target}` },
    );
  }
  return leaders;
}

test("during a leader election every API reply is ok or unavailable, and the CLI succeeds within its timeout", async () => {
  const nc = await cluster.connect();
  await startController(nc, { tickIntervalMs: 500 }, undefined, { replicas: 3 });
  const fleet = await runSimFleet({ nc: await cluster.connect(), count: 3, hostIdPrefix: "ha" });
  after(() => fleet.stop());
  const api = new ApiClient(await cluster.connect(), "default", 5_000);
  const put = await api.put(spreadApp("ha", { instances: 3 }));
  await api.deploy("ha", put.version);
  await waitFor(async () => (await api.status("ha")).phase === "deployed", {
    timeoutMs: 30_000,
    what: "deployed",
  });

  const victim = 0;
  const leaders = await leadOn(cluster.names[victim]!);
  const seen = new Map<string, number>();
  const other: string[] = [];
  const messages: string[] = [];
  let stop = false;
  const calls = [
    () => api.status("ha"),
    () => api.list(),
    () => api.versions("ha"),
    () => api.put(spreadApp("ha", { instances: 3 })),
    () => api.deploy("ha", put.version),
    () => api.pause("ha").then(() => api.resume("ha")),
  ];
  const load = (async () => {
    for (let i = 0; !stop; i++) {
      const started = Date.now();
      const outcome = await calls[i % calls.length]!().then(
        () => "ok",
        (e: unknown) => {
          messages.push(
            `${e instanceof NadmError ? e.code : "thrown"} after ${Date.now() - started} ms: ${(e as Error).message}`,
          );
          return e instanceof NadmError ? e.code : `thrown: ${String(e)}`;
        },
      );
      seen.set(outcome, (seen.get(outcome) ?? 0) + 1);
      if (outcome !== "ok" && outcome !== "unavailable") other.push(outcome);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();

  const cliEnv = { env: { NATS_URL: cluster.urls() }, timeoutMs: 60_000 };
  await cluster.kill(victim);
  const killedAt = Date.now();
  const [hostsList, status] = await Promise.all([
    runCli(["hosts", "list", "--json", "--timeout", "30s"], cliEnv),
    runCli(["app", "status", "ha", "--json", "--timeout", "30s"], cliEnv),
  ]);
  const cliMs = Date.now() - killedAt;
  // Keep the load going until calls succeed again, then a little longer.
  await waitFor(async () => (await api.status("ha").then(() => true)) || undefined, {
    timeoutMs: 60_000,
    what: "recovery",
  });
  const recoveredAt = Date.now();
  const okBefore = seen.get("ok") ?? 0;
  await waitFor(() => (seen.get("ok") ?? 0) >= okBefore + 10, {
    timeoutMs: 30_000,
    what: "10 more ok replies",
  });
  stop = true;
  await load;

  process.stdout.write(
    `# election: leaders ${JSON.stringify(leaders)}, replies ${JSON.stringify(Object.fromEntries(seen))}, ` +
      `CLI done ${cliMs} ms after the kill, API ok again after ${recoveredAt - killedAt} ms\n# ${messages.join("\n# ")}\n`,
  );
  assert.deepEqual(other, [], "no reply other than ok or unavailable");
  assert.ok((seen.get("ok") ?? 0) > 0);
  assert.equal(hostsList.code, 0, hostsList.stderr);
  assert.equal((hostsList.json as Array<{ hostId: string }>).length, 3);
  assert.equal(status.code, 0, status.stderr);
  assert.equal((status.json as { name: string }).name, "ha");
  assert.ok(cliMs < 30_000 + 5_000, "within the CLI's --timeout");
});
