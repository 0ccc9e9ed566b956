/**
 * End to end, as processes: a controller and a process host, each with --http-port. After a
 * deploy every series the operations docs list is served; SIGTERM stops each within 10 s with
 * exit code 0 and nothing left in flight (no un-acked message held, no instance left running).
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { jetstreamManager } from "@nats-io/jetstream";
import { CONSUMERS, STREAMS } from "../../src/streams/subjects.js";
import { freePort } from "../../src/system.js";
import { runCli } from "../support/cli.js";
import { testNats } from "../support/nats.js";
import { instancesOf, spawnNadm } from "../support/processes.js";
import { waitFor } from "../support/wait.js";

/** The series issue 10 lists, by process (docs/operations.md has the same table). */
const CONTROLLER_SERIES = [
  "nadm_events_total",
  "nadm_events_settled_total",
  "nadm_reconcile_seconds_bucket",
  "nadm_commands_published_total",
  "nadm_commands_dispatched_total",
  "nadm_dispatch_seconds_bucket",
  "nadm_dlq_total",
  "nadm_apps",
  "nadm_hosts",
  "nadm_consumer_pending",
  "nadm_consumer_redelivered_total",
  "nadm_nats_reconnects_total",
  "nadm_nats_messages_total",
  "nadm_nats_bytes_total",
];
const HOST_SERIES = [
  "nadm_host_instances",
  "nadm_host_instance_restarts",
  "nadm_host_command_seconds_bucket",
  "nadm_host_record_writes_total",
  "nadm_nats_reconnects_total",
  "nadm_nats_messages_total",
  "nadm_nats_bytes_total",
];

const nats = await testNats();
const env = { NATS_URL: nats.url };
const dir = mkdtempSync(join(tmpdir(), "nadm-ops-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const [controllerPort, hostPort] = [await freePort(), await freePort()];
const controller = spawnNadm("controller", ["controller", "--http-port", String(controllerPort)], env);
const host = spawnNadm(
  "host",
  [
    "host",
    "--host-id",
    "h1",
    "--data-dir",
    dir,
    "--heartbeat-interval",
    "1s",
    "--http-port",
    String(hostPort),
  ],
  env,
);

function manifest(version: string, instances: number): string {
  const file = join(dir, `sleep-${version}.yaml`);
  writeFileSync(
    file,
    `apiVersion: nadm.dev/v1
kind: Application
metadata: { name: ops, annotations: { version: ${version} } }
spec:
  components:
    - name: sleeper
      type: process
      properties: { command: sleep, args: ["600"] }
      traits:
        - type: spreadscaler
          properties: { instances: ${instances} }
`,
  );
  return file;
}

async function cli(...args: string[]) {
  const r = await runCli([...args, "--json"], { env });
  assert.equal(r.code, 0, `nadm ${args.join(" ")} failed: ${r.stdout}${r.stderr}`);
  return r.json as Record<string, unknown>;
}

async function scrape(port: number): Promise<string> {
  return (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
}

/** Names with at least one sample line (not only # HELP / # TYPE). */
function sampled(text: string): Set<string> {
  return new Set(
    text
      .split("\n")
      .filter((l) => l && !l.startsWith("#"))
      .map((l) => l.split(/[{ ]/)[0] ?? ""),
  );
}

async function timedStop(p: {
  stop(): Promise<number | null>;
}): Promise<{ code: number | null; ms: number }> {
  const started = Date.now();
  const code = await p.stop();
  return { code, ms: Date.now() - started };
}

test("after a deploy, every listed series has samples on the controller and the host", async () => {
  await waitFor(async () => (await fetch(`http://127.0.0.1:${hostPort}/readyz`)).ok, {
    timeoutMs: 20_000,
    what: "host ready",
  });
  await cli("app", "put", manifest("v1", 2));
  await cli("app", "deploy", "ops");
  await waitFor(async () => ((await cli("app", "status", "ops")).phase === "deployed" ? true : undefined), {
    timeoutMs: 30_000,
    what: "ops deployed",
  });
  const c = await waitFor(
    async () => {
      const names = sampled(await scrape(controllerPort));
      return CONTROLLER_SERIES.every((n) => names.has(n)) ? names : undefined;
    },
    { what: "every controller series" },
  ).catch(async (err) => {
    const names = sampled(await scrape(controllerPort));
    throw new Error(`${err.message}; missing: ${CONTROLLER_SERIES.filter((n) => !names.has(n))}`);
  });
  assert.ok(c.size > 0);
  const text = await scrape(hostPort);
  const names = sampled(text);
  assert.deepEqual(
    HOST_SERIES.filter((n) => !names.has(n)),
    [],
    "host series missing",
  );
  assert.match(text, /nadm_host_instances\{host="h1",workload="ops\.sleeper\.[^"]+",state="ready"\} 2/);
  const controllerText = await scrape(controllerPort);
  assert.match(controllerText, /nadm_apps\{lattice="default",phase="deployed"\} 1/);
  for (const direction of ["in", "out"]) {
    assert.match(controllerText, new RegExp(`nadm_nats_messages_total\\{direction="${direction}"\\} [1-9]`));
    assert.match(text, new RegExp(`nadm_nats_bytes_total\\{direction="${direction}"\\} [1-9]`));
  }
});

test("SIGTERM: the controller exits 0 within 10 s holding nothing un-acked", async (t) => {
  // Work in flight when the signal lands: a new version is being reconciled and dispatched.
  await cli("app", "put", manifest("v2", 3));
  await cli("app", "deploy", "ops", "--version", "v2");
  const { code, ms } = await timedStop(controller);
  assert.equal(code, 0, controller.output());
  t.diagnostic(`stopped in ${ms} ms`);
  assert.ok(ms < 10_000, `took ${ms} ms`);
  const nc = await nats.connect();
  const jsm = await jetstreamManager(nc);
  for (const [stream, durable] of [
    [STREAMS.events, CONSUMERS.reconcile],
    [STREAMS.commands, CONSUMERS.dispatch],
  ] as const) {
    const info = await jsm.consumers.info(stream, durable);
    // Settled or handed back (nak): nothing waits out ack_wait for a replica that is gone.
    assert.equal(info.num_ack_pending, 0, `${durable} holds un-acked messages`);
  }
  // What it finished or handed back is not lost: the next replica converges to v2.
  spawnNadm("controller-2", ["controller"], env);
  await waitFor(
    async () => {
      const s = await cli("app", "status", "ops");
      return s.phase === "deployed" && s.version === "v2" && instancesOf("ops").length === 3;
    },
    { timeoutMs: 30_000, what: "v2 deployed with 3 instances by the next replica" },
  );
});

test("SIGTERM: the host exits 0 within 10 s and leaves no instance running", async (t) => {
  assert.ok(instancesOf("ops").length > 0, "instances run before the stop");
  const { code, ms } = await timedStop(host);
  assert.equal(code, 0, host.output());
  t.diagnostic(`stopped in ${ms} ms`);
  assert.ok(ms < 10_000, `took ${ms} ms`);
  assert.deepEqual(instancesOf("ops"), []);
});
