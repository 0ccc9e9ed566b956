/**
 * Host-side policy on a real nats-server with a real controller: a host started with
 * `--allow-command` refuses a command outside its list (a `command_failed` naming the policy,
 * shown by `app status`, nothing started) and runs one inside it; a bare name is spawned from
 * the agent's PATH even when the manifest sets its own; `--run-as` runs instances as that user.
 */
import assert from "node:assert/strict";
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { DeliverPolicy, jetstream } from "@nats-io/jetstream";
import { ApiClient } from "../../../src/api/client.js";
import { HostAgent } from "../../../src/host/index.js";
import { STREAMS } from "../../../src/streams/subjects.js";
import { runCli } from "../../support/cli.js";
import { startController } from "../../support/controller.js";
import { spreadApp } from "../../support/manifests.js";
import { testNats } from "../../support/nats.js";
import { instancesOf } from "../../support/processes.js";
import { statusWhere } from "../../support/status.js";
import { waitFor } from "../../support/wait.js";

const nats = await testNats();
const nc = await nats.connect();
await startController(nc, { tickIntervalMs: 200, retryBaseMs: 200 });
const api = new ApiClient(nc, "default");
const dir = mkdtempSync(join(tmpdir(), "nadm-policy-"));
after(() => rmSync(dir, { recursive: true, force: true }));

async function host(hostId: string, opts: { allowCommands?: string[]; runAs?: string }): Promise<HostAgent> {
  const agent = new HostAgent({
    nc,
    hostId,
    labels: { policy: hostId },
    dataDir: join(dir, hostId),
    ...opts,
  });
  await agent.start();
  after(() => agent.stop());
  return agent;
}

async function deploy(name: string, hostId: string, properties: Record<string, unknown>): Promise<void> {
  const put = await api.put(
    spreadApp(name, { instances: 1, properties, spread: [{ name: "h", requirements: { policy: hostId } }] }),
  );
  await api.deploy(put.name, put.version);
}

/** The reasons of every command_failed event of `app` so far. */
async function commandFailures(app: string): Promise<string[]> {
  const consumer = await jetstream(nc).consumers.get(STREAMS.events, { deliver_policy: DeliverPolicy.All });
  const out: string[] = [];
  for await (const m of await consumer.fetch({ max_messages: 10_000, expires: 1_000 })) {
    if (!m.subject.endsWith(".command_failed")) continue;
    const data = m.json<{ data: { app: string; reason: string } }>().data;
    if (data.app === app) out.push(data.reason);
  }
  return out;
}

test("a command outside --allow-command is refused: status shows the host's reason, nothing starts", async () => {
  const agent = await host("strict", { allowCommands: ["sleep", "/usr/bin/true"] });
  await deploy("forbidden", "strict", { command: "sh", args: ["-c", "sleep 600"] });
  const s = await statusWhere(api, "forbidden", (s) => s.phase === "failed", "refused", 15_000);
  assert.match(s.message, /host policy: command "sh" \(.*\/sh\) is not allowed on this host/);
  assert.match(s.message, /--allow-command sleep, \/usr\/bin\/true/);
  const reasons = await commandFailures("forbidden");
  assert.ok(reasons.length > 0, "a command_failed event");
  assert.match(reasons[0]!, /workload\.spec\.command: host policy/);
  assert.deepEqual(instancesOf("forbidden"), []);
  assert.deepEqual(agent.inventory(), {});

  const r = await runCli(["app", "status", "forbidden"], { env: { NATS_URL: nats.url } });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /host policy: command "sh"/);
});

test("a command inside the list runs, from the agent's PATH even if the manifest sets PATH", async () => {
  // A fake `sleep` first on the manifest's PATH: without the policy's lookup it would run.
  const evil = join(dir, "evil");
  mkdirSync(evil);
  writeFileSync(join(evil, "sleep"), "#!/bin/sh\nexec /bin/sleep 601\n");
  chmodSync(join(evil, "sleep"), 0o755);
  await host("allowing", { allowCommands: ["sleep"] });
  await deploy("allowed", "allowing", {
    command: "sleep",
    args: ["600"],
    env: { PATH: `${evil}:/usr/bin:/bin` },
  });
  await statusWhere(api, "allowed", (s) => s.phase === "deployed", "deployed", 15_000);
  const [instance] = await waitFor(() => {
    const found = instancesOf("allowed");
    return found.length === 1 && found;
  });
  const cmdline = readFileSync(`/proc/${instance!.pid}/cmdline`, "utf8").split("\0");
  assert.ok(cmdline.includes("600"), `runs the agent's sleep with the manifest's args: ${cmdline.join(" ")}`);
  assert.ok(!cmdline.some((a) => a.startsWith(evil)), `not the manifest PATH's sleep: ${cmdline.join(" ")}`);
  assert.ok(!readlinkSync(`/proc/${instance!.pid}/exe`).startsWith(evil));
});

test("--run-as runs instances as that user (as root; otherwise the agent refuses to start)", async () => {
  if (process.getuid?.() !== 0) {
    assert.throws(() => new HostAgent({ nc, hostId: "runas", runAs: "nobody" }), /must run as root/);
    return;
  }
  await host("runas", { runAs: "nobody" });
  await deploy("as-nobody", "runas", { command: "sleep", args: ["600"] });
  await statusWhere(api, "as-nobody", (s) => s.phase === "deployed", "deployed", 15_000);
  const [instance] = await waitFor(() => {
    const found = instancesOf("as-nobody");
    return found.length === 1 && found;
  });
  const status = readFileSync(`/proc/${instance!.pid}/status`, "utf8");
  assert.match(status, /^Uid:\s+65534\s+65534\s+65534\s+65534$/m);
  assert.match(status, /^Gid:\s+65534\s+65534\s+65534\s+65534$/m);
  const environ = readFileSync(`/proc/${instance!.pid}/environ`, "utf8").split("\0");
  assert.ok(environ.includes("USER=nobody"));
});
