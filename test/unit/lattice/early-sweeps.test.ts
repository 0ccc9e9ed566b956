/**
 * EarlySweeps: after a tick, the replica sweeps again when the next suspect host expires before
 * the next tick, in batches at least MIN_GAP_MS apart. Timers and the clock are node:test's mock
 * timers, advanced in 10 ms steps; each sweep records when it ran and drops the hosts it found
 * expired, as sweepLattice deletes their records.
 */
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, mock, test } from "node:test";
import { EarlySweeps, MIN_GAP_MS } from "../../../src/lattice/early-sweeps.js";
import { expiredHosts } from "../../../src/lattice/liveness.js";
import type { HostState } from "../../../src/lattice/view.js";
import { silentLogger } from "../../../src/log.js";
import { host, NOW } from "../reconcile/builders.js";

const HEARTBEAT_MS = 5_000; // expired after 15 s of silence, suspect after 7.5 s
const TICK_MS = 1_000;
const STEP_MS = 10;

/** A host that expires `inMs` after NOW (seen 15 s − inMs ago). */
const expiringIn = (id: string, inMs: number) =>
  host(id, "", [], 1, { seenAt: NOW - 3 * HEARTBEAT_MS + inMs, heartbeatIntervalMs: HEARTBEAT_MS });

interface Run {
  /** ms after NOW at which each sweep ran, with the hosts it found expired. */
  sweeps: Array<{ at: number; lost: string[] }>;
  sweeper: EarlySweeps;
}

/** Ticks once at NOW, then lets `forMs` pass in STEP_MS steps (microtasks run after each). */
async function run(hosts: HostState[], forMs: number, opts: { failing?: boolean } = {}): Promise<Run> {
  let alive = [...hosts];
  const sweeps: Run["sweeps"] = [];
  const sweeper = new EarlySweeps({
    sweep: async () => {
      const lost = expiredHosts(alive, Date.now()).map((h) => h.hostId);
      sweeps.push({ at: Date.now() - NOW, lost });
      if (opts.failing) throw new Error("JetStream unavailable");
      alive = alive.filter((h) => !lost.includes(h.hostId));
    },
    hosts: () => alive,
    notBefore: () => 0,
    log: silentLogger(),
  });
  sweeper.afterTick("default", TICK_MS);
  for (let t = 0; t < forMs; t += STEP_MS) {
    mock.timers.tick(STEP_MS);
    await new Promise((resolve) => setImmediate(resolve));
  }
  return { sweeps, sweeper };
}

describe("EarlySweeps", () => {
  beforeEach(() => mock.timers.enable({ apis: ["setTimeout", "Date"], now: NOW }));
  afterEach(() => mock.timers.reset());

  const rows: Array<{ name: string; hosts: HostState[]; sweeps: Run["sweeps"] }> = [
    {
      name: "hosts that report: no sweep between ticks",
      hosts: [host("a", "", [], 1, { seenAt: NOW, heartbeatIntervalMs: HEARTBEAT_MS })],
      sweeps: [],
    },
    {
      name: "a suspect host expiring before the next tick is swept as it expires",
      hosts: [expiringIn("a", 500)],
      sweeps: [{ at: 510, lost: ["a"] }],
    },
    {
      name: "one expiring after the next tick is left to that tick",
      hosts: [expiringIn("a", 1_000), expiringIn("b", 1_500)],
      sweeps: [],
    },
    {
      name: "one expiring right after the tick's sweep waits MIN_GAP_MS",
      hosts: [expiringIn("a", 20)],
      sweeps: [{ at: MIN_GAP_MS, lost: ["a"] }],
    },
    {
      name: "hosts expiring 50 ms apart are swept in batches MIN_GAP_MS apart",
      hosts: [100, 150, 200, 250, 300, 350, 400, 450].map((ms) => expiringIn(`h${ms}`, ms)),
      sweeps: [
        { at: 200, lost: ["h100", "h150"] },
        { at: 400, lost: ["h200", "h250", "h300", "h350"] },
        { at: 600, lost: ["h400", "h450"] },
      ],
    },
  ];
  for (const row of rows) {
    test(row.name, async () => {
      const { sweeps, sweeper } = await run(row.hosts, 3 * TICK_MS);
      sweeper.stop();
      assert.deepEqual(sweeps, row.sweeps);
    });
  }

  test("stop() cancels the pending sweep", async () => {
    const { sweeps, sweeper } = await run([expiringIn("a", 500)], 100);
    sweeper.stop();
    for (let t = 0; t < TICK_MS; t += STEP_MS) mock.timers.tick(STEP_MS);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(sweeps, []);
  });

  test("a failing sweep is logged, and the next expiry still gets its sweep", async () => {
    const { sweeps, sweeper } = await run([expiringIn("a", 300), expiringIn("b", 700)], 2 * TICK_MS, {
      failing: true,
    });
    sweeper.stop();
    // Nothing is deleted, so "a" stays expired (the next tick's), and "b" gets its own sweep.
    assert.deepEqual(
      sweeps.map((s) => s.at),
      [310, 710],
    );
  });
});
