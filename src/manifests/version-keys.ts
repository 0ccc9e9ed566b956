/**
 * One manifest version per KV key (`{lattice}.{app}.v.{version}` in `nadm_manifests`). A version
 * key is written before the index names it and purged after the index stopped naming it, so the
 * index never points at a missing manifest. Writes are compare-and-set like every KV write.
 */
import type { KV } from "@nats-io/kv";
import { ConflictError, NadmError } from "../errors.js";
import { isWrongLastSequence } from "../streams/kv-cas.js";
import { keys } from "../streams/subjects.js";
import { manifestDigest, type VersionRef } from "./app-index.js";
import type { Manifest } from "./schema.js";

/**
 * A version key that no index names and that is younger than this may belong to a put still in
 * flight (its index write comes next); older ones are leftovers of a crash and may be replaced.
 */
export const ORPHAN_GRACE_MS = 60_000;

export interface StoredManifest {
  manifest: Manifest;
  digest: string;
  revision: number;
}

/** The manifest under a version key, undefined when the key is absent or deleted. */
export async function readVersion(
  kv: KV,
  lattice: string,
  app: string,
  version: string,
  /** The version's digest and KV revision as an index records them, when known. */
  expected?: { digest: string; revision?: number },
): Promise<StoredManifest | undefined> {
  const entry = await kv.get(keys.manifestVersion(lattice, app, version));
  if (entry?.operation !== "PUT") return undefined;
  const manifest = entry.json<Manifest>();
  // A key's revision names one value: the one the index recorded needs no digest to tell it.
  const digest =
    expected?.revision !== undefined && expected.revision === entry.revision
      ? expected.digest
      : manifestDigest(manifest);
  return { manifest, digest, revision: entry.revision };
}

/**
 * Writes `data` (the manifest's JSON, digest `digest`) under its version key and returns the
 * key's revision. An existing key with the same content is reused (a retried put); with other
 * content it is a conflict, unless it is an old orphan (see ORPHAN_GRACE_MS).
 */
export async function writeVersion(
  kv: KV,
  lattice: string,
  app: string,
  version: string,
  data: string,
  digest: string,
  now: number = Date.now(),
): Promise<{ revision: number; created: boolean }> {
  const key = keys.manifestVersion(lattice, app, version);
  // A new version's key does not exist yet: try to create it before reading it (one round trip
  // instead of two). kv.create also takes the place of a deleted or purged value.
  try {
    return { revision: await kv.create(key, data), created: true };
  } catch (err) {
    if (!isWrongLastSequence(err)) throw err;
  }
  for (let attempt = 0; attempt < 8; attempt++) {
    const entry = await kv.get(key);
    try {
      if (entry?.operation !== "PUT") {
        const revision = entry ? await kv.update(key, data, entry.revision) : await kv.create(key, data);
        return { revision, created: true };
      }
      if (manifestDigest(entry.json<Manifest>()) === digest)
        return { revision: entry.revision, created: false };
      if (now - entry.created.getTime() < ORPHAN_GRACE_MS) {
        throw new ConflictError(
          `version "${version}" of "${app}" is being stored by another request with other content; retry`,
          [{ path: "metadata.annotations.version", message: "being stored with other content" }],
        );
      }
      return { revision: await kv.update(key, data, entry.revision), created: true };
    } catch (err) {
      if (err instanceof NadmError || !isWrongLastSequence(err)) throw err;
    }
  }
  throw new ConflictError(`too many concurrent writes to ${key}; try again`);
}

/**
 * Purges version keys no index names any more. Each purge expects the revision the index knew,
 * so a version stored again meanwhile (a new put of the same version) is left alone.
 */
export async function purgeVersions(kv: KV, lattice: string, app: string, refs: readonly VersionRef[]) {
  await Promise.all(
    refs.map(async (ref) => {
      const key = keys.manifestVersion(lattice, app, ref.version);
      const previousSeq = ref.revision ?? (await kv.get(key))?.revision;
      if (!previousSeq) return;
      try {
        await kv.purge(key, { previousSeq });
      } catch (err) {
        if (!isWrongLastSequence(err)) throw err;
      }
    }),
  );
}
