/**
 * One running OS process of the process driver: output to its log, readiness, exit, stop.
 * The process leads its own process group; signals go to the whole group so that children it
 * forked end with it.
 */
import { createConnection } from "node:net";
import type { InstanceProcess } from "./adopted-process.js";
import { type InstanceLog, LastLine } from "./log-file.js";
import { signal } from "./pid-file.js";
import { describeProbe, ProbeLoop, type ProbeResult, resolveProbe } from "./probes.js";
import type { ProcessProperties } from "./process-spec.js";
import type { InstanceEvents, InstanceExit, InstanceHandle } from "./types.js";

/** How long to wait for stdout/stderr to drain after the process exited. */
const DRAIN_MS = 500;
const TCP_POLL_MS = 200;
/** SIGTERM → SIGKILL grace when a failing liveness probe ends the instance. */
const LIVENESS_KILL_GRACE_MS = 5_000;

export class ProcessInstance implements InstanceHandle {
  readonly pid: number;
  readonly port: number | undefined;
  private exitedFlag = false;
  private readonly exited: Promise<void>;
  private readonly lastStderr = new LastLine();
  private readinessLoop: ProbeLoop | undefined;
  private livenessLoop: ProbeLoop | undefined;
  private ready = false;
  /** Set when this driver ends the instance itself (liveness), reported as the exit's reason. */
  private killReason: string | undefined;
  /** Handed over to the next agent: this one no longer watches or reports the process. */
  private detached = false;

  constructor(
    private readonly child: InstanceProcess,
    private readonly log: InstanceLog,
    private readonly events: InstanceEvents,
    private readonly readiness: { props: ProcessProperties; port: number | undefined },
    private readonly onGone: () => void,
    /** An instance adopted from the previous agent that was ready then: it stays ready. */
    opts: { adoptedReady?: boolean } = {},
  ) {
    this.pid = child.pid ?? -1;
    this.port = readiness.port;
    child.stdout?.on("data", (chunk: Buffer) => log.write(chunk));
    child.stderr?.on("data", (chunk: Buffer) => {
      log.write(chunk);
      this.lastStderr.push(chunk.toString("utf8"));
    });
    this.exited = new Promise((resolve) => {
      child.once("exit", (code, sig) => {
        this.exitedFlag = true;
        if (!this.detached) void this.finish(code, sig).then(resolve);
      });
    });
    if (opts.adoptedReady) this.resumeReady();
    else void this.watchReadiness();
  }

  /**
   * Leaves the process running for the next agent: stops probing and watching it and closes
   * the log (the process writes it itself), without the exit callbacks or `onGone`.
   */
  detach(): void {
    if (this.exitedFlag) return;
    this.detached = true;
    this.stopProbes();
    this.child.removeAllListeners();
    this.child.unref();
    this.log.close();
  }

  async stop(graceMs: number): Promise<void> {
    this.stopProbes();
    if (!this.exitedFlag) {
      this.signalGroup("SIGTERM");
      const force = setTimeout(() => this.signalGroup("SIGKILL"), graceMs);
      await this.exited;
      clearTimeout(force);
    }
    await this.exited;
  }

  private async finish(exitCode: number | null, sig: NodeJS.Signals | null): Promise<void> {
    this.stopProbes();
    // Stragglers the instance forked would keep the pipes open and outlive it: end them too.
    signal(-this.pid, "SIGKILL");
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, DRAIN_MS);
      this.child.once("close", () => {
        clearTimeout(timer);
        resolve();
      });
    });
    const lastLine = this.lastStderr.value || this.log.lastLine?.();
    this.log.close();
    this.onGone();
    const exit: InstanceExit = { exitCode, signal: sig };
    if (lastLine) exit.lastStderr = lastLine;
    if (this.killReason) exit.reason = this.killReason;
    else if (exitCode === null && sig === null) {
      exit.reason = "ended; exit status unknown (adopted from the previous agent)";
    }
    this.events.onExit(exit);
  }

  private signalGroup(sig: NodeJS.Signals): void {
    if (!signal(-this.pid, sig)) this.child.kill(sig);
  }

  private async watchReadiness(): Promise<void> {
    const { props, port } = this.readiness;
    await this.delay(props.readiness.minReadySeconds * 1000);
    if (this.exitedFlag) return;
    const http =
      props.readiness.type === "http" ? resolveProbe("readiness", props.readiness, port) : undefined;
    if (http) {
      // Probed for the instance's whole life: readiness can be lost and regained.
      this.readinessLoop = new ProbeLoop(http, (result, failures) =>
        this.onReadinessAnswer(result, failures),
      );
      this.readinessLoop.start();
      return;
    }
    if (props.readiness.type === "tcp" && port !== undefined) {
      // No deadline on purpose: an instance that never listens stays not-ready, which the
      // controller reports (progress deadline); the loop ends when the process does.
      while (!this.exitedFlag && !(await canConnect(port))) await this.delay(TCP_POLL_MS);
    }
    if (!this.exitedFlag) this.becomeReady();
  }

  private becomeReady(): void {
    if (this.ready || this.exitedFlag) return;
    this.ready = true;
    this.events.onReady();
    this.startLiveness();
  }

  /** Adopted ready: the probes go on where the previous agent left them, with no new onReady. */
  private resumeReady(): void {
    this.ready = true;
    const { props, port } = this.readiness;
    const http =
      props.readiness.type === "http" ? resolveProbe("readiness", props.readiness, port) : undefined;
    if (http) {
      this.readinessLoop = new ProbeLoop(http, (result, failures) =>
        this.onReadinessAnswer(result, failures),
      );
      this.readinessLoop.start();
    }
    this.startLiveness();
  }

  /** Liveness starts once the instance has been ready: a slow start is readiness's business. */
  private startLiveness(): void {
    const liveness = this.readiness.props.liveness;
    const probe = liveness && !this.livenessLoop ? resolveProbe("liveness", liveness, this.port) : undefined;
    if (!probe) return;
    const loop = new ProbeLoop(probe, (result, failures) => {
      this.report(loop, result);
      if (!result.ok && failures >= probe.failureThreshold) {
        this.killFor(`${describeProbe(probe)} failed ${failures} times in a row: ${result.answer}`);
      }
    });
    this.livenessLoop = loop;
    loop.start(probe.intervalMs);
  }

  private onReadinessAnswer(result: ProbeResult, failures: number): void {
    const loop = this.readinessLoop;
    if (!loop) return;
    this.report(loop, result);
    if (result.ok) this.becomeReady();
    else if (this.ready && failures >= loop.probe.failureThreshold) {
      this.ready = false;
      this.events.onUnready?.();
    }
  }

  private report(loop: ProbeLoop, result: ProbeResult): void {
    const message = `${describeProbe(loop.probe)}: ${result.answer}`;
    this.events.onProbe?.({ probe: loop.probe.kind, ok: result.ok, message });
  }

  /** Ends the instance for a reason of the driver's own; the supervisor restarts it with backoff. */
  private killFor(reason: string): void {
    if (this.exitedFlag || this.killReason) return;
    this.killReason = reason;
    this.stopProbes();
    this.signalGroup("SIGTERM");
    const force = setTimeout(() => this.signalGroup("SIGKILL"), LIVENESS_KILL_GRACE_MS);
    void this.exited.then(() => clearTimeout(force));
  }

  private stopProbes(): void {
    this.readinessLoop?.stop();
    this.livenessLoop?.stop();
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
