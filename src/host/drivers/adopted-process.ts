/**
 * An instance this agent adopted from its previous life (`--keep-instances`): a process that is
 * not our child, so there is no `exit` event and no exit status. It looks like the parts of a
 * ChildProcess that ProcessInstance uses; its end is noticed by polling `/proc/<pid>/stat` with
 * the recorded start time (a recycled pid is a different process, hence "gone").
 */
import { EventEmitter } from "node:events";
import type { Readable } from "node:stream";
import { readProcStat, signal } from "./pid-file.js";

const POLL_MS = 200;

/** What ProcessInstance needs of the process it supervises: a ChildProcess, or an adopted one. */
export interface InstanceProcess {
  readonly pid?: number | undefined;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  once(event: "exit", listener: (code: number | null, signal: NodeJS.Signals | null) => void): unknown;
  once(event: "close", listener: () => void): unknown;
  kill(signal: NodeJS.Signals): boolean;
  removeAllListeners(): unknown;
  /** Stops keeping the agent's event loop alive for this process. */
  unref(): void;
}

export class AdoptedProcess extends EventEmitter implements InstanceProcess {
  readonly stdout = null;
  readonly stderr = null;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly pid: number,
    private readonly startTicks: number | null,
  ) {
    super();
    this.timer = setInterval(() => this.poll(), POLL_MS);
  }

  /** Alive, not a zombie, and the same process that was recorded. */
  get alive(): boolean {
    const stat = readProcStat(this.pid);
    if (!stat || stat.state === "Z" || stat.state === "X") return false;
    return this.startTicks === null || stat.startTicks === this.startTicks;
  }

  kill(sig: NodeJS.Signals): boolean {
    return signal(this.pid, sig);
  }

  unref(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private poll(): void {
    if (this.alive) return;
    this.unref();
    this.emit("exit", null, null);
    this.emit("close");
  }
}
