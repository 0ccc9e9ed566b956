/**
 * A 50 MB artifact fetched by 20 hosts at once — 20 host artifact caches, each on its own NATS
 * connection as 20 hosts would be, each streaming, hashing, verifying and placing the file —
 * beside plain Object Store gets of the same object in the same run (1 client, then 20 at once).
 * Reports wall seconds, nats-server CPU seconds (from /proc) and this process's CPU seconds.
 * Usage: tsx bench/artifact-fetch.ts [megabytes=50] [hosts=20]; one JSON line per mode.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { NatsConnection } from "@nats-io/transport-node";
import { ArtifactStore } from "../src/artifacts/store.js";
import { resolve, resourcesSchema } from "../src/config.js";
import { startNatsServer } from "../src/embedded/nats-server.js";
import { ArtifactCache } from "../src/host/artifacts/cache.js";
import { silentLogger } from "../src/log.js";
import { connectNats } from "../src/streams/connection.js";
import { provision } from "../src/streams/provision.js";

const [megabytes = 50, hosts = 20] = process.argv.slice(2).map(Number);
const CLK_TCK = 100; // Linux USER_HZ
const root = mkdtempSync(join(tmpdir(), "nadm-bench-artifact-"));
const server = await startNatsServer({ storeDir: join(root, "nats") });
const connections: NatsConnection[] = [];

/** utime + stime of a process, in seconds. */
function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

async function measure(mode: string, clients: number, run: () => Promise<unknown>): Promise<void> {
  const server0 = cpuSecondsOf(server.pid);
  const self0 = process.cpuUsage();
  const t0 = performance.now();
  await run();
  const seconds = (performance.now() - t0) / 1000;
  const self = process.cpuUsage(self0);
  console.log(
    JSON.stringify({
      metric: "artifact_fetch",
      mode,
      megabytes,
      clients,
      seconds: Number(seconds.toFixed(2)),
      aggregateMBps: Number(((megabytes * clients) / seconds).toFixed(1)),
      natsServerCpuSeconds: Number((cpuSecondsOf(server.pid) - server0).toFixed(2)),
      clientProcessCpuSeconds: Number(((self.user + self.system) / 1e6).toFixed(2)),
    }),
  );
}

async function plainGet(store: ArtifactStore, digest: string): Promise<number> {
  const result = await store.get(digest);
  if (!result) throw new Error("object missing");
  const reader = result.data.getReader();
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.length;
  }
  const err = await result.error;
  if (err) throw err;
  return bytes;
}

try {
  const nc = await connectNats({ natsUrl: server.url, lattice: "default" });
  connections.push(nc);
  await provision(nc, { resources: resolve(resourcesSchema, {}) });
  const file = join(root, "artifact.bin");
  writeFileSync(file, randomBytes(megabytes * 1024 * 1024)); // incompressible, like a binary
  const { digest } = await (await ArtifactStore.open(nc)).put(file, "bench");
  const clients = await Promise.all(
    Array.from({ length: hosts }, async (_, i) => {
      const c = await connectNats({ natsUrl: server.url, lattice: "default", name: `bench-host-${i}` });
      connections.push(c);
      return ArtifactStore.connect(c);
    }),
  );

  await measure("plain object-store get, 1 client", 1, () => plainGet(clients[0]!, digest));
  await measure(`plain object-store get, ${hosts} clients at once`, hosts, () =>
    Promise.all(clients.map((s) => plainGet(s, digest))),
  );
  const caches = clients.map(
    (s, i) =>
      new ArtifactCache({
        root: join(root, `host-${i}`, "artifacts"),
        source: async () => s,
        maxBytes: 1024 ** 3,
        logger: silentLogger(),
      }),
  );
  await measure(`nadm host fetch (stream, sha256 verify, place), ${hosts} hosts at once`, hosts, () =>
    Promise.all(caches.map((c) => c.ensure({ name: "bench", digest }, () => undefined))),
  );
  await measure(`nadm host cache hit (re-verify on start), ${hosts} hosts at once`, hosts, () =>
    Promise.all(caches.map((c) => c.ensure({ name: "bench", digest }, () => undefined))),
  );
} finally {
  await Promise.allSettled(connections.map((c) => c.close()));
  await server.stop();
  rmSync(root, { recursive: true, force: true });
}
