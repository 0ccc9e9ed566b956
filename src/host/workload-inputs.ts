/**
 * What the host provides to the instances of one workload beyond its properties: linked
 * endpoints (environment + a file kept current) and, later in this module, its artifact.
 * Built from the driver's `needs`; asked again before every instance start.
 */
import { join } from "node:path";
import type { Logger } from "../log.js";
import type { InstanceSpec, WorkloadNeeds, WorkloadRef } from "./drivers/types.js";
import type { EndpointsBoard } from "./endpoints.js";
import { WorkloadLinks } from "./links.js";

export interface InputsContext {
  dataDir: string;
  logger: Logger;
  /** The host's endpoints board, started on first use. */
  board(): EndpointsBoard;
}

export class WorkloadInputs {
  private constructor(private readonly links: WorkloadLinks | undefined) {}

  /** undefined when the workload needs nothing from the host. */
  static for(ref: WorkloadRef, needs: WorkloadNeeds, ctx: InputsContext): WorkloadInputs | undefined {
    const links = needs.links?.length
      ? new WorkloadLinks(
          ctx.board(),
          ref.app,
          needs.links,
          join(ctx.dataDir, "endpoints", `${ref.key}.json`),
          ctx.logger,
        )
      : undefined;
    return links ? new WorkloadInputs(links) : undefined;
  }

  /** The additions to one instance's spec; rejects with the reason the start cannot happen. */
  async forStart(): Promise<Partial<InstanceSpec>> {
    return this.links ? { env: await this.links.env() } : {};
  }

  /** The workload left this host: stop following endpoints, remove its file. */
  close(): void {
    this.links?.close();
  }
}
