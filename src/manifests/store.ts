/**
 * The application store in KV `nadm_manifests`: per app an index at `{lattice}.{app}` and each
 * manifest version under its own key (`{lattice}.{app}.v.{version}`), so an app's history is not
 * bounded by one NATS message. Every write is compare-and-set (retried), so concurrent API
 * replicas and clients never lose a version; the index is written after the version key it
 * names, and a version key is purged only after the index let go of it.
 */
import type { JetStreamManager } from "@nats-io/jetstream";
import type { KV, KvEntry } from "@nats-io/kv";
import { InternalError, InvalidManifestError, NotFoundError } from "../errors.js";
import { type CasDecision, type Current, casUpdate, jsonDecoder, jsonEncode } from "../streams/kv-cas.js";
import { bucketKeys } from "../streams/leader-read.js";
import { BUCKETS, keys } from "../streams/subjects.js";
import { whileAvailable } from "../streams/unavailable.js";
import {
  type AppIndex,
  appIndexSchema,
  deployVersion,
  isLegacyApp,
  manifestDigest,
  putVersion,
  type RevertRecord,
  removeVersion,
  undeployApp,
  type VersionRef,
} from "./app-index.js";
import { migrateApp } from "./migrate.js";
import { assignVersion } from "./parse.js";
import type { Manifest } from "./schema.js";
import { purgeVersions, readVersion, writeVersion } from "./version-keys.js";

export const decodeAppIndex = jsonDecoder((raw) => appIndexSchema.parse(raw));

/** Versions kept per app by default (the newest; the deployed and previous ones always stay). */
export const DEFAULT_KEEP_VERSIONS = 100;
/** Room kept in a message for KV headers, and in a `get` reply for its envelope. */
const HEADROOM_BYTES = 4096;

/** The largest manifest value (its JSON) that a server with this max_payload can store and return. */
export function storableBytes(maxPayload: number): number {
  return maxPayload - HEADROOM_BYTES;
}

/** For the default max_payload of 1 MiB. */
export const DEFAULT_MAX_VALUE_BYTES = storableBytes(1024 * 1024);

export interface StoreOptions {
  keepLast?: number;
  /**
   * Lists the bucket's keys from the stream's leader (`bucketKeys`); without it, `kv.keys()`,
   * which stalls for seconds after a NATS leader election. The API's store always has it.
   */
  jsm?: JetStreamManager;
  /** Largest manifest value accepted (bytes of its JSON); derive it from the server's max_payload. */
  maxValueBytes?: number;
}

export interface WriteResult {
  app: AppIndex | undefined;
  /** KV revision of the index write (fences read-your-writes in events); 0 when nothing was written. */
  revision: number;
  changed: boolean;
}

/** An index as read, with the server time of its last write. */
export interface StoredIndex extends Current<AppIndex> {
  writtenAt: Date;
}

export interface PutResult extends WriteResult {
  /** The version stored, or the existing version with the same content. */
  version: string;
}

const WHAT = `KV bucket ${BUCKETS.manifests}`;

export class ManifestStore {
  readonly keepLast: number;
  readonly maxValueBytes: number;
  private readonly jsm: JetStreamManager | undefined;

  constructor(
    private readonly kv: KV,
    opts: StoreOptions = {},
  ) {
    this.keepLast = opts.keepLast ?? DEFAULT_KEEP_VERSIONS;
    this.maxValueBytes = opts.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES;
    this.jsm = opts.jsm;
  }

  get(lattice: string, name: string): Promise<StoredIndex | undefined> {
    return whileAvailable(WHAT, () => this.readIndex(keys.manifest(lattice, name)));
  }

  async require(lattice: string, name: string): Promise<StoredIndex> {
    const found = await this.get(lattice, name);
    if (!found) throw new NotFoundError(`application "${name}" not found in lattice "${lattice}"`);
    return found;
  }

  /** Every app of the lattice, sorted by name (index keys only: two tokens). */
  list(lattice: string): Promise<StoredIndex[]> {
    return whileAvailable(WHAT, async () => {
      const names = new Set<string>();
      if (this.jsm) {
        for (const key of await bucketKeys(this.jsm, BUCKETS.manifests, keys.appIndexes(lattice)))
          names.add(key);
      } else {
        for await (const key of await this.kv.keys(keys.appIndexes(lattice))) names.add(key);
      }
      // Deleted apps' keys are listed too (bucketKeys): readIndex leaves them out.
      const apps = await Promise.all([...names].sort().map((k) => this.readIndex(k)));
      return apps.flatMap((a) => (a ? [a] : []));
    });
  }

  /** One stored version's manifest; not_found unless the app's index names that version. */
  getVersion(lattice: string, name: string, version: string): Promise<Manifest> {
    return whileAvailable(WHAT, async () => {
      const { value: app } = await this.require(lattice, name);
      const ref = app.versions.find((v) => v.version === version);
      if (!ref) throw new NotFoundError(`version "${version}" of "${name}" not found`);
      const stored = await readVersion(this.kv, lattice, name, version);
      if (!stored || stored.digest !== ref.digest) {
        throw new InternalError(
          `the stored manifest of "${name}" version "${version}" is missing or altered`,
        );
      }
      return stored.manifest;
    });
  }

  /**
   * Stores a version. With a version in the manifest: the same content again is a no-op, other
   * content a conflict. Without: the version is assigned from `now`, unless a stored version has
   * the same content, which is returned instead (`changed: false`): retrying a put is safe.
   */
  put(lattice: string, sent: Manifest, now: Date): Promise<PutResult> {
    return whileAvailable(WHAT, async () => {
      const name = sent.metadata.name;
      const explicit = sent.metadata.annotations?.version !== undefined;
      const manifest = assignVersion(sent, now);
      const version = manifest.metadata.annotations?.version ?? "";
      const data = jsonEncode(manifest);
      const size = Buffer.byteLength(data);
      this.checkSize(size);
      const ref: VersionRef = {
        version,
        digest: manifestDigest(manifest),
        size,
        createdAt: now.toISOString(),
      };
      // Answer a repeated put without writing anything.
      const { index: before, read } = await this.readIndexEntry(keys.manifest(lattice, name));
      const first = putVersion(before?.value, name, ref, explicit, this.keepLast);
      if (first.kind === "existing")
        return {
          app: before?.value,
          revision: before?.revision ?? 0,
          changed: false,
          version: first.version,
        };
      // The version key first: the index must never name a manifest that is not there.
      const written = await writeVersion(this.kv, lattice, name, version, data, ref.digest, now.getTime());
      const stored = { ...ref, revision: written.revision };
      let dropped: VersionRef[] = [];
      let existing: string | undefined;
      const result = await this.write(
        lattice,
        name,
        (current) => {
          const outcome = putVersion(current?.value, name, stored, explicit, this.keepLast);
          existing = outcome.kind === "existing" ? outcome.version : undefined;
          if (outcome.kind === "existing") return { keep: true };
          dropped = outcome.dropped;
          return { put: outcome.index };
        },
        read,
      );
      // Lost a race to an identical version-less put: our key is named by no index.
      if (existing !== undefined && existing !== version && written.created)
        await purgeVersions(this.kv, lattice, name, [stored]);
      await purgeVersions(this.kv, lattice, name, dropped);
      return { ...result, version: existing ?? version };
    });
  }

  /**
   * Deploys `version` (default: the newest). With `ifDeployed`, only while that version (or
   * nothing, for null) is still the deployed one: two replicas reverting the same rollout
   * deploy once, the second sees `changed: false`.
   */
  deploy(
    lattice: string,
    name: string,
    version: string | undefined,
    opts: { ifDeployed?: string | null; revert?: RevertRecord } = {},
  ): Promise<WriteResult> {
    return this.change(lattice, name, (app) => {
      if (opts.ifDeployed !== undefined && app.deployedVersion !== opts.ifDeployed) return undefined;
      return deployVersion(app, version, opts.revert);
    });
  }

  undeploy(lattice: string, name: string): Promise<WriteResult> {
    return this.change(lattice, name, undeployApp);
  }

  setPaused(lattice: string, name: string, paused: boolean): Promise<WriteResult> {
    return this.change(lattice, name, (app) =>
      app.paused === paused ? undefined : { ...app, paused, generation: app.generation + 1 },
    );
  }

  /** Deletes one version (undeploying it if deployed), or the whole app when no version is given. */
  delete(lattice: string, name: string, version: string | undefined): Promise<WriteResult> {
    return whileAvailable(WHAT, async () => {
      const { read } = await this.readIndexEntry(keys.manifest(lattice, name)); // migrates a legacy value first
      let gone: VersionRef[] = [];
      const result = await this.write(
        lattice,
        name,
        (current) => {
          if (!current) throw new NotFoundError(`application "${name}" not found in lattice "${lattice}"`);
          const app = current.value;
          const next = version === undefined ? undefined : removeVersion(app, version);
          gone = app.versions.filter((v) => !next?.versions.includes(v));
          return next ? { put: next } : { delete: true };
        },
        read,
      );
      await purgeVersions(this.kv, lattice, name, gone);
      return result;
    });
  }

  private change(
    lattice: string,
    name: string,
    next: (app: AppIndex) => AppIndex | undefined,
  ): Promise<WriteResult> {
    return whileAvailable(WHAT, async () => {
      const { read } = await this.readIndexEntry(keys.manifest(lattice, name)); // migrates a legacy value first
      return this.write(
        lattice,
        name,
        (current) => {
          if (!current) throw new NotFoundError(`application "${name}" not found in lattice "${lattice}"`);
          const app = next(current.value);
          return app ? { put: app } : { keep: true };
        },
        read,
      );
    });
  }

  /** `read`: the index key as just read by `readIndexEntry`, so the first attempt need not read it again. */
  private async write(
    lattice: string,
    name: string,
    mutate: (current: Current<AppIndex> | undefined) => CasDecision<AppIndex>,
    read: KvEntry | null,
  ): Promise<WriteResult> {
    const key = keys.manifest(lattice, name);
    const result = await casUpdate(this.kv, key, decodeAppIndex, jsonEncode, mutate, { read });
    const d = result.decision;
    if ("put" in d) return { app: d.put, revision: result.revision, changed: true };
    if ("delete" in d) return { app: undefined, revision: result.revision, changed: true };
    return { app: result.current?.value, revision: result.revision, changed: false };
  }

  /** Reads an index, migrating a value of the old single-value shape on the way. */
  private async readIndex(key: string): Promise<StoredIndex | undefined> {
    return (await this.readIndexEntry(key)).index;
  }

  /** `readIndex`, with the key's entry as read (`null`: never written) for a compare-and-set after it. */
  private async readIndexEntry(
    key: string,
    migrated = false,
  ): Promise<{ index: StoredIndex | undefined; read: KvEntry | null }> {
    const entry = await this.kv.get(key);
    if (entry?.operation !== "PUT") return { index: undefined, read: entry };
    if (isLegacyApp(entry.json())) {
      if (migrated) throw new InternalError(`${key} in ${BUCKETS.manifests} could not be migrated`);
      await migrateApp(this.kv, key);
      return this.readIndexEntry(key, true);
    }
    const index = { value: decodeAppIndex(entry), revision: entry.revision, writtenAt: entry.created };
    return { index, read: entry };
  }

  private checkSize(size: number): void {
    if (size <= this.maxValueBytes) return;
    const message = `the manifest is ${size} bytes as stored (JSON); this NATS server accepts at most ${this.maxValueBytes} (its max_payload less room for headers)`;
    throw new InvalidManifestError(`invalid manifest (1 problem): ${message}`, [{ path: "", message }]);
  }
}
