/**
 * A NATS leader election under load: 3 nats-servers, every nadm stream and bucket with 3
 * replicas, a controller replica and sim hosts. The node leading the API's streams (the
 * manifests and status buckets, the event stream) is SIGKILLed while clients keep calling the
 * API every 50 ms: every reply is `ok` or `unavailable`, never `internal`, and CLI commands
 * started at the moment of the kill succeed once the cluster recovers, within their --timeout.
 *
 * How long NATS takes to elect new leaders is NATS's business and varies with load: a few
 * seconds alone, ~30 s once in a CI run beside other test files on 2 cores. So the CLI gets a
 * generous --timeout, and the test measures when the surviving nodes lead every stream again and
 * answer reads of every bucket the API reads, and checks that the CLI finishes soon after that,
 * not at its deadline.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { type JetStreamManager, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { type KV, Kvm } from "@nats-io/kv";
import { ApiClient } from "../../src/api/client.js";
import { NadmError } from "../../src/errors.js";
import { runSimFleet } from "../../src/host/index.js";
import { BUCKETS, STREAMS } from "../../src/streams/subjects.js";
import { runCli } from "../support/cli.js";
import { testCluster } from "../support/cluster.js";
import { startController } from "../support/controller.js";
import { spreadApp } from "../support/manifests.js";
import { stopWithin, waitFor } from "../support/wait.js";

const cluster = await testCluster(3);
const LEADER_STREAMS = [`KV_${BUCKETS.manifests}`, `KV_${BUCKETS.status}`, STREAMS.events];
/** Streams the CLI calls below need a leader for (`hosts list` reads the hosts bucket). */
const NEEDED_STREAMS = [...LEADER_STREAMS, `KV_${BUCKETS.hosts}`];
/** Buckets the API's calls below read (by direct get, on any replica). */
const READ_BUCKETS = [BUCKETS.manifests, BUCKETS.status, BUCKETS.hosts];
/**
 * How soon after NATS serves reads again a retrying CLI call must be done: a backoff (≤ 2 s) plus
 * an attempt that may have started before; up to ~5 s measured alone, doubled for load.
 */
const AFTER_RECOVERY_MS = 12_000;

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

/** What the surviving nodes serve again after the kill, each with when it was first seen. */
interface Recovery {
  /** Every needed stream has a leader on a surviving node and the meta group answers. */
  leadersAt: number;
  /** And a direct get on each bucket the API reads is answered (1 s each). */
  readsAt: number;
}

/**
 * Resolves once NATS serves what the API needs again: new leaders, then direct gets on each
 * bucket (the API's KV reads). Measured here, the reads came back with the leaders, every time;
 * what came back 13–16 s later was creating a consumer (`kv.keys()`), which nadm no longer
 * needs for an API call. `jsm` and `buckets` must be made before the kill (making them asks
 * the meta leader).
 */
async function recovered(jsm: JetStreamManager, buckets: KV[], victim: string): Promise<Recovery> {
  // A missing key is an answer too (null); only a timeout or an error is not.
  const answers = (kv: KV) =>
    kv.get("default.ha").then(
      () => true,
      () => false,
    );
  await waitFor(
    async () => {
      for (const stream of NEEDED_STREAMS) {
        const leader = await jsm.streams.info(stream).then(
          (info) => info.cluster?.leader,
          () => undefined,
        );
        if (!leader || leader === victim) return undefined;
      }
      // Account info is answered by the meta leader, which creating consumers needs.
      await jsm.getAccountInfo();
      return true;
    },
    { timeoutMs: 120_000, intervalMs: 200, what: "new leaders after the kill" },
  );
  const leadersAt = Date.now();
  await waitFor(
    async () => {
      for (const kv of buckets) if (!(await answers(kv))) return undefined;
      return true;
    },
    { timeoutMs: 120_000, intervalMs: 200, what: "direct gets answered after the kill" },
  );
  return { leadersAt, readsAt: Date.now() };
}

test("during a leader election every API reply is ok or unavailable, and the CLI succeeds within its timeout", async () => {
  const nc = await cluster.connect();
  await startController(nc, { tickIntervalMs: 500 }, undefined, { replicas: 3 });
  const fleet = await runSimFleet({ nc: await cluster.connect(), count: 3, hostIdPrefix: "ha" });
  after(() => stopWithin("the sim fleet", fleet.stop()));
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
  let killedAt = 0;
  const calls: Array<[string, () => Promise<unknown>]> = [
    ["status", () => api.status("ha")],
    ["list", () => api.list()],
    ["versions", () => api.versions("ha")],
    ["put", () => api.put(spreadApp("ha", { instances: 3 }))],
    ["deploy", () => api.deploy("ha", put.version)],
    ["pause+resume", () => api.pause("ha").then(() => api.resume("ha"))],
  ];
  const load = (async () => {
    for (let i = 0; !stop; i++) {
      const started = Date.now();
      const [name, call] = calls[i % calls.length]!;
      const outcome = await call().then(
        () => "ok",
        (e: unknown) => {
          messages.push(
            `${name}: ${e instanceof NadmError ? e.code : "thrown"} after ${Date.now() - started} ms, ` +
              `${Date.now() - killedAt} ms after the kill: ${(e as Error).message}`,
          );
          return e instanceof NadmError ? e.code : `thrown: ${String(e)}`;
        },
      );
      seen.set(outcome, (seen.get(outcome) ?? 0) + 1);
      if (outcome !== "ok" && outcome !== "unavailable") other.push(outcome);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();

  const cliTimeoutS = 90;
  const cliEnv = { env: { NATS_URL: cluster.urls() }, timeoutMs: (cliTimeoutS + 30) * 1_000 };
  const survivors = cluster.names.map((_, i) => i).filter((i) => i !== victim);
  const probeNc = await cluster.connect(survivors);
  const probe = await jetstreamManager(probeNc, { timeout: 1_000 });
  const kvm = new Kvm(jetstream(probeNc, { timeout: 1_000 }));
  const buckets = await Promise.all(READ_BUCKETS.map((b) => kvm.open(b)));
  await cluster.kill(victim);
  killedAt = Date.now();
  const recovery = recovered(probe, buckets, cluster.names[victim]!);
  const [hostsList, status, { leadersAt, readsAt }] = await Promise.all([
    runCli(["hosts", "list", "--json", "--timeout", `${cliTimeoutS}s`], cliEnv),
    runCli(["app", "status", "ha", "--json", "--timeout", `${cliTimeoutS}s`], cliEnv),
    recovery,
  ]);
  const cliMs = Date.now() - killedAt;
  const electionMs = leadersAt - killedAt;
  const readsMs = readsAt - killedAt;
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
      `new leaders ${electionMs} ms after the kill, reads served after ${readsMs} ms, CLI done ${cliMs} ms after the kill, API ok again after ${recoveredAt - killedAt} ms\n# ${messages.join("\n# ")}\n`,
  );
  assert.deepEqual(other, [], "no reply other than ok or unavailable");
  assert.ok((seen.get("ok") ?? 0) > 0);
  assert.equal(hostsList.code, 0, hostsList.stderr);
  assert.equal((hostsList.json as Array<{ hostId: string }>).length, 3);
  assert.equal(status.code, 0, status.stderr);
  assert.equal((status.json as { name: string }).name, "ha");
  assert.ok(cliMs < cliTimeoutS * 1_000, "within the CLI's --timeout");
  assert.ok(
    cliMs <= readsMs + AFTER_RECOVERY_MS,
    `the CLI finished ${cliMs - readsMs} ms after NATS served reads again, within ${AFTER_RECOVERY_MS} ms`,
  );
});
