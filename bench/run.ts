/**
 * `npm run bench` runs every benchmark; `npm run bench -- NAME…` the named ones. Each runs as its
 * own process (and starts its own nats-server and nadm processes), one after another, so no two
 * measurements share the machine. Output: the benchmarks' JSON lines on stdout.
 */
import { type SpawnOptions, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/** name → the script and its arguments, in the order `npm run bench` runs them. */
const BENCHES: Record<string, { what: string; argv: string[] }> = {
  pipeline: { what: "M1 events/s vs the bare loop; M6 latency at half that rate", argv: ["pipeline.ts"] },
  placement: {
    what: "M2 placement floor and a burst of 1,000 apps × 10 on 1,000 hosts",
    argv: ["placement.ts"],
  },
  failover: {
    what: "M3a replica SIGKILL mid-burst; M3b half of 1,000 hosts SIGKILLed",
    argv: ["failover.ts"],
  },
  "failover-large": {
    what: "M3c half of 5,000 hosts SIGKILLed with 1,000 apps",
    argv: ["failover.ts", "--large"],
  },
  fleet: { what: "M4 controller memory per hosts and apps; M5 idle CPU at 5,000 hosts", argv: ["fleet.ts"] },
  plan: { what: "planner cost per app in-process", argv: ["plan.ts"] },
  rollout: { what: "rollout planner cost", argv: ["rollout.ts"] },
  "sim-idle": {
    what: "idle CPU of 1,000 sim hosts in one process",
    argv: ["sim-idle.ts", "1000", "20", "5000"],
  },
  "manifest-memory": {
    what: "memory of stored manifest versions",
    argv: ["--expose-gc", "manifest-memory.ts"],
  },
  "artifact-fetch": { what: "artifact fetch throughput", argv: ["artifact-fetch.ts", "50", "20"] },
  "dashboard-render": {
    what: "dashboard render time in headless Chromium, 1,000 hosts × 200 apps",
    argv: ["dashboard-render.ts", "1000", "200", "3"],
  },
};

const asked = process.argv.slice(2);
const unknown = asked.filter((n) => !(n in BENCHES));
if (unknown.length > 0 || asked.includes("--help")) {
  console.error(`usage: npm run bench [-- NAME…]\n\nbenchmarks:`);
  for (const [name, b] of Object.entries(BENCHES)) console.error(`  ${name.padEnd(16)} ${b.what}`);
  if (unknown.length > 0) console.error(`\nunknown: ${unknown.join(", ")}`);
  process.exit(unknown.length > 0 ? 2 : 0);
}

const dir = fileURLToPath(new URL("./", import.meta.url));

/**
 * The benchmarks run nadm as it is published (dist/, the `nadm` bin), so build it first, unless
 * BENCH_NADM=source asks for the sources through tsx (what the smoke tests in `npm test` use).
 */
if (process.env.BENCH_NADM !== "source") {
  process.stderr.write("--- npm run build (benchmarks run the built bin; BENCH_NADM=source: the sources)\n");
  const built = await run("npm", ["run", "build", "--silent"], { stdio: ["ignore", "ignore", "inherit"] });
  if (built !== 0) {
    process.stderr.write("npm run build failed: benchmarks not run\n");
    process.exit(1);
  }
  process.env.BENCH_NADM = "dist";
}

function run(cmd: string, args: string[], opts: SpawnOptions): Promise<number | null> {
  return new Promise((resolve) => spawn(cmd, args, opts).once("exit", resolve));
}

for (const name of asked.length > 0 ? asked : Object.keys(BENCHES)) {
  const { argv } = BENCHES[name]!;
  const nodeFlags = argv.filter((a) => a.startsWith("--expose"));
  const [script, ...args] = argv.filter((a) => !a.startsWith("--expose"));
  process.stderr.write(`--- bench ${name}\n`);
  const started = Date.now();
  const code = await run(process.execPath, [...nodeFlags, "--import", "tsx", `${dir}${script}`, ...args], {
    stdio: "inherit",
  });
  process.stderr.write(`--- bench ${name}: ${((Date.now() - started) / 1000).toFixed(0)} s, exit ${code}\n`);
  if (code !== 0) process.exitCode = 1;
}
