/**
 * The dashboard's HTTP routes, mounted on a controller's `--http-port` beside /metrics:
 *   GET  /                                 the page (no-cache, ETag)
 *   GET  /assets/{build}/…                 its files (immutable)
 *   GET  /api/snapshot                     every row, once (JSON)
 *   GET  /api/live                         a snapshot, then patches (server-sent events)
 *   GET  /api/apps/{lattice}/{app}/history status history, actions and commands (the `history` op)
 *   POST /api/plan?lattice=L               plan of the manifest in the body (the `plan` op; writes nothing)
 *   POST /api/apps/{lattice}/{app}/{action} deploy|undeploy|pause|resume|rollback: 403 unless actions are on
 * Reads come from this replica's caches; API ops go through NATS like the CLI's (any replica answers).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { NatsConnection } from "@nats-io/transport-node";
import { ApiClient } from "../api/client.js";
import { MAX_REQUEST_BYTES } from "../api/protocol.js";
import type { Logger } from "../log.js";
import { isToken } from "../streams/subjects.js";
import { badRequest, HttpError, readBody, sendError, sendFailure, sendOk } from "./http.js";
import type { LiveModel } from "./live.js";
import { openLiveStream } from "./sse.js";
import type { Assets } from "./static.js";
import { ACTIONS, type Action, type Snapshot } from "./ui/wire.js";

export interface DashboardRoutesOptions {
  nc: NatsConnection;
  live: LiveModel;
  /** undefined when the page was not built (`npm run build`): `/` says so. */
  assets: Assets | undefined;
  actions: boolean;
  replica: string;
  log: Logger;
  /** Open live connections, ended when the replica stops. */
  streams: Set<ServerResponse>;
}

export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

export function dashboardRoutes(opts: DashboardRoutesOptions): RouteHandler {
  return (req, res) => {
    const url = new URL(req.url ?? "/", "http://dashboard");
    const path = url.pathname;
    if (path === "/" || path === "/index.html") return page(req, res, opts.assets);
    if (path.startsWith("/assets/")) return asset(res, opts.assets, path);
    if (!path.startsWith("/api/")) return false;
    void api(req, res, url, opts).catch((err: unknown) => {
      if (!(err instanceof HttpError)) opts.log.warn({ err, path }, "dashboard route failed");
      if (!res.headersSent) sendFailure(res, err);
      else res.end();
    });
    return true;
  };
}

function page(req: IncomingMessage, res: ServerResponse, assets: Assets | undefined): true {
  if (!assets) {
    res.writeHead(503, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" });
    res.end("The dashboard's page is not built: run `npm run build` (it writes dist/dashboard/public).\n");
    return true;
  }
  const headers = {
    "cache-control": "no-cache",
    etag: assets.index.etag,
    "content-security-policy": assets.index.csp,
    "x-content-type-options": "nosniff",
  };
  if (req.headers["if-none-match"] === assets.index.etag) {
    res.writeHead(304, headers).end();
    return true;
  }
  res.writeHead(200, { ...headers, "content-type": "text/html; charset=utf-8" });
  res.end(assets.index.body);
  return true;
}

function asset(res: ServerResponse, assets: Assets | undefined, path: string): true {
  const file =
    assets && path.startsWith(`${assets.prefix}/`)
      ? assets.file(path.slice(assets.prefix.length + 1))
      : undefined;
  if (!file) {
    res.writeHead(404, { "content-type": "text/plain", "cache-control": "no-store" }).end("not found\n");
    return true;
  }
  res.writeHead(200, {
    "content-type": file.type,
    "content-length": file.body.length,
    "cache-control": "public, max-age=31536000, immutable",
    "x-content-type-options": "nosniff",
  });
  res.end(file.body);
  return true;
}

async function api(req: IncomingMessage, res: ServerResponse, url: URL, opts: DashboardRoutesOptions) {
  const parts = url.pathname.split("/").slice(2).map(decodeURIComponent);
  const method = req.method ?? "GET";
  const snapshot = (): Snapshot => ({
    replica: opts.replica,
    actions: opts.actions,
    ...opts.live.snapshot(),
  });
  if (method === "GET" && parts.join("/") === "snapshot") return sendOk(res, snapshot());
  if (method === "GET" && parts.join("/") === "live")
    return openLiveStream(req, res, opts.live, snapshot, opts.streams);
  if (parts[0] === "apps" && parts.length === 4 && parts[3] === "history" && method === "GET") {
    const [lattice, name] = names(parts);
    return sendOk(res, await new ApiClient(opts.nc, lattice).history(name, { commands: true }));
  }
  if (parts[0] === "apps" && parts.length === 4 && isAction(parts[3])) {
    if (method !== "POST") throw methodNotAllowed(method);
    return sendOk(res, await action(req, opts, parts, parts[3]));
  }
  if (parts.join("/") === "plan") {
    if (method !== "POST") throw methodNotAllowed(method);
    const lattice = url.searchParams.get("lattice") ?? "default";
    if (!isToken(lattice)) throw badRequest("lattice", "must be a lattice name");
    const manifest = await readBody(req, MAX_REQUEST_BYTES);
    return sendOk(res, await new ApiClient(opts.nc, lattice).plan({ manifest }));
  }
  sendError(res, { code: "not_found", message: `no route ${method} ${url.pathname}`, details: [] });
}

/** A write: refused (403) while actions are off, and from another origin (a page cannot be made to post here). */
async function action(req: IncomingMessage, opts: DashboardRoutesOptions, parts: string[], what: Action) {
  if (!opts.actions) {
    throw new HttpError({
      code: "forbidden",
      message: `the dashboard is read-only: start the controller with --dashboard-actions to ${what} from it`,
      details: [],
    });
  }
  const origin = req.headers.origin;
  if (origin && new URL(origin).host !== req.headers.host) {
    throw new HttpError({
      code: "forbidden",
      message: `a write from another origin (${origin})`,
      details: [],
    });
  }
  const [lattice, name] = names(parts);
  const body = await readBody(req, 4096);
  const version = parseVersion(body);
  const api = new ApiClient(opts.nc, lattice);
  switch (what) {
    case "deploy":
      return api.deploy(name, version);
    case "undeploy":
      return api.undeploy(name);
    case "pause":
      return api.pause(name);
    case "resume":
      return api.resume(name);
    case "rollback":
      return rollback(api, opts.live, lattice, name);
  }
}

/** Deploys the version deployed before the current one (what an auto-revert would go back to). */
function rollback(api: ApiClient, live: LiveModel, lattice: string, name: string) {
  const previous = live.index(lattice, name)?.previousVersion;
  if (!previous) {
    throw new HttpError({
      code: "conflict",
      message: `${name} has no previous version to roll back to`,
      details: [],
    });
  }
  return api.deploy(name, previous);
}

function parseVersion(body: string): string | undefined {
  if (body.trim() === "") return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw badRequest("body", 'must be JSON: {} or {"version": "…"}');
  }
  const version = (parsed as { version?: unknown } | null)?.version;
  if (version === undefined) return undefined;
  if (typeof version !== "string" || version === "")
    throw badRequest("version", "must be a non-empty string");
  return version;
}

function names(parts: string[]): [string, string] {
  const [, lattice = "", name = ""] = parts;
  if (!isToken(lattice)) throw badRequest("lattice", "must be a lattice name");
  if (!isToken(name)) throw badRequest("name", "must be an app name");
  return [lattice, name];
}

function isAction(value: string | undefined): value is Action {
  return (ACTIONS as readonly string[]).includes(value ?? "");
}

function methodNotAllowed(method: string): HttpError {
  return new HttpError({ code: "bad_request", message: `method ${method} is not allowed here`, details: [] });
}
