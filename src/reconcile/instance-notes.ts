/**
 * What hosts say about a component's instances beyond counts, turned into status words: a
 * probe failing now, an instance restarting and why. Pure; `status.ts` appends the notes to a
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
  for (const w of current) {
    const inv = w.inventory;
    const host = w.host.hostId;
    if (inv.failed > 0 && inv.lastError) notes.push(`restarting on ${host} after: ${inv.lastError}`);
    else if (inv.probe && inv.ready < inv.running) notes.push(`${host}: ${inv.probe}`);
  }
  return { notes };
}
