/**
 * The dashboard of one controller replica (served on `--http-port` at `/`): its read model over
 * the replica's caches, its routes, and the built page. Every replica serves the same dashboard
 * from its own caches and the streams; none is special.
 */
import type { ServerResponse } from "node:http";
import { hostname } from "node:os";
import { jetstream } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { KvCache } from "../lattice/kv-cache.js";
import type { Logger } from "../log.js";
import type { IndexSummary } from "../reconcile/app-cache.js";
import type { AppStatus } from "../streams/app-status.js";
import type { HostRecord } from "../streams/host-record.js";
import { type HeartbeatSource, LiveModel, type LiveOptions } from "./live.js";
import { dashboardRoutes, type RouteHandler } from "./routes.js";
import { closeLiveStreams } from "./sse.js";
import { defaultAssetDir, loadAssets } from "./static.js";

export interface DashboardOptions {
  nc: NatsConnection;
  indexes: KvCache<IndexSummary>;
  statuses: KvCache<AppStatus>;
  hosts: KvCache<HostRecord>;
  /** Host heartbeats (the replica's lattice view). */
  beats?: HeartbeatSource;
  /** Write routes (deploy, undeploy, pause, resume, rollback) answer 403 unless true. */
  actions: boolean;
  log: Logger;
  /** Where the built page is (default: found beside this module or in dist/). */
  assetDir?: string;
  live?: LiveOptions;
}

export interface Dashboard {
  handle: RouteHandler;
  live: LiveModel;
  stop(): void;
}

export function createDashboard(opts: DashboardOptions): Dashboard {
  const log = opts.log.child({ room: "dashboard" });
  const live = new LiveModel({ ...opts, js: jetstream(opts.nc), log }, opts.live);
  const dir = opts.assetDir ?? defaultAssetDir();
  if (!dir) log.warn("the dashboard's page is not built (npm run build): / answers 503");
  const streams = new Set<ServerResponse>();
  const handle = dashboardRoutes({
    nc: opts.nc,
    live,
    assets: dir ? loadAssets(dir) : undefined,
    actions: opts.actions,
    replica: `${hostname()} pid ${process.pid}`,
    log,
    streams,
  });
  return {
    handle,
    live,
    stop() {
      closeLiveStreams(streams);
      live.stop();
    },
  };
}
