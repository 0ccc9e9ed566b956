/**
 * One function per API op. Each validates its request, works through the manifest store
 * (compare-and-set) and publishes the op's event after the KV write, carrying its revision.
 */
import type { JetStreamClient } from "@nats-io/jetstream";
import type { KV } from "@nats-io/kv";
import { NotFoundError } from "../errors.js";
import type { Logger } from "../log.js";
import type { AppIndex } from "../manifests/app-index.js";
import { announce, deployAndAnnounce } from "../manifests/deploy.js";
import { type Manifest, parseManifestText, type TraitCatalog } from "../manifests/index.js";
import type { ManifestStore, StoredIndex, WriteResult } from "../manifests/store.js";
import { type AppStatus, appStatusSchema } from "../streams/app-status.js";
import { type ApiOp, BUCKETS, keys } from "../streams/subjects.js";
import { whileAvailable } from "../streams/unavailable.js";
import { withPinnedArtifacts } from "./artifact-pins.js";
import * as P from "./protocol.js";
import { parseRequest, text } from "./request.js";
import { composeStatus, type HostReports } from "./status.js";

export interface ApiDeps {
  store: ManifestStore;
  /** What deploying `target` would do from the live state (controller replicas only). */
  forecast?: (
    lattice: string,
    app: string,
    target: { version: string; manifest: Manifest },
    stored: AppIndex | undefined,
  ) => P.PlanResult;
  statusKv: KV;
  js: JetStreamClient;
  catalog: TraitCatalog;
  /** The catalog of one lattice when it has more than `catalog` (its remote scalers). */
  catalogOf?: (lattice: string) => TraitCatalog;
  /** What live hosts report running, per app (the replica's host cache): `status` never claims otherwise. */
  hostReports: HostReports;
  log: Logger;
  now: () => Date;
  /** Requests above this are refused: the smaller of MAX_REQUEST_BYTES and the server's max_payload. */
  maxRequestBytes?: number;
}

export type Handler = (lattice: string, body: Uint8Array, deps: ApiDeps) => Promise<unknown>;

export { parseRequest } from "./request.js";

export function catalogFor(deps: ApiDeps, lattice: string): TraitCatalog {
  return deps.catalogOf?.(lattice) ?? deps.catalog;
}

async function readStatus(deps: ApiDeps, lattice: string, name: string): Promise<AppStatus | undefined> {
  const entry = await whileAvailable(`KV bucket ${BUCKETS.status}`, () =>
    deps.statusKv.get(keys.status(lattice, name)),
  );
  if (entry?.operation !== "PUT") return undefined;
  const parsed = appStatusSchema.safeParse(entry.json());
  return parsed.success ? parsed.data : undefined;
}

/** The status reply of an app (see api/status.ts); undefined when there is nothing at all. */
async function statusOf(
  deps: ApiDeps,
  lattice: string,
  name: string,
  known?: StoredIndex,
): Promise<AppStatus | undefined> {
  const [index, stored] = await Promise.all([
    known ?? deps.store.get(lattice, name),
    readStatus(deps, lattice, name),
  ]);
  return composeStatus({
    name,
    index: index && { value: index.value, writtenAt: index.writtenAt },
    stored,
    running: deps.hostReports(lattice, name),
  });
}

const put: Handler = async (lattice, body, deps) => {
  // Artifact digests are pinned first, so a version always means the same bytes.
  const manifest = await withPinnedArtifacts(parseManifestText(text(body), catalogFor(deps, lattice)), deps);
  const res = await deps.store.put(lattice, manifest, deps.now());
  const name = manifest.metadata.name;
  if (res.changed)
    await announce(deps.js, lattice, "app_put", {
      app: name,
      version: res.version,
      stateRevision: res.revision,
    });
  return {
    name,
    version: res.version,
    created: res.changed,
    versions: res.app?.versions.length ?? 0,
  } satisfies P.PutResult;
};

const get: Handler = async (lattice, body, deps) => {
  const req = parseRequest(P.namedRequestSchema, body);
  const { value: app } = await deps.store.require(lattice, req.name);
  const wanted = req.version ?? app.deployedVersion ?? app.versions.at(-1)?.version;
  if (!wanted || !app.versions.some((v) => v.version === wanted))
    throw notFoundVersion(req.name, req.version);
  return {
    name: app.name,
    version: wanted,
    deployed: app.deployedVersion === wanted,
    manifest: await deps.store.getVersion(lattice, req.name, wanted),
  } satisfies P.GetResult;
};

function notFoundVersion(name: string, version: string | undefined) {
  return new NotFoundError(`version "${version}" of "${name}" not found`);
}

function summary(app: AppIndex, status: AppStatus | undefined): P.AppSummary {
  return {
    name: app.name,
    latestVersion: app.versions.at(-1)?.version ?? null,
    deployedVersion: app.deployedVersion,
    versions: app.versions.length,
    paused: app.paused,
    phase: status?.phase ?? "undeployed",
    message: status?.message ?? "undeployed",
  };
}

const list: Handler = async (lattice, body, deps) => {
  parseRequest(P.emptyRequestSchema, body);
  const apps = await deps.store.list(lattice);
  const summaries = await Promise.all(
    apps.map(async (app) => summary(app.value, await statusOf(deps, lattice, app.value.name, app))),
  );
  return { apps: summaries } satisfies P.ListResult;
};

const versions: Handler = async (lattice, body, deps) => {
  const req = parseRequest(P.namedRequestSchema, body);
  const { value: app } = await deps.store.require(lattice, req.name);
  return {
    name: app.name,
    deployedVersion: app.deployedVersion,
    previousVersion: app.previousVersion,
    versions: app.versions.map((v) => ({
      version: v.version,
      createdAt: v.createdAt,
      deployed: v.version === app.deployedVersion,
      digest: v.digest,
      size: v.size,
    })),
  } satisfies P.VersionsResult;
};

const remove: Handler = async (lattice, body, deps) => {
  const req = parseRequest(P.namedRequestSchema, body);
  const before = await deps.store.require(lattice, req.name);
  const res = await deps.store.delete(lattice, req.name, req.version);
  const wasDeployed = before.value.deployedVersion;
  const undeployed = wasDeployed !== null && (req.version === undefined || req.version === wasDeployed);
  await announce(deps.js, lattice, "app_deleted", {
    app: req.name,
    ...(req.version ? { version: req.version } : {}),
    stateRevision: res.revision,
  });
  return { name: req.name, version: req.version ?? null, deleted: true, undeployed } satisfies P.DeleteResult;
};

const deploy: Handler = async (lattice, body, deps) => {
  const req = parseRequest(P.namedRequestSchema, body);
  const res = await deployAndAnnounce(deps.store, deps.js, lattice, req.name, req.version);
  return {
    name: req.name,
    version: res.app?.deployedVersion ?? null,
    changed: res.changed,
  } satisfies P.DeployResult;
};

const undeploy: Handler = async (lattice, body, deps) => {
  const req = parseRequest(P.namedRequestSchema, body);
  const res = await deps.store.undeploy(lattice, req.name);
  // Also when nothing changed: an earlier try may have written and lost its event (see deploy.ts).
  if (res.changed || res.revision > 0)
    await announce(deps.js, lattice, "app_undeployed", { app: req.name, stateRevision: res.revision });
  return { name: req.name, version: null, changed: res.changed } satisfies P.DeployResult;
};

function pauseHandler(paused: boolean): Handler {
  return async (lattice, body, deps) => {
    const req = parseRequest(P.namedRequestSchema, body);
    const res: WriteResult = await deps.store.setPaused(lattice, req.name, paused);
    if (res.changed) {
      const version = res.app?.deployedVersion ?? res.app?.versions.at(-1)?.version ?? "";
      const action = paused ? "pause" : "resume";
      await announce(deps.js, lattice, "app_put", {
        app: req.name,
        version,
        action,
        stateRevision: res.revision,
      });
    }
    return { name: req.name, paused, changed: res.changed } satisfies P.PauseResult;
  };
}

/** What is stored, checked against what hosts report: never a made-up default (see api/status.ts). */
const status: Handler = async (lattice, body, deps) => {
  const req = parseRequest(P.namedRequestSchema, body);
  const found = await statusOf(deps, lattice, req.name);
  if (!found) throw new NotFoundError(`application "${req.name}" not found in lattice "${lattice}"`);
  return found satisfies P.StatusResult;
};

const validate: Handler = async (lattice, body, deps) => {
  const manifest = parseManifestText(text(body), catalogFor(deps, lattice));
  return {
    valid: true,
    name: manifest.metadata.name,
    version: manifest.metadata.annotations?.version ?? null,
    components: manifest.spec.components.map((c) => c.name),
  } satisfies P.ValidateResult;
};

/** Every op but `plan`, `history` and `endpoints`, which have modules of their own (responder.ts joins them). */
export const handlers: Record<Exclude<ApiOp, "plan" | "history" | "endpoints">, Handler> = {
  put,
  get,
  list,
  versions,
  delete: remove,
  deploy,
  undeploy,
  status,
  validate,
  pause: pauseHandler(true),
  resume: pauseHandler(false),
};
