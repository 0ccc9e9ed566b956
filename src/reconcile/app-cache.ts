/**
 * What a replica keeps of `nadm_manifests` to reconcile: a watch-fed cache of the app indexes
 * (two-token keys only, and of each index only what reconciling reads, not its version list),
 * plus the manifest of each app's deployed version, fetched by key when first needed and dropped
 * once that version is no longer deployed. So a replica's memory per app stays flat however many
 * versions accumulate, while read-your-writes still holds: events carry the revision of the
 * index write, and the cache fences on it.
 */
import type { JetStreamManager } from "@nats-io/jetstream";
import type { KV, KvEntry } from "@nats-io/kv";
import { KvCache } from "../lattice/kv-cache.js";
import type { Logger } from "../log.js";
import { appIndexSchema } from "../manifests/app-index.js";
import type { Manifest } from "../manifests/schema.js";
import { readVersion } from "../manifests/version-keys.js";
import { leaderRevision } from "../streams/leader-read.js";
import { BUCKETS, keys } from "../streams/subjects.js";
import type { AppState } from "./types.js";

/** The part of an app's index that reconciling reads. */
export interface IndexSummary {
  deployedVersion: string | null;
  previousVersion: string | null;
  generation: number;
  paused: boolean;
  /** Digest of the deployed version's manifest, so a cached copy is known to be the right one. */
  deployedDigest: string | null;
  /** KV revision of the deployed version's key, when the index records it (a cheaper check). */
  deployedRevision?: number;
  /** The last auto-revert, while the version it went back to is deployed. */
  revert?: { from: string; to: string; reason: string };
}

interface DeployedManifest {
  version: string;
  digest: string;
  manifest: Manifest;
}

export function decodeIndexSummary(entry: KvEntry): IndexSummary {
  const index = appIndexSchema.parse(entry.json());
  const deployed = index.versions.find((v) => v.version === index.deployedVersion);
  return {
    deployedVersion: index.deployedVersion,
    previousVersion: index.previousVersion,
    generation: index.generation,
    paused: index.paused,
    deployedDigest: deployed?.digest ?? null,
    ...(deployed?.revision === undefined ? {} : { deployedRevision: deployed.revision }),
    ...(index.revert && index.revert.to === index.deployedVersion
      ? { revert: { from: index.revert.from, to: index.revert.to, reason: index.revert.reason } }
      : {}),
  };
}

/** The reconciler's view of a stored app (the one place that builds an AppState). */
export function appState(index: IndexSummary, deployed: DeployedManifest | undefined): AppState {
  return {
    deployedVersion: index.deployedVersion,
    previousVersion: index.previousVersion,
    generation: index.generation,
    paused: index.paused,
    ...(index.revert ? { revert: index.revert } : {}),
    deployed: deployed && { version: deployed.version, manifest: deployed.manifest },
  };
}

export class AppCache {
  readonly indexes: KvCache<IndexSummary>;
  /** Index key → the deployed version's manifest. */
  private readonly deployed = new Map<string, DeployedManifest>();
  /** Lattice → how many apps it has: every tick asks which lattices there are. */
  private readonly appsPerLattice = new Map<string, number>();

  constructor(
    private readonly kv: KV,
    log: Logger,
    /** Asked by `confirm`; without it `confirm` trusts the watch. */
    private readonly jsm?: JetStreamManager,
  ) {
    this.indexes = new KvCache(kv, decodeIndexSummary, log, keys.appIndexes());
    this.indexes.onChange((key, next, previous) => {
      const held = this.deployed.get(key);
      if (held && !matches(held, next?.value)) this.deployed.delete(key);
      if (!next !== !previous) this.countApp(key, next ? 1 : -1);
    });
  }

  private countApp(key: string, delta: 1 | -1): void {
    const lattice = keys.parse(key)?.lattice;
    if (lattice === undefined) return;
    const n = (this.appsPerLattice.get(lattice) ?? 0) + delta;
    if (n > 0) this.appsPerLattice.set(lattice, n);
    else this.appsPerLattice.delete(lattice);
  }

  /** Lattices with at least one app (an index), without scanning the apps. */
  lattices(): IterableIterator<string> {
    return this.appsPerLattice.keys();
  }

  start(): Promise<void> {
    return this.indexes.start();
  }

  stop(): void {
    this.indexes.stop();
  }

  /** After a NATS reconnect (KvCache.resume). */
  resume(timeoutMs: number): Promise<boolean> {
    return this.indexes.resume(timeoutMs);
  }

  /** Index keys with their summaries. */
  values(): IterableIterator<{ key: string; value: IndexSummary }> {
    return this.indexes.values();
  }

  /** How many deployed manifests this replica holds (for tests and benchmarks). */
  get manifestsHeld(): number {
    return this.deployed.size;
  }

  /**
   * Whether the cached index of the app is the newest one, asked of the bucket's leader (one
   * round trip); a newer one is read into the cache, and false says to plan again. For commands
   * planned without an app event's fence: a replica whose watch lags (through a NATS leader
   * election, say) would otherwise stop a deployed app's instances as if the app were not
   * deployed, or start an undeployed one's.
   */
  async confirm(lattice: string, app: string): Promise<boolean> {
    if (!this.jsm) return true;
    const key = keys.manifest(lattice, app);
    return this.indexes.catchUp(key, await leaderRevision(this.jsm, BUCKETS.manifests, key));
  }

  /** The app as the reconciler sees it; undefined when it does not exist (deleted). */
  async state(lattice: string, app: string): Promise<AppState | undefined> {
    const key = keys.manifest(lattice, app);
    const index = this.indexes.get(key)?.value;
    if (!index) return undefined;
    return appState(index, await this.deployedManifest(key, lattice, app, index));
  }

  private async deployedManifest(
    key: string,
    lattice: string,
    app: string,
    index: IndexSummary,
  ): Promise<DeployedManifest | undefined> {
    if (index.deployedVersion === null) return undefined;
    const held = this.deployed.get(key);
    if (held && matches(held, index)) return held;
    const stored = await readVersion(
      this.kv,
      lattice,
      app,
      index.deployedVersion,
      index.deployedDigest === null
        ? undefined
        : { digest: index.deployedDigest, revision: index.deployedRevision },
    );
    if (!stored || stored.digest !== index.deployedDigest) {
      // Never plan with a wrong or missing manifest (that would stop the app): fail, so the
      // event is retried once the store is consistent again.
      throw new Error(`manifest of ${app} ${index.deployedVersion} is missing or does not match its index`);
    }
    const fetched = { version: index.deployedVersion, digest: stored.digest, manifest: stored.manifest };
    // Keep it only if it is still what the index deploys (the index may have moved meanwhile).
    const now = this.indexes.get(key)?.value;
    if (now && matches(fetched, now)) this.deployed.set(key, fetched);
    return fetched;
  }
}

function matches(held: DeployedManifest, index: IndexSummary | undefined): boolean {
  return index?.deployedVersion === held.version && index.deployedDigest === held.digest;
}
