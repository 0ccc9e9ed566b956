/**
 * Spawns and stops a nats-server with JetStream: used by `nadm up` and by the test harness.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { accessSync, constants, mkdirSync } from "node:fs";
import { createConnection } from "node:net";
import { delimiter, join } from "node:path";
import { UnavailableError } from "../errors.js";
import { freePort, withParentDeathSignal } from "../system.js";

export const INSTALL_HINT =
  "nats-server was not found. Install it with `apt-get update && apt-get install -y nats-server` " +
  "(Debian/Ubuntu), or pass --nats-server PATH.";

export class NatsServerNotFoundError extends Error {
  override name = "NatsServerNotFoundError";
  constructor() {
    super(INSTALL_HINT);
  }
}

/** Looks for nats-server: the explicit path, then $PATH, then the usual system directories. */
export function findNatsServer(explicit?: string): string {
  const candidates = explicit
    ? [explicit]
    : [
        ...(process.env.PATH ?? "").split(delimiter).filter(Boolean),
        "/usr/sbin",
        "/usr/local/bin",
        "/usr/bin",
      ].map((dir) => join(dir, "nats-server"));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not this one
    }
  }
  throw new NatsServerNotFoundError();
}

export interface NatsServerOptions {
  /** Directory for the JetStream store (created if missing). */
  storeDir: string;
  /** 0 or absent: a free port. */
  port?: number;
  host?: string;
  binary?: string;
  /** How long to wait for the server to accept clients. Default 10 s. */
  startTimeoutMs?: number;
  /** Extra arguments (e.g. cluster settings). */
  extraArgs?: string[];
  /** Forward the server's log lines (default: dropped). */
  onLog?: (line: string) => void;
}

export interface RunningNatsServer {
  url: string;
  port: number;
  pid: number;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process has exited. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL, for crash tests. */
  kill(): Promise<void>;
  readonly exited: Promise<number | null>;
}

export async function startNatsServer(opts: NatsServerOptions): Promise<RunningNatsServer> {
  const binary = findNatsServer(opts.binary);
  const host = opts.host ?? "127.0.0.1";
  const port = opts.port && opts.port > 0 ? opts.port : await freePort();
  mkdirSync(opts.storeDir, { recursive: true });
  const args = ["-js", "-sd", opts.storeDir, "-a", host, "-p", String(port), ...(opts.extraArgs ?? [])];
  // TERM on our death: if `nadm up` is killed outright, its nats-server still shuts down cleanly.
  const [file, argv] = withParentDeathSignal(binary, args, "TERM");
  const child = spawn(file, argv, { stdio: ["ignore", "ignore", "pipe"] });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  let lastLines: string[] = [];
  // Our own child must say it is ready: a connect alone could reach another server on the port.
  let ready = false;
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    for (const line of chunk.split("\n").filter(Boolean)) {
      lastLines = [...lastLines.slice(-9), line];
      if (/Server is ready/.test(line)) ready = true;
      opts.onLog?.(line);
    }
  });
  const deadline = Date.now() + (opts.startTimeoutMs ?? 10_000);
  let exitCode: number | null | undefined;
  void exited.then((code) => {
    exitCode = code;
  });
  while (!(ready && exitCode === undefined && (await canConnect(host, port)))) {
    if (exitCode !== undefined || Date.now() > deadline) {
      child.kill("SIGKILL");
      const inUse = lastLines.some((l) => /address already in use/i.test(l));
      throw new UnavailableError(
        inUse
          ? `port ${port} is already in use: another nats-server? (Debian's package runs one as a ` +
              "service: `systemctl stop nats-server`), or choose another port with --port"
          : `nats-server did not start on ${host}:${port} (exit ${exitCode ?? "timeout"}): ${lastLines.join(" | ")}`,
      );
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return {
    url: `nats://${host}:${port}`,
    port,
    pid: child.pid ?? -1,
    exited,
    stop: (graceMs = 5_000) => stopChild(child, exited, graceMs),
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}

async function stopChild(child: ChildProcess, exited: Promise<unknown>, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    socket.once("data", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
    socket.setTimeout(500, () => {
      socket.destroy();
      resolve(false);
    });
  });
}
