/**
 * One function per API op. Each validates its request, works through the manifest store
 * (compare-and-set) and publishes the op's event after the KV write, carrying its revision.
 */
import type { JetStreamClient } from "@nats-io/jetstream";
import type { KV } from "@nats-io/kv";
import type { z } from "zod";
import { BadRequestError, type ErrorDetail, NotFoundError, UnavailableError } from "../errors.js";
import type { Logger } from "../log.js";
import { assignVersion, parseManifestText, type TraitCatalog } from "../manifests/index.js";
import type { ManifestStore, StoredApp, WriteResult } from "../manifests/store.js";
import { type AppStatus, appStatusSchema } from "../streams/app-status.js";
import { type EventData, eventSource, publishEvent } from "../streams/events.js";
import { type ApiOp, keys } from "../streams/subjects.js";
import { withPinnedArtifacts } from "./artifact-pins.js";
import { endpointsHandler } from "./endpoints.js";
import * as P from "./protocol.js";

export interface ApiDeps {
  store: ManifestStore;
  statusKv: KV;
  js: JetStreamClient;
  catalog: TraitCatalog;
  log: Logger;
  now: () => Date;
}

export type Handler = (lattice: string, body: Uint8Array, deps: ApiDeps) => Promise<unknown>;

const decoder = new TextDecoder("utf-8", { fatal: true });

function text(body: Uint8Array): string {
  try {
    return decoder.decode(body);
  } catch {
    throw new BadRequestError("request body is not valid UTF-8");
  }
}

/** Parses a JSON request body against a schema; every problem is reported with its path. */
export function parseRequest<S extends z.ZodType>(schema: S, body: Uint8Array): z.output<S> {
  const raw = text(body).trim();
  let value: unknown = {};
  if (raw !== "") {
    try {
      value = JSON.parse(raw);
    } catch {
      throw new BadRequestError("request body is not JSON", [
        { path: "", message: "expected a JSON object" },
      ]);
    }
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const details: ErrorDetail[] = parsed.error.issues.map((i) => ({
      path: i.path.map(String).join("."),
      message: i.message,
    }));
    throw new BadRequestError(
      `invalid request: ${details.map((d) => `${d.path || "body"} ${d.message}`).join("; ")}`,
      details,
    );
  }
  return parsed.data;
}

async function emit<T extends "app_put" | "app_deployed" | "app_undeployed" | "app_deleted">(
  deps: ApiDeps,
  lattice: string,
  type: T,
  data: EventData<T>,
): Promise<void> {
  try {
    await publishEvent(deps.js, lattice, type, eventSource(lattice, "api"), data);
  } catch (err) {
    // The KV write stands; the periodic resync reconciles it even without this event.
    deps.log.warn({ err, lattice, type }, "event publish failed after KV write; resync will catch up");
    throw new UnavailableError(
      `stored, but the ${type} event could not be published: ${(err as Error).message}`,
    );
  }
}

async function readStatus(deps: ApiDeps, lattice: string, name: string): Promise<AppStatus | undefined> {
  const entry = await deps.statusKv.get(keys.status(lattice, name));
  if (entry?.operation !== "PUT") return undefined;
  const parsed = appStatusSchema.safeParse(entry.json());
  return parsed.success ? parsed.data : undefined;
}

function undeployedStatus(app: StoredApp): AppStatus {
  return {
    name: app.name,
    version: null,
    phase: "undeployed",
    message: "not deployed",
    observedGeneration: app.generation,
    updatedAt: new Date(0).toISOString(),
    components: [],
  };
}

const put: Handler = async (lattice, body, deps) => {
  const parsed = assignVersion(parseManifestText(text(body), deps.catalog), deps.now());
  const manifest = await withPinnedArtifacts(parsed, deps);
  const version = manifest.metadata.annotations?.version ?? "";
  const res = await deps.store.put(lattice, manifest, deps.now());
  const name = manifest.metadata.name;
  if (res.changed) await emit(deps, lattice, "app_put", { app: name, version, stateRevision: res.revision });
  return {
    name,
    version,
    created: res.changed,
    versions: res.app?.versions.length ?? 0,
  } satisfies P.PutResult;
};

const get: Handler = async (lattice, body, deps) => {
  const req = parseRequest(P.namedRequestSchema, body);
  const { value: app } = await deps.store.require(lattice, req.name);
  const wanted = req.version ?? app.deployedVersion ?? app.versions.at(-1)?.version;
  const found = app.versions.find((v) => v.version === wanted);
  if (!found) throw notFoundVersion(req.name, req.version);
  return {
    name: app.name,
    version: found.version,
    deployed: app.deployedVersion === found.version,
    manifest: found.manifest,
  } satisfies P.GetResult;
};

function notFoundVersion(name: string, version: string | undefined) {
  return new NotFoundError(`version "${version}" of "${name}" not found`);
}

const list: Handler = async (lattice, body, deps) => {
  parseRequest(P.emptyRequestSchema, body);
  const apps = await deps.store.list(lattice);
  const summaries = await Promise.all(
    apps.map(async (app): Promise<P.AppSummary> => {
      const status = app.deployedVersion ? await readStatus(deps, lattice, app.name) : undefined;
      return {
        name: app.name,
        latestVersion: app.versions.at(-1)?.version ?? null,
        deployedVersion: app.deployedVersion,
        versions: app.versions.length,
        paused: app.paused,
        phase: app.deployedVersion ? (status?.phase ?? "reconciling") : "undeployed",
        message: app.deployedVersion
          ? (status?.message ?? "waiting for the first reconcile")
          : "not deployed",
      };
    }),
  );
  return { apps: summaries } satisfies P.ListResult;
};

const versions: Handler = async (lattice, body, deps) => {
  const req = parseRequest(P.namedRequestSchema, body);
  const { value: app } = await deps.store.require(lattice, req.name);
  return {
    name: app.name,
    versions: app.versions.map((v) => ({
      version: v.version,
      createdAt: v.createdAt,
      deployed: v.version === app.deployedVersion,
    })),
  } satisfies P.VersionsResult;
};

const remove: Handler = async (lattice, body, deps) => {
  const req = parseRequest(P.namedRequestSchema, body);
  const before = await deps.store.require(lattice, req.name);
  const res = await deps.store.delete(lattice, req.name, req.version);
  const wasDeployed = before.value.deployedVersion;
  const undeployed = wasDeployed !== null && (req.version === undefined || req.version === wasDeployed);
  await emit(deps, lattice, "app_deleted", {
    app: req.name,
    ...(req.version ? { version: req.version } : {}),
    stateRevision: res.revision,
  });
  return { name: req.name, version: req.version ?? null, deleted: true, undeployed } satisfies P.DeleteResult;
};

const deploy: Handler = async (lattice, body, deps) => {
  const req = parseRequest(P.namedRequestSchema, body);
  const res = await deps.store.deploy(lattice, req.name, req.version);
  const version = res.app?.deployedVersion ?? null;
  if (res.changed) {
    await emit(deps, lattice, "app_deployed", {
      app: req.name,
      version: version ?? "",
      stateRevision: res.revision,
    });
  }
  return { name: req.name, version, changed: res.changed } satisfies P.DeployResult;
};

const undeploy: Handler = async (lattice, body, deps) => {
  const req = parseRequest(P.namedRequestSchema, body);
  const res = await deps.store.undeploy(lattice, req.name);
  if (res.changed)
    await emit(deps, lattice, "app_undeployed", { app: req.name, stateRevision: res.revision });
  return { name: req.name, version: null, changed: res.changed } satisfies P.DeployResult;
};

function pauseHandler(paused: boolean): Handler {
  return async (lattice, body, deps) => {
    const req = parseRequest(P.namedRequestSchema, body);
    const res: WriteResult = await deps.store.setPaused(lattice, req.name, paused);
    if (res.changed) {
      const version = res.app?.deployedVersion ?? res.app?.versions.at(-1)?.version ?? "";
      await emit(deps, lattice, "app_put", { app: req.name, version, stateRevision: res.revision });
    }
    return { name: req.name, paused, changed: res.changed } satisfies P.PauseResult;
  };
}

const status: Handler = async (lattice, body, deps) => {
  const req = parseRequest(P.namedRequestSchema, body);
  const { value: app } = await deps.store.require(lattice, req.name);
  if (!app.deployedVersion) return undeployedStatus(app) satisfies P.StatusResult;
  const found = await readStatus(deps, lattice, req.name);
  return (found ?? {
    ...undeployedStatus(app),
    version: app.deployedVersion,
    phase: "reconciling",
    message: "deployed; waiting for the first reconcile",
  }) satisfies P.StatusResult;
};

const history: Handler = async (lattice, body, deps) => {
  const req = parseRequest(P.namedRequestSchema, body);
  await deps.store.require(lattice, req.name);
  const entries: P.HistoryResult["entries"] = [];
  for await (const e of await deps.statusKv.history({ key: keys.status(lattice, req.name) })) {
    if (e.operation !== "PUT") continue;
    const parsed = appStatusSchema.safeParse(e.json());
    if (parsed.success) entries.push({ ...parsed.data, revision: e.revision });
  }
  return { name: req.name, entries } satisfies P.HistoryResult;
};

const validate: Handler = async (_lattice, body, deps) => {
  const manifest = parseManifestText(text(body), deps.catalog);
  return {
    valid: true,
    name: manifest.metadata.name,
    version: manifest.metadata.annotations?.version ?? null,
    components: manifest.spec.components.map((c) => c.name),
  } satisfies P.ValidateResult;
};

const plan: Handler = async () => {
  // TODO(rollout planner, ARCHITECTURE §8): plan needs the wave planner, not built yet.
  throw new UnavailableError("plan is not available yet: the rollout planner is not built");
};

export const handlers: Record<ApiOp, Handler> = {
  put,
  get,
  list,
  versions,
  delete: remove,
  deploy,
  undeploy,
  status,
  history,
  plan,
  validate,
  pause: pauseHandler(true),
  resume: pauseHandler(false),
  endpoints: endpointsHandler(parseRequest),
};
