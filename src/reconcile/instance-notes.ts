/**
 * What hosts say about a component's instances beyond counts, turned into status words: its
 * artifact being fetched (or missing, corrupt: then the component has failed), a probe failing
 * now, an instance restarting and why. Pure; `status.ts` appends the notes to a
 * component's message and takes `failure` as the reason of a `failed` phase.
 */
import type { WorkloadOnHost } from "../lattice/view.js";

export interface InstanceNotes {
  /** Set when something on a host makes the component fail as a whole. */
  failure?: string;
  /** Clauses for the message, e.g. "east-1: readiness probe GET :4312/ready: HTTP 503". */
  notes: string[];
}

export function instanceNotes(current: readonly WorkloadOnHost[]): InstanceNotes {
  const notes: string[] = [];
  let failure: string | undefined;
  for (const w of current) {
    const inv = w.inventory;
    const host = w.host.hostId;
    const artifact = inv.artifact;
    if (artifact?.state === "failed")
      failure ??= `${artifact.error ?? `artifact ${artifact.name} failed`} on ${host}`;
    else if (artifact?.state === "fetching") notes.push(`${fetching(artifact)} on ${host}`);
    else if (inv.failed > 0 && inv.lastError) notes.push(`restarting on ${host} after: ${inv.lastError}`);
    else if (inv.probe && inv.ready < inv.running) notes.push(`${host}: ${inv.probe}`);
  }
  return failure ? { failure, notes } : { notes };
}

/** "fetching artifact web-1.4.2 (12 MB, 40 %)" */
export function fetching(a: { name: string; bytes: number; size: number }): string {
  if (a.size === 0) return `fetching artifact ${a.name}`;
  const percent = Math.floor((100 * a.bytes) / a.size);
  return `fetching artifact ${a.name} (${megabytes(a.size)}, ${percent} %)`;
}

function megabytes(bytes: number): string {
  const mb = bytes / (1024 * 1024);
  if (mb >= 10) return `${Math.round(mb)} MB`;
  if (mb >= 0.1) return `${mb.toFixed(1)} MB`;
  return `${Math.max(1, Math.round(bytes / 1024))} KB`;
}
