/**
 * One workload's artifact on this host: asks the cache before every instance start (which
 * fetches, or verifies what it has) and keeps the state the inventory reports — fetching with
 * progress, ready, or failed with the reason.
 */
import type { ArtifactState } from "../../streams/host-record.js";
import { type ArtifactCache, ArtifactError } from "./cache.js";

export class WorkloadArtifact {
  private state: ArtifactState | undefined;

  constructor(
    private readonly ref: { name: string; digest?: string | undefined },
    private readonly cache: ArtifactCache,
    /** The state changed: the host writes its record. */
    private readonly onChange: () => void,
  ) {}

  /** A download may be needed: a command should not wait for it. */
  get slow(): boolean {
    return this.ref.digest !== undefined && !this.cache.isCached(this.ref.digest);
  }

  get digest(): string | undefined {
    return this.ref.digest;
  }

  report(): ArtifactState | undefined {
    return this.state;
  }

  /** The unpacked artifact's directory; rejects with the reason (the start then fails). */
  async dir(): Promise<string> {
    const { name, digest } = this.ref;
    if (!digest) {
      const error = `artifact ${name} has no digest: store the manifest with \`app put\`, which pins it`;
      this.set({ name, digest: "", state: "failed", bytes: 0, size: 0, error });
      throw new ArtifactError("missing", error);
    }
    if (!this.cache.isCached(digest)) this.set({ name, digest, state: "fetching", bytes: 0, size: 0 });
    try {
      const dir = await this.cache.ensure({ name, digest }, (bytes, size) =>
        this.set({ name, digest, state: "fetching", bytes, size }),
      );
      const size = this.state?.size ?? 0;
      this.set({ name, digest, state: "ready", bytes: size, size });
      return dir;
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      this.set({
        name,
        digest,
        state: "failed",
        bytes: this.state?.bytes ?? 0,
        size: this.state?.size ?? 0,
        error,
      });
      throw err;
    }
  }

  private set(next: ArtifactState): void {
    if (JSON.stringify(next) === JSON.stringify(this.state)) return;
    this.state = next;
    this.onChange();
  }
}
