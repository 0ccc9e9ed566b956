/**
 * `{dataDir}/instances.json`: the process groups this host started, so that an agent restarted
 * with the same data dir can kill what a previous life left behind (e.g. when setpriv is
 * missing, or an instance forked children that do not inherit the parent-death signal).
 *
 * A pid is trusted only together with its start time (`/proc/<pid>/stat` field 22, in clock
 * ticks since boot): a recycled pid has a different start time and is left alone.
 */
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface InstanceRecord {
  /** Pid of the instance, which is also its process group id (it leads its own session). */
  pid: number;
  /** Start time in clock ticks since boot; null where /proc is unavailable. */
  startTicks: number | null;
  workloadKey: string;
  index: number;
}

export interface ProcStat {
  state: string;
  pgrp: number;
  startTicks: number;
}

/** Parses `/proc/<pid>/stat`; undefined when the process does not exist (or no /proc). */
export function readProcStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const startTicks = Number(fields[19]);
  if (!fields[0] || !Number.isFinite(startTicks)) return undefined;
  return { state: fields[0], pgrp: Number(fields[2]), startTicks };
}

/** Alive and not a zombie. */
export function isProcessAlive(pid: number): boolean {
  const stat = readProcStat(pid);
  if (stat) return stat.state !== "Z" && stat.state !== "X";
  if (existsSync("/proc/self/stat")) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The recorded process still runs: same pid, same start time, not a zombie. */
export function stillRunning(record: Pick<InstanceRecord, "pid" | "startTicks">): boolean {
  const stat = readProcStat(record.pid);
  if (!stat) return record.startTicks === null && isProcessAlive(record.pid);
  return (
    stat.state !== "Z" &&
    stat.state !== "X" &&
    (record.startTicks === null || stat.startTicks === record.startTicks)
  );
}

/** Live (non-zombie) pids whose process group is `pgid`. */
export function groupMembers(pgid: number): number[] {
  let entries: string[];
  try {
    entries = readdirSync("/proc").filter((name) => /^\d+$/.test(name));
  } catch {
    return [];
  }
  return entries.map(Number).filter((pid) => {
    const stat = readProcStat(pid);
    return stat !== undefined && stat.pgrp === pgid && stat.state !== "Z";
  });
}

export class InstancesFile {
  private records = new Map<number, InstanceRecord>();

  constructor(readonly path: string) {}

  static at(dataDir: string): InstancesFile {
    return new InstancesFile(join(dataDir, "instances.json"));
  }

  /** Whatever a previous life recorded; an unreadable file counts as empty. */
  read(): InstanceRecord[] {
    try {
      const raw = JSON.parse(readFileSync(this.path, "utf8")) as { instances?: InstanceRecord[] };
      return Array.isArray(raw.instances) ? raw.instances.filter((r) => Number.isInteger(r?.pid)) : [];
    } catch {
      return [];
    }
  }

  add(record: InstanceRecord): void {
    this.records.set(record.pid, record);
    this.flush();
  }

  remove(pid: number): void {
    if (this.records.delete(pid)) this.flush();
  }

  clear(): void {
    this.records.clear();
    this.flush();
  }

  /** Write-then-rename, so a crash mid-write never leaves a truncated file. */
  private flush(): void {
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, JSON.stringify({ version: 1, instances: [...this.records.values()] }));
    renameSync(tmp, this.path);
  }
}

/**
 * Kills the process groups of `records` that are verifiably ours (same pid *and* start time,
 * or the leader gone but its group still populated). Returns the pids it signalled.
 */
export function killStale(records: InstanceRecord[]): number[] {
  const killed: number[] = [];
  for (const record of records) {
    const leader = readProcStat(record.pid);
    if (leader && leader.state !== "Z" && leader.startTicks !== record.startTicks) continue; // recycled pid
    // The kernel never hands out a pid that is still some group's id, so a group with this id
    // whose leader is gone is the old instance's.
    const targets = leader ? [record.pid] : groupMembers(record.pid);
    if (targets.length === 0) continue;
    signal(-record.pid, "SIGKILL");
    for (const pid of targets) signal(pid, "SIGKILL");
    killed.push(record.pid);
  }
  return killed;
}

export function signal(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false; // already gone (ESRCH), which is what we wanted
  }
}
