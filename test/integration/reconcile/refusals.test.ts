/**
 * Refused commands on a real nats-server, two in-process controller replicas and three hosts,
 * one of which refuses the app by a host-side policy (its driver rejects the workload, as a
 * host with a stricter schema, a missing artifact or a full disk would): the status says which
 * host refused and why, keeps saying it while the retries back off, sends exactly one command
 * per attempt whatever the replicas and ticks, and ends `deployed` once the host accepts.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { ApiClient } from "../../../src/api/client.js";
import { UnsupportedWorkloadError } from "../../../src/host/drivers/types.js";
import { HostAgent, SimDriver, type WorkloadRef } from "../../../src/host/index.js";
import type { AppStatus } from "../../../src/streams/app-status.js";
import { type Command, commandSchema } from "../../../src/streams/commands.js";
import { refusalRecordSchema } from "../../../src/streams/refusal-record.js";
import { BUCKETS, keys, STREAMS } from "../../../src/streams/subjects.js";
import { startController } from "../../support/controller.js";
import { spreadApp } from "../../support/manifests.js";
import { testNats } from "../../support/nats.js";
import { statusWhere as waitForStatus } from "../../support/status.js";
import { waitFor } from "../../support/wait.js";

/** A sim host with a policy: while `refusing`, it refuses every workload of app "picky". */
class PolicyDriver extends SimDriver {
  refusing = true;

  override prepare(workload: WorkloadRef): null {
    if (this.refusing && workload.app === "picky") {
      throw new UnsupportedWorkloadError(
        "workload.app",
        "host policy: app picky is not allowed on this host",
      );
    }
    return super.prepare(workload);
  }
}

const nats = await testNats();
const nc = await nats.connect();
const config = { tickIntervalMs: 200, retryBaseMs: 200, retryMaxMs: 1_600 };
await startController(nc, config);
await startController(nc, config); // a second replica: retries must not be doubled by it
const api = new ApiClient(nc, "default");
const drivers = new Map<string, PolicyDriver>();
for (const hostId of ["h1", "h2", "h3"]) {
  const driver = new PolicyDriver({ startMs: 20 });
  driver.refusing = hostId === "h2";
  drivers.set(hostId, driver);
  const agent = new HostAgent({ nc, hostId, labels: { zone: "a" }, driver, heartbeatIntervalMs: 300 });
  await agent.start();
  after(() => agent.stop());
}

const statusWhere = (ok: (s: AppStatus) => boolean, what: string, timeoutMs = 15_000) =>
  waitForStatus(api, "picky", ok, what, timeoutMs);

/** Every command on nadm_commands for app picky on `hostId`. */
async function commandsTo(hostId: string): Promise<Command[]> {
  const jsm = await jetstreamManager(nc);
  const last = (await jsm.streams.info(STREAMS.commands)).state.last_seq;
  const out: Command[] = [];
  for (let seq = 1; seq <= last; seq++) {
    const m = await jsm.streams.getMessage(STREAMS.commands, { seq }).catch(() => undefined);
    const cmd = m && commandSchema.parse(m.json());
    if (cmd?.app === "picky" && cmd.hostId === hostId) out.push(cmd);
  }
  return out;
}

const REASON = "workload.app: host policy: app picky is not allowed on this host";

test("one host refuses: failed naming it and its reason, retries back off, one command per attempt, deployed once it accepts", async () => {
  await api.put(spreadApp("picky", { instances: 3 }));
  await api.deploy("picky", "v1");

  const refused = await statusWhere(
    (s) => s.phase === "failed" && s.message.includes("2/3 ready"),
    "2/3 + refusal",
  );
  assert.match(
    refused.message,
    /^host h2 refused the command \(attempt \d+\): workload\.app: host policy: app picky is not allowed on this host \(2\/3 ready\); retrying (in [\d.]+ m?s|now \(attempt \d+\))$/,
  );
  assert.deepEqual(
    refused.components[0]?.hosts,
    { h1: 1, h3: 1 },
    "the placement stays on the accepting hosts",
  );

  // Let four attempts go by: the message keeps the reason, attempts grow, gaps grow.
  const seen = new Map<number, number>(); // attempt → when the status first named it
  await waitFor(
    async () => {
      const s = await api.status("picky");
      assert.equal(s.phase, "failed", s.message);
      assert.ok(s.message.includes(REASON), s.message);
      const attempt = Number(/\(attempt (\d+)\)/.exec(s.message)?.[1]);
      if (!seen.has(attempt)) seen.set(attempt, Date.now());
      return seen.size >= 4 && attempt >= 4;
    },
    { timeoutMs: 20_000, intervalMs: 50, what: "four attempts" },
  );

  const kv = await new Kvm(nc).open(BUCKETS.refusals);
  const entry = await kv.get(keys.refusal("default", "h2", (await commandsTo("h2"))[0]!.workload.key));
  const record = refusalRecordSchema.parse(entry!.json());
  assert.equal(record.kind, "refused");
  assert.equal(record.reason, REASON);

  // commands ÷ attempts = 1: attempts 1..n each sent exactly once, by two replicas ticking.
  const sent = await commandsTo("h2");
  const attempts = sent.map((c) => c.attempt ?? 1);
  assert.deepEqual(
    attempts,
    attempts.map((_, i) => i + 1),
    `one command per attempt, in order: ${attempts}`,
  );
  assert.equal(new Set(sent.map((c) => c.id)).size, sent.length);
  // Growing gaps: each retry waits at least its backoff (200, 400, 800 ms ...).
  const issued = sent.map((c) => Date.parse(c.issuedAt));
  const gaps = issued.slice(1).map((t, i) => t - issued[i]!);
  console.log(JSON.stringify({ metric: "refusal_retry_gaps_ms", attempts: attempts.length, gaps }));
  for (let i = 1; i < issued.length; i++) {
    const floor = Math.min(config.retryMaxMs, config.retryBaseMs * 2 ** (i - 1));
    assert.ok(
      issued[i]! - issued[i - 1]! >= floor - 50,
      `gap ${i}: ${issued[i]! - issued[i - 1]!} ms ≥ ${floor}`,
    );
  }

  // The host accepts from now on: the next attempt succeeds and the refusal is gone.
  drivers.get("h2")!.refusing = false;
  const done = await statusWhere((s) => s.phase === "deployed", "deployed");
  assert.equal(done.message, "3/3 ready");
  await waitFor(async () => (await kv.get(entry!.key))?.operation !== "PUT", { what: "refusal cleared" });
  const final = await commandsTo("h2");
  assert.equal(final.at(-1)?.attempt, final.length, "the successful command was the next attempt, sent once");
});
