import assert from "node:assert/strict";
import { test } from "node:test";
import type { HostState } from "../../../src/lattice/view.js";
import { SuspectSets } from "../../../src/reconcile/suspect-sets.js";
import { host, NOW } from "./builders.js";

/** Heartbeat 1 s: suspect after 2 s of silence (liveness.ts suspectAfterMs). */
const fleet = (silentMs: Record<string, number>): HostState[] =>
  Object.entries(silentMs).map(([id, ms]) => host(id, "", [], 1, { seenAt: NOW - ms }));

function sets(hosts: HostState[]) {
  const byId = new Map(hosts.map((h) => [h.hostId, h]));
  return { byId, list: hosts };
}

test("SuspectSets: one verdict serves a burst, but not past a suspect host's report", () => {
  const s = new SuspectSets(250);
  const { byId, list } = sets(fleet({ h1: 3_000, h2: 0, h3: 0 }));
  const first = s.of("default", list, byId, NOW);
  assert.deepEqual([...first], ["h1"]);
  assert.equal(s.of("default", list, byId, NOW + 100), first, "reused within 250 ms");

  // h1 restarts and reports: the view replaces its element in place (the list stays the same).
  const back = host("h1", "", [], 2, { seenAt: NOW + 150 });
  byId.set("h1", back);
  list[0] = back;
  assert.deepEqual([...s.of("default", list, byId, NOW + 160)], [], "not suspect once it reported");
});

test("SuspectSets: a host falling silent is found at the next verdict, at most 250 ms late", () => {
  const s = new SuspectSets(250);
  const { byId, list } = sets(fleet({ h1: 1_900, h2: 0, h3: 0 }));
  assert.deepEqual([...s.of("default", list, byId, NOW)], []);
  assert.deepEqual([...s.of("default", list, byId, NOW + 200)], [], "the verdict still serves");
  assert.deepEqual([...s.of("default", list, byId, NOW + 250)], ["h1"]);
});

test("SuspectSets: a host joining or leaving (a new list) gets a new verdict at once", () => {
  const s = new SuspectSets(250);
  const a = sets(fleet({ h1: 0, h2: 0, h3: 0 }));
  assert.deepEqual([...s.of("default", a.list, a.byId, NOW)], []);
  const b = sets(fleet({ h1: 0, h2: 0, h3: 0, h4: 5_000 }));
  assert.deepEqual([...s.of("default", b.list, b.byId, NOW + 10)], ["h4"]);
});
