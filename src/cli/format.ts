/**
 * Human renderings of API results (the --json output is the result itself).
 */
import type * as P from "../api/protocol.js";
import type { AppStatus } from "../streams/app-status.js";
import { age, table } from "./output.js";

export function formatStatus(s: AppStatus): string {
  const head = [
    `app:      ${s.name}`,
    `version:  ${s.version ?? "-"}`,
    `phase:    ${s.phase}`,
    `message:  ${s.message}`,
    `updated:  ${s.updatedAt === new Date(0).toISOString() ? "-" : `${s.updatedAt} (${age(s.updatedAt)} ago)`}`,
  ];
  if (s.components.length === 0) return head.join("\n");
  const rows = s.components.map((c) => [
    c.name,
    c.scaler ?? "-",
    c.phase,
    `${c.ready}/${c.desired}`,
    c.running,
    Object.entries(c.hosts)
      .map(([h, n]) => `${h}=${n}`)
      .join(",") || "-",
    c.message,
  ]);
  return `${head.join("\n")}\n\n${table(["COMPONENT", "SCALER", "PHASE", "READY", "RUNNING", "HOSTS", "MESSAGE"], rows)}`;
}

export function formatList(r: P.ListResult): string {
  if (r.apps.length === 0) return "no applications stored (add one with `nadm app put FILE`)";
  return table(
    ["NAME", "DEPLOYED", "LATEST", "VERSIONS", "PHASE", "MESSAGE"],
    r.apps.map((a) => [
      a.name,
      a.deployedVersion ?? "-",
      a.latestVersion ?? "-",
      a.versions,
      a.paused ? `${a.phase} (paused)` : a.phase,
      a.message,
    ]),
  );
}

export function formatVersions(r: P.VersionsResult): string {
  return table(
    ["VERSION", "CREATED", "DEPLOYED"],
    r.versions.map((v) => [v.version, v.createdAt, v.deployed ? "yes" : ""]),
  );
}

/** Status transitions, API actions and (with --commands) commands, merged in time order. */
export function formatHistory(r: P.HistoryResult): string {
  const rows: Array<[string, string, string, string]> = [
    ...r.entries.map((e): [string, string, string, string] => [
      e.updatedAt,
      e.phase,
      e.version ?? "-",
      e.message,
    ]),
    ...(r.actions ?? []).map((a): [string, string, string, string] => [
      a.at,
      a.action,
      a.version ?? "-",
      a.reason ?? "",
    ]),
    ...(r.commands ?? []).map((c): [string, string, string, string] => [
      c.at,
      "command",
      "-",
      `${c.hostId} ${c.workload} → ${c.count} (${c.reason})`,
    ]),
  ];
  if (rows.length === 0) return `no history recorded for ${r.name} yet`;
  rows.sort((a, b) => a[0].localeCompare(b[0]));
  return table(["TIME", "WHAT", "VERSION", "DETAIL"], rows);
}
