/**
 * Migration of `nadm_manifests` from the first shape (one value per app holding every manifest,
 * which hits the 1 MiB message limit) to an index per app plus one key per version. Runs at every
 * replica's start and on the fly when the store meets an old value; idempotent and safe to run
 * from several replicas at once (version keys are created or reused, the index is replaced by
 * compare-and-set on the old value's revision).
 */
import type { KV } from "@nats-io/kv";
import { isWrongLastSequence, jsonEncode } from "../streams/kv-cas.js";
import { keys } from "../streams/subjects.js";
import { type AppIndex, isLegacyApp, legacyAppSchema, manifestDigest, type VersionRef } from "./app-index.js";
import type { Manifest } from "./schema.js";
import { writeVersion } from "./version-keys.js";

/** Migrates one app's value if it has the old shape; true when this call migrated it. */
export async function migrateApp(kv: KV, key: string): Promise<boolean> {
  const parsedKey = keys.parse(key);
  if (!parsedKey) return false;
  const { lattice, name } = parsedKey;
  for (let attempt = 0; attempt < 16; attempt++) {
    const entry = await kv.get(key);
    if (entry?.operation !== "PUT" || !isLegacyApp(entry.json())) return false;
    const legacy = legacyAppSchema.parse(entry.json());
    const versions: VersionRef[] = [];
    for (const v of legacy.versions) {
      const manifest = v.manifest as unknown as Manifest;
      const data = jsonEncode(manifest);
      const digest = manifestDigest(manifest);
      const written = await writeVersion(kv, lattice, name, v.version, data, digest);
      versions.push({
        version: v.version,
        digest,
        size: Buffer.byteLength(data),
        createdAt: v.createdAt,
        revision: written.revision,
      });
    }
    const index: AppIndex = {
      name: legacy.name,
      versions,
      deployedVersion: legacy.deployedVersion,
      previousVersion: null,
      generation: legacy.generation,
      paused: legacy.paused,
    };
    try {
      await kv.update(key, jsonEncode(index), entry.revision);
      return true;
    } catch (err) {
      if (!isWrongLastSequence(err)) throw err;
    }
  }
  return false;
}

/** Migrates every app of every lattice; returns how many were migrated. */
export async function migrateAll(kv: KV): Promise<number> {
  const names = new Set<string>();
  for await (const key of await kv.keys(keys.appIndexes())) names.add(key);
  let migrated = 0;
  for (const key of [...names].sort()) if (await migrateApp(kv, key)) migrated++;
  return migrated;
}
