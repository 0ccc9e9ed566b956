/**
 * What the host provides to the instances of one workload beyond its properties: linked
 * endpoints (environment + a file kept current) and its artifact (fetched, verified, unpacked).
 * Built from the driver's `needs`; asked again before every instance start.
 */
import { join } from "node:path";
import type { Logger } from "../log.js";
import type { ArtifactState } from "../streams/host-record.js";
import type { ArtifactCache } from "./artifacts/cache.js";
import { WorkloadArtifact } from "./artifacts/workload-artifact.js";
import type { InstanceSpec, WorkloadNeeds, WorkloadRef } from "./drivers/types.js";
import type { EndpointsBoard } from "./endpoints.js";
import { WorkloadLinks } from "./links.js";

export interface InputsContext {
  dataDir: string;
  logger: Logger;
  /** The host's endpoints board, started on first use. */
  board(): EndpointsBoard;
  /** The host's artifact cache. */
  cache(): ArtifactCache;
  /** Something to report changed (artifact progress): write the record. */
  onChange(): void;
}

export class WorkloadInputs {
  private constructor(
    private readonly links: WorkloadLinks | undefined,
    private readonly artifact: WorkloadArtifact | undefined,
  ) {}

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
    const artifact = needs.artifact
      ? new WorkloadArtifact(needs.artifact, ctx.cache(), ctx.onChange)
      : undefined;
    return links || artifact ? new WorkloadInputs(links, artifact) : undefined;
  }

  /** A download may be needed before instances can start: a command should not wait for it. */
  get slow(): boolean {
    return this.artifact?.slow ?? false;
  }

  /** The artifact digest this workload uses, if any (what cache collection keeps). */
  get digest(): string | undefined {
    return this.artifact?.digest;
  }

  report(): ArtifactState | undefined {
    return this.artifact?.report();
  }

  /** The additions to one instance's spec; rejects with the reason the start cannot happen. */
  async forStart(): Promise<Partial<InstanceSpec>> {
    const artifactDir = this.artifact ? await this.artifact.dir() : undefined;
    const env = {
      ...(this.links ? await this.links.env() : {}),
      ...(artifactDir ? { NADM_ARTIFACT_DIR: artifactDir } : {}),
    };
    return artifactDir ? { env, artifactDir } : { env };
  }

  /** The workload left this host: stop following endpoints, remove its file. */
  close(): void {
    this.links?.close();
  }
}
