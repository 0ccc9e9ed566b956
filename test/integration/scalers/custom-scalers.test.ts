/**
 * Custom scalers end to end: 2 controller replicas load the two example scalers and a
 * misbehaving one through `--scaler`; simulated hosts (3 stable, 2 pinned `track=canary`).
 * Each example's app must be placed by its own rule; each way of misbehaving must fail only its
 * own component, with a reason, while the other apps stay deployed.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ApiClient } from "../../../src/api/client.js";
import { freePort } from "../../../src/system.js";
import { hostRecords, openHostsKv, runningByApp } from "../../support/lattice.js";
import { testNats } from "../../support/nats.js";
import { spawnNadm } from "../../support/processes.js";
import { waitFor } from "../../support/wait.js";

const nats = await testNats();
const env = { NATS_URL: nats.url, NADM_LOG_LEVEL: "warn" };
const SCALERS = [
  "examples/scalers/binpack.ts",
  "examples/scalers/canary.ts",
  "test/fixtures/misbehaving-scaler.ts",
];
const scalerFlags = SCALERS.flatMap((p) => ["--scaler", p]);
// A busy machine (2 cores, many test processes) must not fail honest calls; a busy loop never ends.
const ports = [await freePort(), await freePort()];
const controllers = ports.map((port, i) =>
  spawnNadm(
    `controller-${i}`,
    ["controller", ...scalerFlags, "--scaler-deadline", "250ms", "--http-port", String(port)],
    env,
  ),
);
const sim = (id: string, n: number, labels: string[]) =>
  spawnNadm(
    id,
    [
      "host",
      "--driver",
      "sim",
      "--host-id",
      id,
      "--sim-hosts",
      String(n),
      "--sim-zones",
      "a",
      "--heartbeat-interval",
      "1s",
      ...labels,
    ],
    env,
  );
sim("stable", 3, ["--label", "track=stable"]);
sim("canary", 2, ["--label", "track=canary"]);

const nc = await nats.connect();
const api = new ApiClient(nc, "default", 5_000);
const hostsKv = await openHostsKv(nc);

function app(name: string, trait: string, properties: Record<string, unknown>): string {
  return JSON.stringify({
    apiVersion: "nadm.dev/v1",
    kind: "Application",
    metadata: { name, annotations: { version: "v1" } },
    spec: {
      components: [
        {
          name: "web",
          type: "process",
          properties: { command: "sim" },
          traits: [{ type: trait, properties }],
        },
      ],
    },
  });
}

async function deploy(name: string, text: string): Promise<void> {
  await waitFor(() => api.put(text).then(() => true), { timeoutMs: 30_000, what: `put ${name}` });
  await api.deploy(name);
}

async function placement(name: string, total: number): Promise<Map<string, number>> {
  return waitFor(
    async () => {
      const s = await api.status(name);
      const placed = runningByApp(await hostRecords(hostsKv)).get(name);
      const sum = [...(placed?.values() ?? [])].reduce((a, b) => a + b, 0);
      return s.phase === "deployed" && sum === total ? placed : undefined;
    },
    { timeoutMs: 60_000, what: `${name} deployed with ${total} instances` },
  );
}

test("both replicas load the example scalers; each app is placed by its example's rule", async () => {
  await waitFor(async () => (await hostRecords(hostsKv)).length === 5, {
    timeoutMs: 30_000,
    what: "5 hosts",
  });
  await deploy("packed", app("packed", "binpackscaler", { instances: 5, maxPerHost: 2 }));
  await deploy(
    "canaried",
    app("canaried", "canaryscaler", { instances: 5, canary: 1, pin: { track: "canary" } }),
  );
  const packed = await placement("packed", 5);
  // Bin-packing: the fewest hosts, ceil(5 / 2) = 3, each full but one.
  assert.deepEqual([...packed.values()].sort(), [1, 2, 2], JSON.stringify([...packed]));
  const canaried = await placement("canaried", 5);
  const onCanary = [...canaried].filter(([h]) => h.startsWith("canary"));
  const onStable = [...canaried].filter(([h]) => h.startsWith("stable"));
  // Canary: exactly 1 instance on the pinned hosts, the other 4 spread over the 3 stable ones.
  assert.deepEqual(
    onCanary.map(([, n]) => n),
    [1],
    JSON.stringify([...canaried]),
  );
  assert.deepEqual(onStable.map(([, n]) => n).sort(), [1, 1, 2], JSON.stringify([...canaried]));
  for (const c of controllers) assert.equal(c.child.exitCode, null, c.output());
});

const isolation: Array<{ mode: string; reason: RegExp }> = [
  { mode: "throw", reason: /threw on purpose/ },
  { mode: "unknown-host", reason: /"no-such-host", which is not among the hosts it was given/ },
  { mode: "negative", reason: /invalid count -1/ },
  { mode: "fractional", reason: /invalid count 0\.5/ },
  { mode: "mutate", reason: /read.only|Cannot assign|frozen/ },
  { mode: "spin", reason: /deadline/ },
];

test("a scaler that throws, answers garbage, mutates its input or spins fails only its component", async () => {
  for (const { mode } of isolation)
    await deploy(`bad-${mode}`, app(`bad-${mode}`, "misbehaving", { mode, count: 1 }));
  await deploy("good", app("good", "misbehaving", { mode: "ok", count: 2 }));
  for (const { mode, reason } of isolation) {
    const s = await waitFor(
      async () => {
        const st = await api.status(`bad-${mode}`);
        const web = st.components.find((c) => c.name === "web");
        return web?.phase === "failed" ? web : undefined;
      },
      { timeoutMs: 60_000, what: `bad-${mode} failed` },
    );
    assert.match(s.message, reason, `${mode}: ${s.message}`);
  }
  await placement("good", 2);
  for (const name of ["packed", "canaried"]) assert.equal((await api.status(name)).phase, "deployed", name);
  for (const c of controllers) assert.equal(c.child.exitCode, null, c.output());
});

/** Failed calls of the misbehaving scaler counted by both replicas. */
async function failuresCounted(): Promise<number> {
  let sum = 0;
  for (const port of ports) {
    const body = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const m = /nadm_scaler_failures_total\{scaler="misbehaving",kind="worker"\} (\d+)/.exec(body);
    sum += Number(m?.[1] ?? 0);
  }
  return sum;
}

test("a failed call is counted and logged with its stack", async () => {
  await waitFor(async () => (await failuresCounted()) >= 2, { timeoutMs: 10_000, what: "failures counted" });
  await waitFor(
    () =>
      controllers.some(
        (c) => /scaler call failed/.test(c.output()) && /misbehaving-scaler\.ts/.test(c.output()),
      ),
    {
      timeoutMs: 10_000,
      what: "a warning with the scaler's stack",
    },
  );
});
