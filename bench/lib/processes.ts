/**
 * Separate OS processes for benchmarks: nadm controllers and sim fleets spawned from source, a
 * private nats-server, and what /proc says they cost (CPU ticks, RSS). Every child is killed
 * when the benchmark process exits, also on a crash.
 */
import { type ChildProcess, spawn } from "node:child_process";
import {
  appendFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type RunningNatsServer, startNatsServer } from "../../src/embedded/nats-server.js";
import { launcherNodeFlags } from "./launcher.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const MAIN = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));
/** The published bin's entry point, built by `npm run build` (bench/run.ts builds it first). */
const DIST_MAIN = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));
/** The node flags of the `nadm` bin's launcher line, so a benchmark runs nadm as users do. */
const LAUNCHER_FLAGS = launcherNodeFlags();
const children = new Set<ChildProcess>();
process.once("exit", () => {
  for (const c of children) c.kill("SIGKILL");
});
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.once(sig, () => process.exit(130));
}

/** How a nadm process is started: the built bin, or the source through tsx (see spawnNadm). */
function nadmEntry(): string[] {
  if (process.env.BENCH_NADM !== "dist") return ["--import", "tsx", MAIN];
  if (!existsSync(DIST_MAIN)) throw new Error(`BENCH_NADM=dist but ${DIST_MAIN} is missing: npm run build`);
  return [DIST_MAIN];
}

export interface Proc {
  name: string;
  pid: number;
  output(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
  readonly exited: Promise<number | null>;
}

/**
 * `nadm ARGS` as its own process, with the node flags of the bin's launcher line
 * (lib/launcher.ts): the built bin (`dist/cli/main.js`, what `npm install` users run) when
 * BENCH_NADM=dist — `npm run bench` sets it after building — else from source through tsx, like
 * the tests (the smoke variants in `npm test`, which builds nothing). From source, esbuild's
 * keep-names wrapping of every closure and tsx's in-process compiler cost CPU and memory the
 * published bin does not have. With BENCH_CPU_PROF=DIR set, controllers write a V8 CPU profile
 * there when stopped (see bench/profile.ts for a summary); BENCH_CONTROLLER_NODE_FLAGS adds node
 * flags to controllers (e.g. `--trace-gc`), which are then stopped with SIGTERM too.
 */
export function spawnNadm(
  name: string,
  args: string[],
  env: Record<string, string> = {},
  nodeArgs: string[] = [],
): Proc {
  const dir = process.env.BENCH_CPU_PROF;
  const controller = args[0] === "controller";
  const diagnostics = [
    ...(dir && controller ? ["--cpu-prof", `--cpu-prof-dir=${dir}`] : []),
    ...(controller ? (process.env.BENCH_CONTROLLER_NODE_FLAGS ?? "").split(" ").filter((f) => f !== "") : []),
  ];
  const proc = spawnProc(
    name,
    process.execPath,
    [...LAUNCHER_FLAGS, ...diagnostics, ...nodeArgs, ...nadmEntry(), ...args],
    env,
  );
  if (diagnostics.length === 0) return proc;
  // A profile (and a trace's last lines) is written at a clean exit only: stop with SIGTERM
  // (SIGKILL after 30 s).
  return { ...proc, kill: (signal = "SIGTERM") => proc.kill(signal) };
}

/** A TypeScript file of bench/ as its own process (a load generator or a floor loop). */
export function spawnScript(
  name: string,
  file: string,
  args: string[],
  env: Record<string, string> = {},
): Proc {
  const path = fileURLToPath(new URL(`../${file}`, import.meta.url));
  return spawnProc(name, process.execPath, ["--import", "tsx", path, ...args], env);
}

/** A plain JavaScript file of bench/ run by plain node (no tsx): a floor process measured for CPU. */
export function spawnNodeScript(
  name: string,
  file: string,
  args: string[],
  env: Record<string, string> = {},
): Proc {
  return spawnProc(
    name,
    process.execPath,
    [fileURLToPath(new URL(`../${file}`, import.meta.url)), ...args],
    env,
  );
}

function spawnProc(name: string, file: string, argv: string[], env: Record<string, string>): Proc {
  const child = spawn(file, argv, {
    cwd: ROOT,
    env: { ...process.env, NADM_LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  void exited.then(() => children.delete(child));
  let out = "";
  // BENCH_LOG_DIR=DIR: every line a process prints also goes to DIR/NAME.log, after the epoch ms it
  // was read at (to line up, say, a controller's --trace-gc with the commands' timestamps).
  const logDir = process.env.BENCH_LOG_DIR;
  const keep = (d: Buffer) => {
    const text = d.toString("utf8");
    out = (out + text).slice(-100_000);
    if (logDir) {
      const now = Date.now();
      const lines = text.split("\n").filter((l) => l !== "");
      appendFileSync(join(logDir, `${name}.log`), lines.map((l) => `${now} ${l}\n`).join(""));
    }
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  return {
    name,
    pid: child.pid ?? -1,
    output: () => out,
    exited,
    /** Any signal but SIGKILL is followed by SIGKILL if the child has not exited 30 s later. */
    async kill(signal = "SIGKILL") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = signal === "SIGKILL" ? undefined : setTimeout(() => child.kill("SIGKILL"), 30_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export interface BenchNats {
  server: RunningNatsServer;
  url: string;
  stop(): Promise<void>;
}

export async function startBenchNats(): Promise<BenchNats> {
  const storeDir = mkdtempSync(join(tmpdir(), "nadm-bench-"));
  const server = await startNatsServer({ storeDir });
  return {
    server,
    url: server.url,
    async stop() {
      await server.stop(2_000);
      rmSync(storeDir, { recursive: true, force: true });
    },
  };
}

/** utime + stime of a process in clock ticks (1/100 s on Linux). */
export function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]);
}

export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  return Number(kb ?? 0) * 1024;
}

/** user and system CPU ticks of each thread of `pid` (tid → ticks); threads that ended are missing. */
export function threadTicks(pid: number): Map<string, { user: number; sys: number }> {
  const out = new Map<string, { user: number; sys: number }>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      out.set(tid, { user: Number(fields[11]), sys: Number(fields[12]) });
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return out;
}

/**
 * Where a process's CPU went between two `threadTicks` samples `seconds` apart, in percent of one
 * core: its main thread (the event loop: user, and system time for its socket reads and writes)
 * and every other thread (V8's GC and compiler helpers, libuv's pool, worker threads).
 */
export function threadSplit(
  pid: number,
  before: Map<string, { user: number; sys: number }>,
  after: Map<string, { user: number; sys: number }>,
  seconds: number,
): { mainUser: number; mainSys: number; otherThreads: number } {
  const pct = (ticks: number) => Math.round((ticks / seconds) * 100) / 100; // 100 ticks = 1 core-second
  const split = { mainUser: 0, mainSys: 0, otherThreads: 0 };
  for (const [tid, b] of after) {
    const a = before.get(tid) ?? { user: 0, sys: 0 };
    if (tid === String(pid)) {
      split.mainUser = pct(b.user - a.user);
      split.mainSys = pct(b.sys - a.sys);
    } else split.otherThreads += b.user - a.user + (b.sys - a.sys);
  }
  split.otherThreads = pct(split.otherThreads);
  return split;
}

/** CPU used by each pid over `ms`, in percent of one core. */
export async function cpuPercent(pids: number[], ms: number): Promise<number[]> {
  const before = pids.map(cpuTicks);
  const t0 = performance.now();
  await sleep(ms);
  const wallTicks = ((performance.now() - t0) / 1000) * 100;
  return pids.map((pid, i) => ((cpuTicks(pid) - before[i]!) / wallTicks) * 100);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `probe` until it is truthy or `timeoutMs` passes (then throws naming `what`). */
export async function until<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  what: string,
  timeoutMs = 300_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`benchmark timed out waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** Waits for a process to exit; anything but 0 is an error carrying its last output. */
export async function finished(proc: Proc): Promise<void> {
  const code = await proc.exited;
  if (code !== 0) throw new Error(`${proc.name} exited with ${code}: ${proc.output().slice(-2000)}`);
}

/**
 * A process started with `heapSnapshotArgs(dir)`: makes V8 write a heap snapshot (which first
 * collects all garbage), waits for it and deletes it. Afterwards heap figures are what is
 * retained, not what happens not to be collected yet.
 */
export async function fullGc(proc: Proc, dir: string): Promise<void> {
  const before = new Set(readdirSync(dir));
  process.kill(proc.pid, "SIGUSR2");
  const file = await until(
    () => readdirSync(dir).find((f) => f.endsWith(".heapsnapshot") && !before.has(f)),
    "a heap snapshot",
    120_000,
    100,
  );
  // Written in one go by the main thread: complete once its size stops changing.
  let size = -1;
  for (;;) {
    await sleep(300);
    const now = statSync(join(dir, file)).size;
    if (now === size && now > 0) break;
    size = now;
  }
  rmSync(join(dir, file), { force: true });
}

export function heapSnapshotArgs(dir: string): string[] {
  return ["--heapsnapshot-signal=SIGUSR2", `--diagnostic-dir=${dir}`];
}

/**
 * `hosts` sim hosts (zones a, b, c) split over `processes` sim processes; process i's hosts are
 * `{prefix}{i}-0`, `{prefix}{i}-1`, …
 */
export function spawnSims(
  hosts: number,
  processes: number,
  env: Record<string, string>,
  opts: { prefix?: string; heartbeatMs?: number; startMs?: number } = {},
): Proc[] {
  const prefix = opts.prefix ?? "s";
  return Array.from({ length: processes }, (_, i) => {
    const n = Math.floor(hosts / processes) + (i < hosts % processes ? 1 : 0);
    const args = ["host", "--driver", "sim", "--sim-hosts", String(n), "--host-id", `${prefix}${i}`];
    args.push("--heartbeat-interval", `${opts.heartbeatMs ?? 5000}ms`, "--sim-zones", "a,b,c");
    if (opts.startMs !== undefined) args.push("--sim-start-ms", String(opts.startMs));
    return spawnNadm(`sim-${prefix}${i}`, args, env);
  });
}

/**
 * A controller's /metrics: each series (histogram `_count`s included) → its value; a labelled
 * one under its name and labels as printed, e.g. `nadm_nodejs_heap_space_size_total_bytes{space="new"}`.
 */
export async function scrapeMetrics(port: number): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}
