/**
 * The application store: KV `nadm_manifests` at `{lattice}.{app}` holding every stored version
 * of an app and which one is deployed. Every write is compare-and-set (retried), so concurrent
 * API replicas and clients never lose a version.
 */
import type { KV } from "@nats-io/kv";
import { z } from "zod";
import { ConflictError, NotFoundError } from "../errors.js";
import { type CasDecision, type Current, casUpdate, jsonDecoder, jsonEncode } from "../streams/kv-cas.js";
import { keys } from "../streams/subjects.js";
import { canonicalJson } from "./revision.js";
import type { Manifest } from "./schema.js";

export const storedVersionSchema = z.object({
  version: z.string(),
  manifest: z.custom<Manifest>((v) => typeof v === "object" && v !== null),
  createdAt: z.string(),
});
export type StoredVersion = z.infer<typeof storedVersionSchema>;

export const storedAppSchema = z.object({
  name: z.string(),
  versions: z.array(storedVersionSchema),
  deployedVersion: z.string().nullable(),
  /** Bumped on every change that the reconciler must act on (deploy, undeploy, pause...). */
  generation: z.number().int().min(0),
  paused: z.boolean().default(false),
  /** The version deployed before `deployedVersion`: what a rollback or auto-revert goes back to. */
  previousVersion: z.string().nullable().default(null),
  /** Set by an auto-revert; cleared by the next deploy. */
  revert: z.object({ from: z.string(), to: z.string(), reason: z.string(), at: z.string() }).optional(),
});
export type StoredApp = z.infer<typeof storedAppSchema>;

export const decodeStoredApp = jsonDecoder((raw) => storedAppSchema.parse(raw));

export interface WriteResult {
  app: StoredApp | undefined;
  /** KV revision of the write (fences read-your-writes in events); 0 when nothing was written. */
  revision: number;
  changed: boolean;
}

export class ManifestStore {
  constructor(
    private readonly kv: KV,
    private readonly maxVersions = 32,
  ) {}

  async get(lattice: string, name: string): Promise<Current<StoredApp> | undefined> {
    const entry = await this.kv.get(keys.manifest(lattice, name));
    if (entry?.operation !== "PUT") return undefined;
    return { value: decodeStoredApp(entry), revision: entry.revision };
  }

  async require(lattice: string, name: string): Promise<Current<StoredApp>> {
    const found = await this.get(lattice, name);
    if (!found) throw new NotFoundError(`application "${name}" not found in lattice "${lattice}"`);
    return found;
  }

  async list(lattice: string): Promise<StoredApp[]> {
    const names: string[] = [];
    for await (const key of await this.kv.keys(keys.latticePrefix(lattice))) names.push(key);
    const apps = await Promise.all(names.sort().map((k) => this.kv.get(k)));
    return apps.flatMap((e) => (e && e.operation === "PUT" ? [decodeStoredApp(e)] : []));
  }

  /** Stores a version. The same version with the same content is a no-op; other content is a conflict. */
  put(lattice: string, manifest: Manifest, now: Date): Promise<WriteResult> {
    const name = manifest.metadata.name;
    const version = manifest.metadata.annotations?.version ?? "";
    return this.write(lattice, name, (current) => {
      const app = current?.value ?? {
        name,
        versions: [],
        deployedVersion: null,
        generation: 0,
        paused: false,
        previousVersion: null,
      };
      const existing = app.versions.find((v) => v.version === version);
      if (existing) {
        if (canonicalJson(existing.manifest) === canonicalJson(manifest)) return { keep: true };
        throw new ConflictError(
          `version "${version}" of "${name}" already exists with other content; give the manifest a new version`,
          [{ path: "metadata.annotations.version", message: "already exists with other content" }],
        );
      }
      const versions = capVersions(
        [...app.versions, { version, manifest, createdAt: now.toISOString() }],
        app.deployedVersion,
        this.maxVersions,
        app.previousVersion,
      );
      return { put: { ...app, versions } };
    });
  }

  deploy(lattice: string, name: string, version: string | undefined): Promise<WriteResult> {
    return this.write(lattice, name, (current) => {
      const app = requireApp(current, lattice, name);
      const target = version ?? app.versions.at(-1)?.version;
      if (!target || !app.versions.some((v) => v.version === target)) {
        throw new NotFoundError(`version "${version}" of "${name}" not found`);
      }
      if (app.deployedVersion === target && !app.paused) return { keep: true };
      const previousVersion =
        app.deployedVersion && app.deployedVersion !== target ? app.deployedVersion : app.previousVersion;
      const { revert: _, ...rest } = app;
      return {
        put: {
          ...rest,
          deployedVersion: target,
          previousVersion,
          paused: false,
          generation: app.generation + 1,
        },
      };
    });
  }

  /**
   * The auto-revert of a stalled rollout (ARCHITECTURE §8): deploys `to` again, only while `from`
   * is still deployed, so replicas that decide it at the same time revert once.
   */
  revert(
    lattice: string,
    name: string,
    from: string,
    to: string,
    reason: string,
    now: Date,
  ): Promise<WriteResult> {
    return this.write(lattice, name, (current) => {
      const app = requireApp(current, lattice, name);
      if (app.deployedVersion !== from || !app.versions.some((v) => v.version === to)) return { keep: true };
      const revert = { from, to, reason, at: now.toISOString() };
      const next = { deployedVersion: to, previousVersion: from, paused: false, revert };
      return { put: { ...app, ...next, generation: app.generation + 1 } };
    });
  }

  undeploy(lattice: string, name: string): Promise<WriteResult> {
    return this.write(lattice, name, (current) => {
      const app = requireApp(current, lattice, name);
      if (app.deployedVersion === null) return { keep: true };
      return { put: { ...app, deployedVersion: null, paused: false, generation: app.generation + 1 } };
    });
  }

  setPaused(lattice: string, name: string, paused: boolean): Promise<WriteResult> {
    return this.write(lattice, name, (current) => {
      const app = requireApp(current, lattice, name);
      if (app.paused === paused) return { keep: true };
      return { put: { ...app, paused, generation: app.generation + 1 } };
    });
  }

  /** Deletes one version (undeploying it if deployed), or the whole app when no version is given. */
  delete(lattice: string, name: string, version: string | undefined): Promise<WriteResult> {
    return this.write(lattice, name, (current) => {
      const app = requireApp(current, lattice, name);
      if (version === undefined) return { delete: true };
      if (!app.versions.some((v) => v.version === version)) {
        throw new NotFoundError(`version "${version}" of "${name}" not found`);
      }
      const versions = app.versions.filter((v) => v.version !== version);
      if (versions.length === 0) return { delete: true };
      const undeploy = app.deployedVersion === version;
      return {
        put: {
          ...app,
          versions,
          deployedVersion: undeploy ? null : app.deployedVersion,
          generation: undeploy ? app.generation + 1 : app.generation,
        },
      };
    });
  }

  private async write(
    lattice: string,
    name: string,
    mutate: (current: Current<StoredApp> | undefined) => CasDecision<StoredApp>,
  ): Promise<WriteResult> {
    const result = await casUpdate(
      this.kv,
      keys.manifest(lattice, name),
      decodeStoredApp,
      jsonEncode,
      mutate,
    );
    const d = result.decision;
    if ("put" in d) return { app: d.put, revision: result.revision, changed: true };
    if ("delete" in d) return { app: undefined, revision: result.revision, changed: true };
    return { app: (await this.get(lattice, name))?.value, revision: result.revision, changed: false };
  }
}

function requireApp(current: Current<StoredApp> | undefined, lattice: string, name: string): StoredApp {
  if (!current) throw new NotFoundError(`application "${name}" not found in lattice "${lattice}"`);
  return current.value;
}

/** Keeps at most `max` versions, dropping the oldest ones that are not deployed. */
export function capVersions(
  versions: StoredVersion[],
  deployed: string | null,
  max: number,
  previous: string | null = null,
): StoredVersion[] {
  let excess = versions.length - max;
  if (excess <= 0) return versions;
  return versions.filter((v) => {
    if (excess > 0 && v.version !== deployed && v.version !== previous) {
      excess--;
      return false;
    }
    return true;
  });
}
