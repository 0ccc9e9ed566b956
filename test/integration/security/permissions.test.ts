/**
 * deploy/nats-permissions.conf, run as it ships (passwords from the environment): the four roles
 * of docs/security.md. A host cannot write another host's key, publish commands or call the API;
 * a watcher can read but not deploy; and the controller and a host, each under its own user,
 * still converge an app deployed by the operator.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { ApiClient } from "../../../src/api/client.js";
import { HostAgent } from "../../../src/host/index.js";
import { BUCKETS, CONSUMERS, keys, STREAMS, subjects } from "../../../src/streams/subjects.js";
import { runCli } from "../../support/cli.js";
import { startController } from "../../support/controller.js";
import { spreadApp } from "../../support/manifests.js";
import { testNats } from "../../support/nats.js";
import { ROOT, spawnNadm, spawnProgram } from "../../support/processes.js";
import { statusWhere } from "../../support/status.js";
import { waitFor } from "../../support/wait.js";

const PASSWORDS = {
  NADM_CONTROLLER_PASSWORD: "controller-pw",
  NADM_HOST_1_PASSWORD: "host-1-pw",
  NADM_OPERATOR_PASSWORD: "operator-pw",
  NADM_WATCHER_PASSWORD: "watcher-pw",
  NADM_SCALER_FIRST_FIT_PASSWORD: "scaler-pw",
};
// nats-server reads variables the file does not define from its environment, which it inherits.
Object.assign(process.env, PASSWORDS);
const nats = await testNats({
  config: readFileSync(`${ROOT}deploy/nats-permissions.conf`, "utf8"),
  // A refused subject is logged by the server: shown, so a missing permission is easy to find.
  onLog: (line) => {
    if (/violation/i.test(line)) process.stderr.write(`nats-server: ${line}\n`);
  },
});
const as = (user: string, password: string) => nats.connect({ user, password });
const controllerNc = await as("nadm-controller", PASSWORDS.NADM_CONTROLLER_PASSWORD);
const hostNc = await as("nadm-host-host-1", PASSWORDS.NADM_HOST_1_PASSWORD);
const operatorNc = await as("nadm-operator", PASSWORDS.NADM_OPERATOR_PASSWORD);
const watcherNc = await as("nadm-watcher", PASSWORDS.NADM_WATCHER_PASSWORD);

await startController(controllerNc, { tickIntervalMs: 250 });
const host = new HostAgent({ nc: hostNc, hostId: "host-1", driver: "sim", heartbeatIntervalMs: 500 });
await host.start();
test.after(() => host.stop());
const operator = new ApiClient(operatorNc, "default", 3_000);
const watcher = new ApiClient(watcherNc, "default", 3_000);

/** Resolves to the error the promise rejected with (fails if it resolved). */
async function refused(what: string, p: Promise<unknown>): Promise<Error> {
  const err = await p.then(
    () => undefined,
    (e: Error) => e,
  );
  assert.ok(err, `${what} should have been refused`);
  return err;
}

const PERMISSION = /permission|timeout|no responders/i;

test("the controller and a host, each under its own user, converge an app the operator deploys", async () => {
  const put = await operator.put(spreadApp("perm", { instances: 2 }));
  await operator.deploy(put.name, put.version);
  const s = await statusWhere(operator, "perm", (s) => s.phase === "deployed", "deployed", 20_000);
  assert.deepEqual(s.components[0]?.hosts, { "host-1": 2 });
});

test("a host cannot write another host's key, nor purge the bucket", async () => {
  const kv = await new Kvm(hostNc).open(BUCKETS.hosts);
  const err = await refused("put of host-2's key", kv.put(keys.host("default", "host-2"), "{}"));
  assert.match(err.message, PERMISSION);
  const jsm = await jetstreamManager(hostNc);
  await refused("purge", jsm.streams.purge(`KV_${BUCKETS.hosts}`));
  const admin = await new Kvm(controllerNc).open(BUCKETS.hosts);
  assert.equal(await admin.get(keys.host("default", "host-2")), null);
  assert.ok(await admin.get(keys.host("default", "host-1")), "its own key it does write");
});

test("a host cannot publish commands or call the API", async () => {
  const jsm = await jetstreamManager(controllerNc);
  const before = (await jsm.streams.info(STREAMS.commands)).state.last_seq;
  const js = jetstream(hostNc, { timeout: 2_000 });
  await refused("command publish", js.publish(subjects.command("default", "host-1"), "{}"));
  // Not "nothing stored since": the controller may send a command of its own meanwhile.
  const last = (await jsm.streams.info(STREAMS.commands)).state.last_seq;
  for (let seq = before + 1; seq <= last; seq++) {
    const m = await jsm.streams.getMessage(STREAMS.commands, { seq });
    assert.notEqual(m?.string(), "{}", `the host's publish was stored at ${seq}`);
  }
  const api = new ApiClient(hostNc, "default", 2_000);
  await refused("API list", api.list());
  await refused("API deploy", api.deploy("perm"));
});

test("a watcher reads status, the app list, hosts and watches commands, but cannot deploy or delete", async () => {
  assert.equal((await watcher.status("perm")).phase, "deployed");
  assert.ok(JSON.stringify(await watcher.list()).includes('"perm"'));
  assert.match((await refused("deploy", watcher.deploy("perm"))).message, /Permissions Violation/);
  await refused("undeploy", watcher.undeploy("perm"));
  await refused("delete", watcher.delete("perm"));
  assert.equal((await operator.status("perm")).phase, "deployed", "nothing changed");
  // It may pull from consumers of its own, never from the shared durables (that would steal work).
  for (const [stream, durable] of [
    [STREAMS.events, CONSUMERS.reconcile],
    [STREAMS.commands, CONSUMERS.dispatch],
  ] as const) {
    const pull = watcherNc.request(`$JS.API.CONSUMER.MSG.NEXT.${stream}.${durable}`, '{"batch":1}', {
      timeout: 2_000,
    });
    assert.match((await refused(`pull from ${durable}`, pull)).message, /Permissions Violation/);
  }

  const env = {
    NATS_URL: nats.url,
    NATS_USER: "nadm-watcher",
    NATS_PASSWORD: PASSWORDS.NADM_WATCHER_PASSWORD,
  };
  const hosts = await runCli(["hosts", "list", "--json"], { env });
  assert.equal(hosts.code, 0, hosts.stdout + hosts.stderr);
  assert.deepEqual(
    (hosts.json as Array<{ hostId: string }>).map((h) => h.hostId),
    ["host-1"],
  );
  const watch = spawnNadm("watcher", ["commands", "watch", "--all", "--json"], env);
  try {
    await waitFor(() => watch.output().includes('"app":"perm"'), {
      timeoutMs: 15_000,
      what: "perm's commands",
    }).catch((e: Error) => {
      throw new Error(`${e.message}: ${watch.output()}`);
    });
  } finally {
    await watch.stop();
  }

  const deploy = await runCli(["app", "deploy", "perm", "--json", "--timeout", "2s"], { env });
  assert.equal(deploy.code, 1, deploy.stdout + deploy.stderr);
  const error = (deploy.json as { error: { code: string; message: string } }).error;
  assert.equal(error.code, "bad_request", "not retried as if the API were unavailable");
  assert.match(error.message, /NATS does not let this user call deploy/);
  assert.doesNotMatch(deploy.stderr, /waiting/);
});

test("a remote scaler under its own user registers and answers, and can touch nothing else", async () => {
  const scaler = spawnProgram(
    "first-fit",
    process.execPath,
    ["--import", "tsx", "examples/remote-scalers/node/main.ts"],
    {
      NATS_URL: nats.url,
      NATS_USER: "nadm-scaler-first-fit",
      NATS_PASSWORD: PASSWORDS.NADM_SCALER_FIRST_FIT_PASSWORD,
    },
  );
  test.after(() => scaler.stop());
  const registrations = await new Kvm(controllerNc).open(BUCKETS.scalers);
  await waitFor(
    async () => (await registrations.get(keys.scaler("default", "first-fit")))?.operation === "PUT",
    {
      timeoutMs: 30_000,
      what: `registration (scaler output: ${scaler.output()})`,
    },
  );
  const app = JSON.parse(spreadApp("packed", { instances: 2 }));
  app.spec.components[0].traits = [{ type: "first-fit", properties: { instances: 2, perHost: 2 } }];
  const put = await waitFor(() => operator.put(JSON.stringify(app)).catch(() => undefined), { what: "put" });
  await operator.deploy(put.name, put.version);
  const s = await statusWhere(operator, "packed", (s) => s.phase === "deployed", "deployed", 20_000);
  assert.deepEqual(s.components[0]?.hosts, { "host-1": 2 });

  const scalerNc = await as("nadm-scaler-first-fit", PASSWORDS.NADM_SCALER_FIRST_FIT_PASSWORD);
  const kv = await new Kvm(scalerNc).open(BUCKETS.scalers);
  await refused("put of another scaler's key", kv.put(keys.scaler("default", "other"), "{}"));
  await refused("API list", new ApiClient(scalerNc, "default", 2_000).list());
});
