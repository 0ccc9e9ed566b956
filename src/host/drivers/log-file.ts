/**
 * Instance output: a size-bounded log file (current + one rotated `.1`) and the last stderr
 * line kept in memory for error messages.
 */
import {
  closeSync,
  copyFileSync,
  fstatSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  statSync,
  truncateSync,
  writeSync,
} from "node:fs";
import { dirname } from "node:path";

export const DEFAULT_LOG_MAX_BYTES = 1024 * 1024;

/**
 * Appends synchronously: writes go to the page cache (microseconds), and being synchronous
 * keeps stdout/stderr interleaving and rotation trivially ordered. Write errors (disk full)
 * are swallowed: losing log lines must never disturb supervision.
 */
export class BoundedLog implements InstanceLog {
  private fd: number | undefined;
  private size = 0;

  constructor(
    readonly path: string,
    private readonly maxBytes = DEFAULT_LOG_MAX_BYTES,
  ) {
    mkdirSync(dirname(path), { recursive: true });
    this.fd = openSync(path, "a");
    this.size = fstatSync(this.fd).size;
  }

  write(chunk: Buffer): void {
    if (this.fd === undefined) return;
    try {
      if (this.size > 0 && this.size + chunk.length > this.maxBytes) this.rotate();
      writeSync(this.fd, chunk);
      this.size += chunk.length;
    } catch {
      // see class comment
    }
  }

  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }

  private rotate(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    renameSync(this.path, `${this.path}.1`);
    this.fd = openSync(this.path, "a");
    this.size = 0;
  }
}

/** What the process driver needs of an instance's log, whoever writes it. */
export interface InstanceLog {
  write(chunk: Buffer): void;
  close(): void;
  /** The last line in the file, for instances whose stderr does not pass through the agent. */
  lastLine?(): string;
}

const ROTATE_CHECK_MS = 1_000;
const TAIL_BYTES = 4_096;

/**
 * The log of an instance that must outlive the agent (`--keep-instances`): the instance writes
 * the file itself through an O_APPEND descriptor, so nothing breaks when the agent exits. The
 * agent only bounds it, "copytruncate"-style (copy to `.1`, truncate; appends continue at the
 * new end): lines written between the copy and the truncation are lost, as with logrotate.
 */
export class DirectLog implements InstanceLog {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly path: string,
    private readonly maxBytes = DEFAULT_LOG_MAX_BYTES,
  ) {
    mkdirSync(dirname(path), { recursive: true });
    this.timer = setInterval(() => this.rotateIfLarge(), ROTATE_CHECK_MS);
    this.timer.unref();
  }

  /** A descriptor to hand to the child as stdout and stderr; the caller closes its copy. */
  openForChild(): number {
    return openSync(this.path, "a");
  }

  write(): void {
    // Nothing passes through the agent.
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  lastLine(): string {
    const last = new LastLine();
    try {
      const fd = openSync(this.path, "r");
      try {
        const size = fstatSync(fd).size;
        const buf = Buffer.alloc(Math.min(size, TAIL_BYTES));
        readSync(fd, buf, 0, buf.length, size - buf.length);
        last.push(buf.toString("utf8"));
      } finally {
        closeSync(fd);
      }
    } catch {
      // no log yet
    }
    return last.value;
  }

  private rotateIfLarge(): void {
    try {
      if (statSync(this.path).size <= this.maxBytes) return;
      copyFileSync(this.path, `${this.path}.1`);
      truncateSync(this.path, 0);
    } catch {
      // see BoundedLog: losing log lines must never disturb supervision
    }
  }
}

const MAX_LINE = 500;

/** The last non-empty line of a stream, including an unterminated last line. */
export class LastLine {
  private partial = "";
  private last = "";

  push(chunk: string): void {
    const lines = (this.partial + chunk).split("\n");
    this.partial = (lines.pop() ?? "").slice(-4 * MAX_LINE);
    for (const line of lines) {
      const trimmed = line.trim();
      if (trimmed) this.last = trimmed.slice(0, MAX_LINE);
    }
  }

  get value(): string {
    return this.partial.trim().slice(0, MAX_LINE) || this.last;
  }
}
