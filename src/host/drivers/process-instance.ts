/**
 * One running OS process of the process driver: output to its log, readiness, exit, stop.
 * The process leads its own process group; signals go to the whole group so that children it
 * forked end with it.
 */
import type { ChildProcess } from "node:child_process";
import { createConnection } from "node:net";
import { type BoundedLog, LastLine } from "./log-file.js";
import { signal } from "./pid-file.js";
import type { ProcessProperties } from "./process-spec.js";
import type { InstanceEvents, InstanceExit, InstanceHandle } from "./types.js";

/** How long to wait for stdout/stderr to drain after the process exited. */
const DRAIN_MS = 500;
const TCP_POLL_MS = 200;

export class ProcessInstance implements InstanceHandle {
  readonly pid: number;
  private exitedFlag = false;
  private readonly exited: Promise<void>;
  private readonly lastStderr = new LastLine();

  constructor(
    private readonly child: ChildProcess,
    private readonly log: BoundedLog,
    private readonly events: InstanceEvents,
    private readonly readiness: { props: ProcessProperties; port: number | undefined },
    private readonly onGone: () => void,
  ) {
    this.pid = child.pid ?? -1;
    child.stdout?.on("data", (chunk: Buffer) => log.write(chunk));
    child.stderr?.on("data", (chunk: Buffer) => {
      log.write(chunk);
      this.lastStderr.push(chunk.toString("utf8"));
    });
    this.exited = new Promise((resolve) => {
      child.once("exit", (code, sig) => {
        this.exitedFlag = true;
        void this.finish(code, sig).then(resolve);
      });
    });
    void this.watchReadiness();
  }

  async stop(graceMs: number): Promise<void> {
    if (!this.exitedFlag) {
      this.signalGroup("SIGTERM");
      const force = setTimeout(() => this.signalGroup("SIGKILL"), graceMs);
      await this.exited;
      clearTimeout(force);
    }
    await this.exited;
  }

  private async finish(exitCode: number | null, sig: NodeJS.Signals | null): Promise<void> {
    // Stragglers the instance forked would keep the pipes open and outlive it: end them too.
    signal(-this.pid, "SIGKILL");
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, DRAIN_MS);
      this.child.once("close", () => {
        clearTimeout(timer);
        resolve();
      });
    });
    this.log.close();
    this.onGone();
    const exit: InstanceExit = { exitCode, signal: sig };
    if (this.lastStderr.value) exit.lastStderr = this.lastStderr.value;
    this.events.onExit(exit);
  }

  private signalGroup(sig: NodeJS.Signals): void {
    if (!signal(-this.pid, sig)) this.child.kill(sig);
  }

  private async watchReadiness(): Promise<void> {
    const { props, port } = this.readiness;
    await this.delay(props.readiness.minReadySeconds * 1000);
    if (props.readiness.type === "tcp" && port !== undefined) {
      // No deadline on purpose: an instance that never listens stays not-ready, which the
      // controller reports (progress deadline); the loop ends when the process does.
      while (!this.exitedFlag && !(await canConnect(port))) await this.delay(TCP_POLL_MS);
    }
    if (!this.exitedFlag) this.events.onReady();
  }

  private delay(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
    socket.setTimeout(1_000, () => done(false));
  });
}
