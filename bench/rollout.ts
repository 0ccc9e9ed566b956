/**
 * rollout_seconds — 100 apps × 10 instances on 1,000 sim hosts in 3 zones, rolled from v1 to
 *   v2 with `{serialBy: zone, maxUnavailable: 10%}`: seconds until every app is `deployed` on
 *   v2, against the baseline of placing the same apps from nothing (v1) in the same run.
 * rollout_commands_over_minimum — commands issued during the rollout ÷ the commands the
 *   planner needs (the sum of `app plan`'s waves, asked before the deploy).
 *
 * One controller replica in this process; the 1,000 sim hosts in a child process (lib/processes.ts).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { ApiClient } from "../src/api/client.js";
import { controllerSchema, resolve, resourcesSchema } from "../src/config.js";
import { Controller } from "../src/controller.js";
import { startNatsServer } from "../src/embedded/nats-server.js";
import { silentLogger } from "../src/log.js";
import { ScalerRegistry } from "../src/scalers/index.js";
import { connectNats } from "../src/streams/connection.js";
import { STREAMS } from "../src/streams/subjects.js";
import { spreadApp } from "../test/support/manifests.js";
import { spawnNadm } from "./lib/processes.js";

const APPS = Number(process.env.BENCH_ROLLOUT_APPS ?? 100);
const INSTANCES = 10;
const HOSTS = Number(process.env.BENCH_ROLLOUT_HOSTS ?? 1_000);
const ZONES = ["a", "b", "c"];
const rollout = { serialBy: "zone", maxUnavailable: "10%" };
const spread = ZONES.map((z) => ({ name: z, requirements: { zone: z }, weight: 1 }));

function manifest(i: number, version: string): string {
  return spreadApp(`roll-${i}`, {
    instances: INSTANCES,
    spread,
    version,
    rollout,
    properties: { command: "sim", args: [version] },
  });
}

async function until(probe: () => Promise<boolean>, timeoutMs = 600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error("benchmark timed out");
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function allDeployed(api: ApiClient, version: string): Promise<boolean> {
  const { apps } = await api.list();
  return apps.length === APPS && apps.every((a) => a.phase === "deployed" && a.deployedVersion === version);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "nadm-bench-rollout-"));
  const server = await startNatsServer({ storeDir: dir });
  const nc = await connectNats({ natsUrl: server.url, lattice: "default" });
  const controller = new Controller({
    nc,
    resources: resolve(resourcesSchema, {}),
    controller: resolve(controllerSchema, {}),
    registry: new ScalerRegistry(),
    log: silentLogger(),
  });
  await controller.start();
  const fleet = spawnNadm(
    "sim",
    ["host", "--driver", "sim", "--sim-hosts", String(HOSTS), "--sim-zones", ZONES.join(",")],
    { NATS_URL: server.url },
  );
  try {
    const hosts = await new Kvm(nc).open("nadm_hosts");
    await until(async () => {
      let n = 0;
      for await (const _ of await hosts.keys()) n++;
      return n === HOSTS;
    });
    const api = new ApiClient(nc, "default", 30_000);

    let t = performance.now();
    for (let i = 0; i < APPS; i++) {
      await api.put(manifest(i, "v1"));
      await api.deploy(`roll-${i}`, "v1");
    }
    await until(() => allDeployed(api, "v1"));
    const placeSeconds = (performance.now() - t) / 1000;

    let minimum = 0;
    for (let i = 0; i < APPS; i++) {
      await api.put(manifest(i, "v2"));
      const plan = await api.plan({ name: `roll-${i}`, version: "v2" });
      minimum += plan.waves.reduce((n, w) => n + w.commands.length, 0);
    }
    const jsm = await jetstreamManager(nc);
    const before = (await jsm.streams.info(STREAMS.commands)).state.messages;
    t = performance.now();
    for (let i = 0; i < APPS; i++) await api.deploy(`roll-${i}`, "v2");
    await until(() => allDeployed(api, "v2"));
    const rollSeconds = (performance.now() - t) / 1000;
    const commands = (await jsm.streams.info(STREAMS.commands)).state.messages - before;

    const params = { apps: APPS, instances: INSTANCES, hosts: HOSTS, zones: ZONES.length, ...rollout };
    const out = [
      {
        metric: "rollout_seconds",
        value: Number(rollSeconds.toFixed(2)),
        unit: "s",
        baseline: Number(placeSeconds.toFixed(2)),
        ratio: Number((rollSeconds / placeSeconds).toFixed(2)),
        baseline_is: "placing the same apps from nothing (v1)",
        params,
      },
      {
        metric: "rollout_commands_over_minimum",
        value: Number((commands / minimum).toFixed(3)),
        unit: "ratio",
        commands,
        minimum,
        params,
      },
    ];
    for (const l of out) process.stdout.write(`${JSON.stringify(l)}\n`);
  } finally {
    // The hosts retire while NATS is still there (and the event loop is not held by a child).
    await fleet.kill("SIGTERM");
    await controller.stop();
    await nc.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
