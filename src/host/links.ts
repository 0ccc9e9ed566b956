/**
 * The links of one workload on this host: its instances get each linked component's endpoints
 * in an environment variable at start (`API_URL=10.0.0.5:4312,10.0.0.6:4188`), and a JSON file,
 * named by `NADM_ENDPOINTS_FILE`, that is rewritten atomically whenever those endpoints change,
 * so an instance can follow them without a restart: `{"api": ["10.0.0.5:4312", …]}`.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { Logger } from "../log.js";
import type { EndpointsBoard } from "./endpoints.js";

export interface Link {
  component: string;
  env: string;
}

export class WorkloadLinks {
  private unsubscribe: (() => void) | undefined;
  private written = "";
  private starting: Promise<void> | undefined;

  constructor(
    private readonly board: EndpointsBoard,
    private readonly app: string,
    private readonly links: readonly Link[],
    /** `{dataDir}/endpoints/{workloadKey}.json` */
    readonly file: string,
    private readonly logger: Logger,
  ) {}

  /** What an instance start adds to its environment; the file exists before the instance does. */
  async env(): Promise<Record<string, string>> {
    this.starting ??= this.start();
    await this.starting;
    const env: Record<string, string> = { NADM_ENDPOINTS_FILE: this.file };
    for (const link of this.links) env[link.env] = this.board.endpoints(this.app, link.component).join(",");
    return env;
  }

  close(): void {
    this.unsubscribe?.();
    rmSync(this.file, { force: true });
  }

  private async start(): Promise<void> {
    await this.board.start();
    this.unsubscribe = this.board.onChange(() => this.write());
    this.write();
  }

  private write(): void {
    const content = `${JSON.stringify(this.snapshot())}\n`;
    if (content === this.written) return;
    try {
      mkdirSync(dirname(this.file), { recursive: true });
      // Atomic: a reader sees the old file or the new one, never half of one.
      const tmp = `${this.file}.${process.pid}.tmp`;
      writeFileSync(tmp, content);
      renameSync(tmp, this.file);
      this.written = content;
    } catch (err) {
      this.logger.warn({ err, file: this.file }, "could not write the endpoints file");
    }
  }

  private snapshot(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const link of this.links) out[link.component] = this.board.endpoints(this.app, link.component);
    return out;
  }
}
