/**
 * Host-agent upgrades keep instances (issue 10, point 4), with real processes: a `nadm host
 * --keep-instances` agent process, SIGTERMed during a deploy, leaves its instances running; the
 * next agent with the same --host-id/--data-dir adopts them (same pids, ready, the log still
 * written) while the app stays `deployed` (every status write, watched) and no command is
 * issued (the command stream, followed). A SIGKILLed agent's leftovers are killed by the next
 * start, and the app is never counted with more instances than it has.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { Kvm } from "@nats-io/kv";
import { ApiClient } from "../../src/api/client.js";
import { readProcStat } from "../../src/host/drivers/pid-file.js";
import { appStatusSchema } from "../../src/streams/app-status.js";
import { type HostRecord, hostRecordSchema } from "../../src/streams/host-record.js";
import { BUCKETS, keys } from "../../src/streams/subjects.js";
import { startController } from "../support/controller.js";
import { consumerBacklog } from "../support/lattice.js";
import { testNats } from "../support/nats.js";
import { instancesOf, type NadmProcess, spawnNadm } from "../support/processes.js";
import { recordCommands } from "../support/rollout-watch.js";
import { statusWhere } from "../support/status.js";
import { waitFor } from "../support/wait.js";

const APP = "keep-upgrade";
const HOST = "keeper-1";
const nats = await testNats();
const nc = await nats.connect();
await startController(nc, { tickIntervalMs: 250 });
const api = new ApiClient(nc, "default");
const dir = mkdtempSync(join(tmpdir(), "nadm-keep-"));
const dataDir = join(dir, "host");
after(() => rmSync(dir, { recursive: true, force: true }));
after(() => {
  for (const p of instancesOf(APP)) process.kill(p.pid, "SIGKILL"); // whatever a failure left
});

// Listens on PORT (tcp readiness) and writes a line every 100 ms: a log that must keep growing.
const server = join(dir, "server.mjs");
writeFileSync(
  server,
  `import http from "node:http";
let n = 0;
setInterval(() => console.log("tick " + n++), 100);
http.createServer((_req, res) => res.end("ok")).listen(Number(process.env.PORT), "127.0.0.1");
`,
);
const manifest = JSON.stringify({
  apiVersion: "nadm.dev/v1",
  kind: "Application",
  metadata: { name: APP, annotations: { version: "v1" } },
  spec: {
    components: [
      {
        name: "web",
        type: "process",
        properties: { command: process.execPath, args: [server], port: "auto", readiness: { type: "tcp" } },
        traits: [{ type: "spreadscaler", properties: { instances: 2 } }],
      },
    ],
  },
});

const env = { NATS_URL: nats.url };
function startHost(): NadmProcess {
  const args = ["host", "--host-id", HOST, "--data-dir", dataDir, "--keep-instances"];
  return spawnNadm(HOST, [...args, "--heartbeat-interval", "3s", "--drain", "0s"], env);
}

const hostsKv = await new Kvm(nc).open(BUCKETS.hosts);
const livenessKv = await new Kvm(nc).open(BUCKETS.liveness);
async function record(): Promise<HostRecord | undefined> {
  const entry = await hostsKv.get(keys.host("default", HOST));
  return entry?.operation === "PUT" ? hostRecordSchema.parse(entry.json()) : undefined;
}
const inventoryOf = (r: HostRecord | undefined) =>
  Object.values(r?.inventory ?? {}).find((w) => w.app === APP);
const alive = (pid: number) => {
  const stat = readProcStat(pid);
  return stat !== undefined && stat.state !== "Z";
};

/** Every status write of the app from now on (the current value first). */
async function watchStatus() {
  const statusKv = await new Kvm(nc).open(BUCKETS.status);
  const seen: Array<{ phase: string; running: number }> = [];
  const watch = await statusKv.watch({ key: keys.status("default", APP) });
  void (async () => {
    for await (const e of watch) {
      if (e.operation !== "PUT") continue;
      const s = appStatusSchema.parse(e.json());
      seen.push({ phase: s.phase, running: s.components.reduce((n, c) => n + c.running, 0) });
    }
  })();
  return { seen, stop: () => watch.stop() };
}

/** The controller has handled everything published so far (events and commands). */
async function settled(): Promise<boolean> {
  const backlog = await consumerBacklog(nc);
  return Object.values(backlog).every((b) => b.pending === 0 && b.ackPending === 0);
}

let host = startHost();

test("SIGTERM with --keep-instances hands instances over; the next agent adopts them unchanged", async (t) => {
  await waitFor(record, { timeoutMs: 30_000, what: "the host's record" });
  const put = await api.put(manifest);
  await api.deploy(put.name, put.version);
  await statusWhere(api, APP, (s) => s.phase === "deployed", "deployed", 30_000);
  const before = inventoryOf(await record());
  assert.ok(before?.pids?.length === 2 && before.ready === 2, JSON.stringify(before));
  const pids = [...before.pids].sort();
  const startedAt = (await record())?.startedAt;

  const status = await watchStatus();
  const commands = await recordCommands(nc, APP);
  try {
    const sigterm = Date.now();
    assert.equal(await host.stop(), 0, host.output());
    const exitedMs = Date.now() - sigterm;
    assert.ok(pids.every(alive), "instances outlive the agent");
    const key = Object.entries((await record())?.inventory ?? {}).find(([, w]) => w.app === APP)?.[0] ?? "";
    const logFile = join(dataDir, "logs", key, "0.log");
    const logSize = statSync(logFile).size;
    const { heartbeatSeq: seqAtStop } = (await record())!;
    const revisionAtStop = (await hostsKv.get(keys.host("default", HOST)))!.revision;

    host = startHost();
    await waitFor(
      async () => ((await hostsKv.get(keys.host("default", HOST)))?.revision ?? 0) > revisionAtStop,
      {
        timeoutMs: 30_000,
        what: "the new agent's first write",
      },
    );
    t.diagnostic(
      `old agent exited ${exitedMs} ms after SIGTERM; new agent's first write ${Date.now() - sigterm} ms after it`,
    );
    // Two heartbeats of the new agent (it continues the old one's sequence): it runs and reports.
    const beat = await waitFor(
      async () => {
        const e = await livenessKv.get(keys.host("default", HOST));
        const b = e?.operation === "PUT" ? (e.json() as { startedAt: string; seq: number }) : undefined;
        return b && b.seq >= seqAtStop + 2 ? b : undefined;
      },
      { timeoutMs: 30_000, what: "two heartbeats of the new agent" },
    );
    assert.equal(beat.startedAt, startedAt, "its heartbeats continue the same life");
    const adopted = (await record())!;
    const inv = inventoryOf(adopted);
    assert.deepEqual([...(inv?.pids ?? [])].sort(), pids, "the same processes");
    assert.equal(inv?.ready, 2);
    assert.equal(adopted.startedAt, startedAt, "the same life of the host for the controller");
    assert.ok(pids.every(alive));
    assert.deepEqual(
      instancesOf(APP)
        .map((p) => p.pid)
        .sort(),
      pids,
      "no other instance started",
    );
    await waitFor(() => statSync(logFile).size > logSize, { what: "the log to keep growing" });
    assert.match(readFileSync(logFile, "utf8"), /tick \d+/);
    await waitFor(settled, { timeoutMs: 20_000, what: "the controller to handle every event" });

    assert.deepEqual(commands.commands, [], "no command for the app");
    assert.ok(status.seen.length >= 1, "the watch saw the status");
    assert.deepEqual(
      status.seen.filter((s) => s.phase !== "deployed"),
      [],
      `status stayed deployed: ${JSON.stringify(status.seen)}`,
    );
  } finally {
    commands.stop();
    status.stop();
  }
});

test("a SIGKILLed agent's leftovers are killed by the next start; never counted twice", async () => {
  const crashed = await record();
  const oldPids = inventoryOf(crashed)?.pids ?? [];
  assert.equal(oldPids.length, 2);
  const status = await watchStatus();
  try {
    await host.kill();
    host = startHost();
    await waitFor(() => oldPids.every((pid) => !alive(pid)), {
      timeoutMs: 30_000,
      what: "the next agent to kill what the crashed one left",
    });
    const now = await waitFor(
      async () => {
        // The crashed agent's record stays until the new one writes its own (a new life).
        const r = await record();
        const inv = inventoryOf(r);
        return r?.startedAt !== crashed?.startedAt && inv?.ready === 2 && inv.pids?.length === 2
          ? inv
          : undefined;
      },
      { timeoutMs: 30_000, what: "two new ready instances" },
    );
    assert.ok(
      now.pids!.every((pid) => !oldPids.includes(pid)),
      "new processes",
    );
    await statusWhere(api, APP, (s) => s.phase === "deployed", "deployed again", 30_000);
    assert.deepEqual(
      instancesOf(APP)
        .map((p) => p.pid)
        .sort(),
      [...now.pids!].sort(),
      "no orphan",
    );
    const over = status.seen.filter((s) => s.running > 2);
    assert.deepEqual(over, [], `never more than 2 counted: ${JSON.stringify(status.seen)}`);
  } finally {
    status.stop();
  }
});

test("SIGINT still stops the instances, and the record goes", async () => {
  const pids = inventoryOf(await record())?.pids ?? [];
  assert.equal(pids.length, 2);
  host.child.kill("SIGINT");
  await waitFor(() => host.child.exitCode !== null, { timeoutMs: 20_000, what: "the agent to exit" });
  assert.ok(
    pids.every((pid) => !alive(pid)),
    "instances stopped",
  );
  assert.equal(await record(), undefined);
});
