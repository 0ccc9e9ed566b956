/**
 * The `status` reply: the status the reconciler stored, checked against what hosts report, so it
 * never claims less (or more) than what runs. Right after `undeploy` or `delete` the stored
 * status can still describe the deployment, and hosts still run its instances until they have
 * been told to stop: the reply then says "undeployed: stopping 3 instances" with the counts the
 * hosts report, until they report 0. Nothing here invents a status or a timestamp: every field
 * comes from the stored status, the app's index or a host's report.
 */
import type { AppIndex } from "../manifests/app-index.js";
import type { AppStatus, ComponentStatus, RunningComponent } from "../streams/app-status.js";

export type { RunningComponent } from "../streams/app-status.js";

/** Reports of every component of `app` that some live host still runs. */
export type HostReports = (lattice: string, app: string) => RunningComponent[];

export interface StatusInput {
  name: string;
  /** The app's index and the server time of its last write; undefined once the app is deleted. */
  index: { value: AppIndex; writtenAt: Date } | undefined;
  stored: AppStatus | undefined;
  running: RunningComponent[];
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function latest(...times: Array<string | Date | undefined>): string {
  const ms = times.map((t) => (t === undefined ? Number.NaN : new Date(t).getTime())).filter(Number.isFinite);
  return new Date(Math.max(...ms)).toISOString();
}

function reportedComponents(running: RunningComponent[], phase: AppStatus["phase"]): ComponentStatus[] {
  return running.map((r) => ({
    name: r.component,
    scaler: null,
    phase,
    message: `${plural(r.running, "instance")} running, as hosts report`,
    desired: 0,
    running: r.running,
    ready: r.ready,
    hosts: r.hosts,
  }));
}

/** The status reply, or undefined when there is nothing to tell (no app, no status, nothing running). */
export function composeStatus(input: StatusInput): AppStatus | undefined {
  const { index, stored, running } = input;
  const app = index?.value;
  if (app?.deployedVersion) return deployedStatus(input, app);
  const total = running.reduce((n, r) => n + r.running, 0);
  if (!app && !stored && total === 0) return undefined;
  // Not deployed: what runs is what hosts report, whatever the stored status still says.
  const what = app ? "undeployed" : "deleted";
  return {
    name: input.name,
    version: null,
    phase: "undeployed",
    message: total > 0 ? `${what}: stopping ${plural(total, "instance")}` : what,
    observedGeneration: stored?.observedGeneration ?? 0,
    updatedAt: latest(index?.writtenAt, stored?.updatedAt, ...running.map((r) => r.reportedAt)),
    components: reportedComponents(running, "undeployed"),
  };
}

/** Deployed: the reconciler's status once it has seen this generation; until then, say so. */
function deployedStatus(input: StatusInput, app: AppIndex): AppStatus {
  const { stored, running, index } = input;
  if (stored && stored.observedGeneration >= app.generation && stored.version === app.deployedVersion) {
    return stored;
  }
  const total = running.reduce((n, r) => n + r.running, 0);
  const reported = total > 0 ? `; hosts report ${plural(total, "instance")} running` : "";
  const last = stored ? ` (last status: ${stored.message})` : "";
  return {
    name: input.name,
    version: app.deployedVersion,
    phase: "reconciling",
    message: `version ${app.deployedVersion} deployed; waiting for a controller to reconcile it${reported}${last}`,
    observedGeneration: stored?.observedGeneration ?? 0,
    updatedAt: latest(index?.writtenAt, stored?.updatedAt),
    components: reportedComponents(running, "reconciling"),
  };
}
