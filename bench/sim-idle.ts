/**
 * Idle CPU of a fleet of simulated hosts in one process (`nadm host --driver sim`), against
 * the baseline of the same process connected to NATS with no hosts, over the same window.
 * Usage: tsx bench/sim-idle.ts [count=1000] [seconds=20] [heartbeatMs=5000]; one JSON line.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolve, resourcesSchema } from "../src/config.js";
import { startNatsServer } from "../src/embedded/nats-server.js";
import { runSimFleet } from "../src/host/index.js";
import { connectNats } from "../src/streams/connection.js";
import { provision } from "../src/streams/provision.js";

const [count = 1000, seconds = 20, heartbeatIntervalMs = 5000] = process.argv.slice(2).map(Number);
const storeDir = mkdtempSync(join(tmpdir(), "nadm-simcpu-"));
const server = await startNatsServer({ storeDir });
try {
  const nc = await connectNats({ natsUrl: server.url, lattice: "default" });
  await provision(nc, { resources: resolve(resourcesSchema, {}) });
  const idle = await cpuOver(seconds);
  const t0 = Date.now();
  const fleet = await runSimFleet({ nc, count, heartbeatIntervalMs });
  const startupMs = Date.now() - t0;
  // Let the first (staggered) round of heartbeats settle before measuring.
  await new Promise((r) => setTimeout(r, heartbeatIntervalMs));
  const busy = await cpuOver(seconds);
  console.log(
    JSON.stringify({
      metric: "sim_idle_cpu",
      hosts: count,
      heartbeatIntervalMs,
      seconds,
      startupMs,
      cpuPercentOfOneCore: busy,
      baselineNoHostsPercent: idle,
      rssMiB: Math.round(process.memoryUsage().rss / 1024 / 1024),
    }),
  );
  await fleet.stop();
  await nc.close();
} finally {
  await server.stop();
  rmSync(storeDir, { recursive: true, force: true });
}

/** CPU used by this process over `seconds`, in percent of one core. */
async function cpuOver(seconds: number): Promise<number> {
  const cpu0 = process.cpuUsage();
  const wall0 = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const cpu = process.cpuUsage(cpu0);
  const wallUs = Number(process.hrtime.bigint() - wall0) / 1000;
  return Number((((cpu.user + cpu.system) / wallUs) * 100).toFixed(2));
}
