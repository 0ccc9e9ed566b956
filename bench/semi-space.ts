/**
 * What bounding V8's young generation costs (`tsx bench/semi-space.ts`, not part of
 * `npm run bench`): the M1 setup (a backlog of N `app_deployed` events for one-instance apps,
 * 100 sim hosts) drained by one controller run with each node flag setting in turn → the
 * controller's CPU ms per event while draining, and until every follow-up event was handled.
 * CPU per event, unlike a rate, hardly moves with the other load on a shared machine. Each
 * setting runs on top of the launcher's flags (lib/launcher.ts); a later flag wins.
 * Params (env): BENCH_EVENTS (3000), BENCH_SETTINGS (comma-separated node flag sets;
 * "default" = none; default: Node's own 16 MB semi-space vs 8 MB, twice each, alternating).
 */
import { builtinTraitCatalog } from "../src/catalog.js";
import { resolve, resourcesSchema } from "../src/config.js";
import { parseManifestText } from "../src/manifests/index.js";
import { ManifestStore } from "../src/manifests/store.js";
import { connectNats } from "../src/streams/connection.js";
import { openBuckets } from "../src/streams/provision.js";
import { STREAMS } from "../src/streams/subjects.js";
import { spreadApp } from "../test/support/manifests.js";
import { LATTICE, LatticeObserver, lastSeq, reconcileIdle } from "./lib/lattice.js";
import {
  cpuTicks,
  finished,
  type Proc,
  spawnNadm,
  spawnScript,
  startBenchNats,
  until,
} from "./lib/processes.js";
import { emit } from "./lib/report.js";

const N = Number(process.env.BENCH_EVENTS ?? 3000);
const settings = (
  process.env.BENCH_SETTINGS ??
  "--max-semi-space-size=16,--max-semi-space-size=8,--max-semi-space-size=16,--max-semi-space-size=8"
).split(",");
for (const setting of settings) {
  const flags = setting === "default" ? [] : setting.split(" ");
  const nats = await startBenchNats();
  const env = { NATS_URL: nats.url };
  const procs: Proc[] = [];
  try {
    const nc = await connectNats({ natsUrl: nats.url, lattice: LATTICE });
    const obs = await LatticeObserver.open(nc);
    procs.push(
      spawnNadm("sim", ["host", "--driver", "sim", "--sim-hosts", "100", "--heartbeat-interval", "5s"], env),
    );
    await obs.waitHosts(100);
    const buckets = await openBuckets(nc, resolve(resourcesSchema, {}));
    const store = new ManifestStore(buckets.manifests, {});
    for (let i = 0; i < N; i += 64)
      await Promise.all(
        Array.from({ length: Math.min(64, N - i) }, (_, j) =>
          store.put(
            LATTICE,
            parseManifestText(spreadApp(`m1-${i + j}`, { instances: 1 }), builtinTraitCatalog()),
            new Date(),
          ),
        ),
      );
    const seq0 = await lastSeq(nc, STREAMS.commands);
    await finished(spawnScript("deploy", "lib/agents.ts", ["deploy", String(N), "m1", "0"], env));
    const ctl = spawnNadm("controller", ["controller"], env, flags);
    procs.push(ctl);
    await until(async () => (await lastSeq(nc, STREAMS.commands)) > seq0, "first command", 600_000, 20);
    const [t0, w0] = [cpuTicks(ctl.pid), performance.now()];
    await until(async () => (await lastSeq(nc, STREAMS.commands)) - seq0 >= N, "all commands", 600_000, 20);
    const [t1, w1] = [cpuTicks(ctl.pid), performance.now()];
    await reconcileIdle(nc);
    const [t2, w2] = [cpuTicks(ctl.pid), performance.now()];
    const params = { setting, events: N, drainWallS: (w1 - w0) / 1000, totalWallS: (w2 - w0) / 1000 };
    emit({ metric: "drain_cpu_ms_per_event", value: ((t1 - t0) * 10) / N, unit: "ms", params });
    emit({ metric: "total_cpu_ms_per_event", value: ((t2 - t0) * 10) / N, unit: "ms", params });
    obs.stop();
    await nc.close();
  } finally {
    await Promise.all(procs.map((p) => p.kill()));
    await nats.stop();
  }
}
