/**
 * End to end, as processes: 2 controller replicas and 3 process hosts on a real nats-server.
 * A spreadscaler app converges to its placement (checked against real OS processes), a new
 * version converges, a SIGKILLed host's instances move to the survivors within
 * 3 × heartbeat + 2 s with the status telling why, undeploy stops everything, delete removes it.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { runCli } from "../support/cli.js";
import { testNats } from "../support/nats.js";
import { type NadmProcess, placementOf, spawnNadm } from "../support/processes.js";
import { waitFor } from "../support/wait.js";

const nats = await testNats();
const dir = mkdtempSync(join(tmpdir(), "nadm-e2e-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const env = { NATS_URL: nats.url };
const HEARTBEAT_MS = 1_000;

function manifest(version: string, instances: number): string {
  const file = join(dir, `zones-${version}.yaml`);
  writeFileSync(
    file,
    `apiVersion: nadm.dev/v1
kind: Application
metadata:
  name: zones
  annotations:
    version: ${version}
spec:
  components:
    - name: sleeper
      type: process
      properties:
        command: sleep
        args: ["600"]
        env:
          RELEASE: ${version}
      traits:
        - type: spreadscaler
          properties:
            instances: ${instances}
            spread:
              - { name: east, requirements: { zone: east }, weight: 3 }
              - { name: west, requirements: { zone: west }, weight: 1 }
`,
  );
  return file;
}

async function cli(...args: string[]) {
  const r = await runCli([...args, "--json"], { env });
  assert.equal(r.code, 0, `nadm ${args.join(" ")} failed: ${r.stdout}${r.stderr}`);
  return r.json as Record<string, unknown>;
}

async function status(): Promise<{ phase: string; message: string; version: string }> {
  return (await cli("app", "status", "zones")) as never;
}

// A 250 ms tick: a dead host is noticed within 3 heartbeats + 250 ms, leaving room for load.
const controllers = [1, 2].map((i) =>
  spawnNadm(`controller-${i}`, ["controller", "--tick-interval", "250ms"], env),
);
const hosts: Record<string, NadmProcess> = Object.fromEntries(
  [
    ["east-1", "east"],
    ["east-2", "east"],
    ["west-1", "west"],
  ].map(([id, zone]) => [
    id,
    spawnNadm(
      `host-${id}`,
      [
        "host",
        "--host-id",
        id!,
        "--label",
        `zone=${zone}`,
        "--heartbeat-interval",
        `${HEARTBEAT_MS}ms`,
        "--data-dir",
        join(dir, id!),
      ],
      env,
    ),
  ]),
);

test("an app converges across hosts, heals after a host dies, and stops on undeploy", async (t) => {
  let passed = false;
  t.after(() => {
    if (passed) return;
    for (const p of [...controllers, ...Object.values(hosts)])
      console.log(`--- ${p.name}\n${p.output().slice(-3000)}`);
  });
  await waitFor(async () => ((await cli("hosts", "list")) as unknown as unknown[]).length === 3, {
    timeoutMs: 30_000,
    what: "3 hosts",
  });

  await cli("app", "put", manifest("v1", 4));
  await cli("app", "deploy", "zones", "--version", "v1");
  await waitFor(async () => (await status()).phase === "deployed", {
    timeoutMs: 30_000,
    what: "v1 deployed",
  });
  // 4 × 3/4 = 3 in east, split 2 + 1 (which east host gets 2 depends on which replica saw what
  // first: both are correct and stable), 1 in west.
  const v1 = placementOf("zones");
  assert.deepEqual([v1["east-1"], v1["east-2"]].sort(), [1, 2]);
  assert.equal(v1["west-1"], 1);

  await cli("app", "put", manifest("v2", 6));
  await cli("app", "deploy", "zones");
  await waitFor(
    async () => {
      const s = await status();
      return s.phase === "deployed" && s.version === "v2";
    },
    { timeoutMs: 30_000, what: "v2 deployed" },
  );
  // 6 × 3/4 = 4.5 → east 5 (largest remainder, earlier group wins the tie) split 3 + 2, west 1
  const v2 = placementOf("zones");
  assert.deepEqual([v2["east-1"], v2["east-2"]].sort(), [2, 3]);
  assert.equal(v2["west-1"], 1);

  const killedAt = Date.now();
  await hosts["east-1"]!.kill();
  const healed = await waitFor(
    () => {
      const p = placementOf("zones");
      return p["east-2"] === 5 && p["west-1"] === 1 && p["east-1"] === undefined ? p : undefined;
    },
    { timeoutMs: 20_000, intervalMs: 100, what: "instances moved off east-1" },
  );
  const healMs = Date.now() - killedAt;
  console.log(JSON.stringify({ metric: "heal_after_host_sigkill_ms", value: healMs, placement: healed }));
  assert.ok(healMs <= 3 * HEARTBEAT_MS + 2_000, `healed in ${healMs} ms, more than 3 × heartbeat + 2 s`);
  await waitFor(async () => (await status()).phase === "deployed", {
    timeoutMs: 20_000,
    what: "deployed again",
  });
  const history = (await cli("app", "history", "zones")) as {
    entries: Array<{ phase: string; message: string }>;
  };
  assert.ok(
    history.entries.some((e) => e.phase !== "deployed" && /east-1 was lost/.test(e.message)),
    `status history should tell that east-1 was lost: ${JSON.stringify(history.entries.map((e) => e.message))}`,
  );

  await cli("app", "undeploy", "zones");
  await waitFor(() => Object.keys(placementOf("zones")).length === 0, {
    timeoutMs: 20_000,
    what: "no processes",
  });
  await waitFor(async () => (await status()).phase === "undeployed", {
    timeoutMs: 10_000,
    what: "undeployed status",
  });

  await cli("app", "delete", "zones");
  const list = (await cli("app", "list")) as { apps: Array<{ name: string }> };
  assert.deepEqual(list.apps, []);
  passed = true;
});
