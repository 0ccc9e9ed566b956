/**
 * How every chaos scenario ends: wait for convergence, then check the invariants of issue 8 and
 * print one report (a human block and a JSON line):
 * - every app `deployed`, placed as its scaler places it on the final hosts;
 * - no instance of an undeployed app running;
 * - nothing left unacked or undelivered in the durable consumers (dead-lettered poison counted);
 * - commands sent ≤ 1.05 × the minimum needed;
 * - time from the last fault to convergence.
 */
import { jetstreamManager } from "@nats-io/jetstream";
import {
  allCommands,
  type CommandSeen,
  consumerBacklog,
  hostRecords,
  longestRedeliveryMs,
  openHostsKv,
} from "../../test/support/lattice.js";
import { waitFor } from "../../test/support/wait.js";
import type { ChaosLattice } from "./lattice.js";
import type { Expectation } from "./placement.js";

export interface Invariant {
  name: string;
  ok: boolean;
  detail: string;
}

export interface ChaosReport {
  scenario: string;
  faults: string[];
  convergedAfterLastFaultMs: number | null;
  commands: number;
  minimumCommands: number;
  commandsOverMinimum: number;
  deadLettered: number;
  invariants: Invariant[];
}

export interface RunFacts {
  scenario: string;
  expect: Expectation;
  faults: string[];
  lastFaultAt: number;
  /** Commands needed beyond one per host of each final placement (undeploys, lost instances). */
  extraMinimum: number;
  /** What `extraMinimum` counted, one line per addition. */
  accounting?: string[];
  /** More of the minimum that only the whole command log tells (host chaos: killed lives). */
  lateMinimum?: (sent: readonly CommandSeen[]) => { extra: number; accounting: string[] };
  convergeTimeoutMs: number;
}

/** Hosts each app runs on now: one command per (host, app) is the least that placing it took. */
export async function placedHosts(lattice: ChaosLattice, apps: Iterable<string>): Promise<number> {
  const wanted = new Set(apps);
  const records = await hostRecords(await openHostsKv(lattice.nc));
  let n = 0;
  for (const rec of records) {
    const here = new Set(
      Object.values(rec.inventory)
        .filter((inv) => inv.running > 0 && wanted.has(inv.app))
        .map((inv) => inv.app),
    );
    n += here.size;
  }
  return n;
}

export async function finish(lattice: ChaosLattice, run: RunFacts): Promise<ChaosReport> {
  const invariants: Invariant[] = [];
  let convergedAt: number | null = null;
  let detail = "";
  try {
    convergedAt = await lattice.converged(run.expect, run.convergeTimeoutMs);
  } catch (err) {
    detail = (err as Error).message;
  }
  const since = convergedAt === null ? null : Math.max(0, convergedAt - run.lastFaultAt);
  invariants.push({
    name: "every app deployed, placed as its scaler places it; undeployed apps run nothing",
    ok: convergedAt !== null,
    detail: convergedAt === null ? detail : `converged ${since} ms after the last fault`,
  });
  invariants.push(await backlogInvariant(lattice));
  const sent = await allCommands(lattice.nc);
  const commands = sent.length;
  const placed = await placedHosts(lattice, run.expect.deployed.keys());
  const late = run.lateMinimum?.(sent) ?? { extra: 0, accounting: [] };
  const extra = run.extraMinimum + late.extra;
  const minimum = placed + extra;
  const ratio = minimum > 0 ? commands / minimum : 0;
  // A CI log shows only part of a failed run: the whole story of the commands goes with it.
  if (commands > 1.05 * minimum)
    console.log(commandLog(sent, [...(run.accounting ?? []), ...late.accounting]));
  invariants.push({
    name: "commands ≤ 1.05 × minimum",
    ok: commands <= 1.05 * minimum,
    detail: `${commands} commands for a minimum of ${minimum} (${ratio.toFixed(3)}: ${placed} placed now + ${extra} for undeploys and lost hosts); ${repeats(sent)}`,
  });
  const jsm = await jetstreamManager(lattice.nc);
  return {
    scenario: run.scenario,
    faults: run.faults,
    convergedAfterLastFaultMs: since,
    commands,
    minimumCommands: minimum,
    commandsOverMinimum: Number(ratio.toFixed(3)),
    deadLettered: (await jsm.streams.info("nadm_dlq")).state.messages,
    invariants,
  };
}

/** Where commands beyond one per (host, workload, count) went: the first few, for a failed ratio. */
function repeats(sent: CommandSeen[]): string {
  const groups = new Map<string, CommandSeen[]>();
  for (const c of sent) {
    const k = `${c.hostId} ${c.key} ×${c.count}`;
    groups.set(k, [...(groups.get(k) ?? []), c]);
  }
  const again = [...groups].filter(([, cs]) => cs.length > 1);
  const extra = again.reduce((n, [, cs]) => n + cs.length - 1, 0);
  const up = sent.filter((c) => c.count > 0).length;
  const sample = again
    .slice(0, 4)
    .map(
      ([k, cs]) =>
        `${k}: ${cs.map((c) => `#${c.seq} ${c.causationId.slice(0, 24)} a${c.attempt ?? 1} rev ${c.basedOnRevision}`).join(" | ")}`,
    );
  return `${up} with count > 0, ${sent.length - up} with 0; ${extra} repeat a (host, workload, count)${sample.length ? `: ${sample.join("; ")}` : ""}`;
}

/** Every command, one line each, after what the minimum counted: for a failed ratio. */
function commandLog(sent: CommandSeen[], accounting: string[]): string {
  const t0 = sent.length > 0 ? Date.parse(sent[0]!.issuedAt) : 0;
  const lines = sent.map(
    (c) =>
      `#${c.seq} +${Date.parse(c.issuedAt) - t0}ms ${c.hostId} ${c.key} ×${c.count} ${c.causationId.slice(0, 32)} a${c.attempt ?? 1} life ${c.hostStartedAt?.slice(11, 23) ?? "?"} rev ${c.basedOnRevision} ${c.id.slice(0, 12)}`,
  );
  return ["minimum counted:", ...accounting, "commands (time from the first):", ...lines].join("\n");
}

async function backlogInvariant(lattice: ChaosLattice): Promise<Invariant> {
  let last = "";
  // A message held by a replica killed at the last fault comes back only after the consumer's
  // longest backoff step (30 s for the reconcile consumer's third delivery): wait beyond it.
  const timeoutMs = (await longestRedeliveryMs(lattice.nc)) + 10_000;
  // Ticks keep flowing (one a second), so wait for a moment where both are drained.
  const ok = await waitFor(
    async () => {
      const b = await consumerBacklog(lattice.nc);
      last = JSON.stringify(b);
      return Object.values(b).every((c) => c.pending === 0 && c.ackPending === 0);
    },
    { timeoutMs, intervalMs: 200, what: "drained consumers" },
  ).then(
    () => true,
    () => false,
  );
  return { name: "nothing unacked or undelivered in the durable consumers", ok, detail: last };
}

export function formatReport(r: ChaosReport): string {
  const lines = [
    `== chaos: ${r.scenario}`,
    `faults injected: ${r.faults.length} (${r.faults.join(", ")})`,
    `time to converge after the last fault: ${r.convergedAfterLastFaultMs === null ? "never" : `${r.convergedAfterLastFaultMs} ms`}`,
    `commands ÷ minimum: ${r.commands} / ${r.minimumCommands} = ${r.commandsOverMinimum}`,
    `dead-lettered: ${r.deadLettered}`,
    ...r.invariants.map((i) => `[${i.ok ? "PASS" : "FAIL"}] ${i.name}: ${i.detail}`),
  ];
  return `${lines.join("\n")}\n${JSON.stringify({ metric: "chaos", ...r })}`;
}
