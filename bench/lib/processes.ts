/**
 * Separate OS processes for benchmarks: nadm controllers and sim fleets spawned from source, a
 * private nats-server, and what /proc says they cost (CPU ticks, RSS). Every child is killed
 * when the benchmark process exits, also on a crash.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type RunningNatsServer, startNatsServer } from "../../src/embedded/nats-server.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const MAIN = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));
const children = new Set<ChildProcess>();
process.once("exit", () => {
  for (const c of children) c.kill("SIGKILL");
});
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.once(sig, () => process.exit(130));
}

export interface Proc {
  name: string;
  pid: number;
  output(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
  readonly exited: Promise<number | null>;
}

/**
 * `nadm ARGS` as its own process (through tsx, like the tests). With BENCH_CPU_PROF=DIR set,
 * controllers write a V8 CPU profile there when stopped (see bench/profile.ts for a summary).
 */
export function spawnNadm(name: string, args: string[], env: Record<string, string> = {}): Proc {
  const dir = process.env.BENCH_CPU_PROF;
  const prof = dir && args[0] === "controller" ? ["--cpu-prof", `--cpu-prof-dir=${dir}`] : [];
  const proc = spawnProc(name, process.execPath, [...prof, "--import", "tsx", MAIN, ...args], env);
  if (prof.length === 0) return proc;
  // A profile is written at a clean exit only: stop with SIGTERM (SIGKILL after 30 s).
  return {
    ...proc,
    async kill(signal = "SIGTERM") {
      const timer = setTimeout(() => void proc.kill("SIGKILL"), 30_000);
      await proc.kill(signal);
      clearTimeout(timer);
    },
  };
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
  const keep = (d: Buffer) => {
    out = (out + d.toString("utf8")).slice(-100_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  return {
    name,
    pid: child.pid ?? -1,
    output: () => out,
    exited,
    async kill(signal = "SIGKILL") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
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
