/**
 * An app's index in KV `nadm_manifests` at `{lattice}.{app}` (ARCHITECTURE §3): which versions
 * are stored (each manifest lives under its own key), which one is deployed, which one a revert
 * goes back to, the generation and the paused flag. Small and bounded whatever the manifests'
 * size, so it always fits in one NATS message. Everything here is pure: the store does the I/O.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { ConflictError, NotFoundError } from "../errors.js";
import { canonicalJson } from "./revision.js";
import type { Manifest } from "./schema.js";

export const versionRefSchema = z.object({
  version: z.string(),
  /** sha256 of the manifest's canonical JSON without its version annotation (see `manifestDigest`). */
  digest: z.string(),
  /** Bytes of the stored manifest value. */
  size: z.number().int().min(0),
  createdAt: z.string(),
  /** KV revision of the version key, so purging it later is compare-and-set too. */
  revision: z.number().int().min(0).optional(),
});
export type VersionRef = z.infer<typeof versionRefSchema>;

export const appIndexSchema = z.object({
  name: z.string(),
  /** Oldest first. */
  versions: z.array(versionRefSchema),
  deployedVersion: z.string().nullable(),
  /** The version deployed before the current one: what a revert (or rollback) deploys again. */
  previousVersion: z.string().nullable().default(null),
  /** Bumped on every change that the reconciler must act on (deploy, undeploy, pause...). */
  generation: z.number().int().min(0),
  paused: z.boolean().default(false),
  /** Set by an auto-revert (what was reverted, and why); cleared by the next deploy. */
  revert: z.object({ from: z.string(), to: z.string(), reason: z.string(), at: z.string() }).optional(),
});
export type AppIndex = z.infer<typeof appIndexSchema>;
export type RevertRecord = NonNullable<AppIndex["revert"]>;

/** The shape before versions had keys of their own: every manifest inside the one value. */
export const legacyAppSchema = z.object({
  name: z.string(),
  versions: z.array(
    z.object({ version: z.string(), manifest: z.record(z.string(), z.unknown()), createdAt: z.string() }),
  ),
  deployedVersion: z.string().nullable(),
  generation: z.number().int().min(0),
  paused: z.boolean().default(false),
});
export type LegacyApp = z.infer<typeof legacyAppSchema>;

export function isLegacyApp(raw: unknown): boolean {
  const versions = (raw as { versions?: unknown })?.versions;
  return (
    Array.isArray(versions) && versions.some((v) => typeof v === "object" && v !== null && "manifest" in v)
  );
}

/**
 * What makes two puts "the same manifest": its content without `metadata.annotations.version`
 * (which `put` assigns when absent), so a client retrying a version-less put gets the version
 * stored the first time instead of a new one.
 */
export function manifestDigest(manifest: Manifest): string {
  const { version: _drop, ...annotations } = manifest.metadata.annotations ?? {};
  const metadata = {
    ...manifest.metadata,
    annotations: Object.keys(annotations).length > 0 ? annotations : undefined,
  };
  return createHash("sha256")
    .update(canonicalJson({ ...manifest, metadata }))
    .digest("hex");
}

export function emptyIndex(name: string): AppIndex {
  return { name, versions: [], deployedVersion: null, previousVersion: null, generation: 0, paused: false };
}

/**
 * Keeps the newest `keepLast` versions, plus the deployed and the previous (revert) version
 * wherever they are in the history; returns what stays and what goes (oldest first).
 */
export function retain(index: AppIndex, keepLast: number): { kept: VersionRef[]; dropped: VersionRef[] } {
  const pinned = new Set([index.deployedVersion, index.previousVersion]);
  const newest = new Set(index.versions.slice(-keepLast).map((v) => v.version));
  const kept: VersionRef[] = [];
  const dropped: VersionRef[] = [];
  for (const v of index.versions) (newest.has(v.version) || pinned.has(v.version) ? kept : dropped).push(v);
  return { kept, dropped };
}

export type PutOutcome =
  | { kind: "existing"; version: string }
  | { kind: "add"; index: AppIndex; dropped: VersionRef[] };

/**
 * Adds `ref` to the index. With `explicit` (the client named the version): the same version with
 * the same content is the existing one, with other content a conflict. Without: any stored
 * version with the same content is the existing one (the newest such), so retries are safe.
 */
export function putVersion(
  index: AppIndex | undefined,
  name: string,
  ref: VersionRef,
  explicit: boolean,
  keepLast: number,
): PutOutcome {
  const app = index ?? emptyIndex(name);
  const same = app.versions.find((v) => v.version === ref.version);
  if (same && same.digest !== ref.digest) {
    throw new ConflictError(
      `version "${ref.version}" of "${name}" already exists with other content; give the manifest a new version`,
      [{ path: "metadata.annotations.version", message: "already exists with other content" }],
    );
  }
  if (same) return { kind: "existing", version: same.version };
  if (!explicit) {
    const twin = app.versions.findLast((v) => v.digest === ref.digest);
    if (twin) return { kind: "existing", version: twin.version };
  }
  const grown = { ...app, versions: [...app.versions, ref] };
  const { kept, dropped } = retain(grown, keepLast);
  return { kind: "add", index: { ...grown, versions: kept }, dropped };
}

/** Deploys `version` (default: the newest); the version it replaces becomes the previous one. */
export function deployVersion(
  app: AppIndex,
  version: string | undefined,
  revert?: RevertRecord,
): AppIndex | undefined {
  const target = version ?? app.versions.at(-1)?.version;
  if (!target || !app.versions.some((v) => v.version === target)) {
    throw new NotFoundError(`version "${version ?? "(latest)"}" of "${app.name}" not found`);
  }
  if (app.deployedVersion === target && !app.paused) return undefined;
  const { revert: _previous, ...rest } = app;
  return {
    ...rest,
    ...(revert ? { revert } : {}),
    deployedVersion: target,
    previousVersion: previousAfter(app, target),
    paused: false,
    generation: app.generation + 1,
  };
}

export function undeployApp(app: AppIndex): AppIndex | undefined {
  if (app.deployedVersion === null) return undefined;
  return {
    ...app,
    deployedVersion: null,
    previousVersion: previousAfter(app, null),
    paused: false,
    generation: app.generation + 1,
  };
}

/** Leaving `deployedVersion` for `next`: the old one becomes the previous, if there was one. */
function previousAfter(app: AppIndex, next: string | null): string | null {
  return app.deployedVersion !== null && app.deployedVersion !== next
    ? app.deployedVersion
    : app.previousVersion;
}

/** Removes one version; deleting the deployed one undeploys it. undefined: nothing is left. */
export function removeVersion(app: AppIndex, version: string): AppIndex | undefined {
  if (!app.versions.some((v) => v.version === version)) {
    throw new NotFoundError(`version "${version}" of "${app.name}" not found`);
  }
  const versions = app.versions.filter((v) => v.version !== version);
  if (versions.length === 0) return undefined;
  const undeploy = app.deployedVersion === version;
  return {
    ...app,
    versions,
    deployedVersion: undeploy ? null : app.deployedVersion,
    previousVersion: app.previousVersion === version ? null : app.previousVersion,
    generation: undeploy ? app.generation + 1 : app.generation,
  };
}
