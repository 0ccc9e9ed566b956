/**
 * The controller's answer to the `plan` op: the forecast of deploying a version from this
 * replica's view of the lattice, in the shape of the API's `PlanResult` (which the api room
 * declares; this room does not import it, the shapes meet in controller.ts).
 */
import type { KvCache } from "../lattice/kv-cache.js";
import type { LatticeView } from "../lattice/view.js";
import type { AppIndex } from "../manifests/app-index.js";
import type { Manifest } from "../manifests/schema.js";
import type { ScalerRegistry } from "../scalers/index.js";
import type { AppStatus, Phase } from "../streams/app-status.js";
import { keys } from "../streams/subjects.js";
import { forecast, type Wave } from "./forecast.js";
import type { InflightView } from "./inflight.js";
import { observed } from "./unapplied.js";

export interface PlanSources {
  view: LatticeView;
  inflight: InflightView;
  statuses: KvCache<AppStatus>;
  registry: ScalerRegistry;
}

export interface DeployPlan {
  name: string;
  version: string;
  from: string | null;
  waves: Array<Wave & { wave: number }>;
  placement: Record<string, Record<string, number>>;
  phase: Phase;
  message: string;
  finished: boolean;
}

export function planDeploy(
  src: PlanSources,
  lattice: string,
  app: string,
  target: { version: string; manifest: Manifest },
  stored: AppIndex | undefined,
  now = Date.now(),
): DeployPlan {
  const { view, inflight } = src;
  const current = stored?.deployedVersion ?? null;
  const f = forecast({
    lattice,
    app,
    stored: {
      deployedVersion: target.version,
      previousVersion: current !== target.version ? current : (stored?.previousVersion ?? null),
      generation: stored?.generation ?? 0,
      paused: false,
      deployed: target,
    },
    hosts: view.hosts(lattice),
    hostsById: view.hostMap(lattice),
    ...observed(view, inflight, lattice, app, now),
    registry: src.registry,
    now,
    previous: src.statuses.get(keys.status(lattice, app))?.value,
  });
  return {
    name: app,
    version: target.version,
    from: current,
    waves: f.waves.map((w, i) => ({ wave: i + 1, groups: w.groups, commands: w.commands })),
    placement: f.placement,
    phase: f.status?.phase ?? "undeployed",
    message: f.status?.message ?? "nothing to run",
    finished: f.finished,
  };
}
