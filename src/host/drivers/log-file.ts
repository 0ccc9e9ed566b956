/**
 * Instance output: a size-bounded log file (current + one rotated `.1`) and the last stderr
 * line kept in memory for error messages.
 */
import { closeSync, fstatSync, mkdirSync, openSync, renameSync, writeSync } from "node:fs";
import { dirname } from "node:path";

export const DEFAULT_LOG_MAX_BYTES = 1024 * 1024;

/**
 * Appends synchronously: writes go to the page cache (microseconds), and being synchronous
 * keeps stdout/stderr interleaving and rotation trivially ordered. Write errors (disk full)
 * are swallowed: losing log lines must never disturb supervision.
 */
export class BoundedLog {
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
