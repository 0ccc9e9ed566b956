import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { silentLogger } from "../../../src/log.js";
import { InflightView } from "../../../src/reconcile/inflight.js";
import { LATTICE, NOW, workload } from "./builders.js";

const TIMEOUT = 15_000;
const KEY = "shop.web.abc123";

/**
 * A command as the view records it: issued `ago` ms before NOW, at stream sequence `seq`
 * (by default later commands in time get later sequences).
 */
function cmd(id: string, count: number, ago = 0, over: { hostId?: string; key?: string; seq?: number } = {}) {
  return {
    id,
    lattice: LATTICE,
    hostId: over.hostId ?? "h1",
    count,
    component: "web",
    workload: { key: over.key ?? KEY, rev: "abc123" },
    seq: over.seq ?? 1_000_000 - ago,
    seenAt: NOW - ago,
  };
}

function view(...cmds: ReturnType<typeof cmd>[]): InflightView {
  const v = new InflightView(TIMEOUT, silentLogger());
  for (const c of cmds) v.record(c, c.seq, c.seenAt);
  return v;
}

describe("InflightView.record keeps the newest command per slot", () => {
  const rows: Array<{ name: string; cmds: ReturnType<typeof cmd>[]; newest: string }> = [
    { name: "later after earlier", cmds: [cmd("a", 1, 2000), cmd("b", 2, 1000)], newest: "b" },
    { name: "earlier after later (out of order)", cmds: [cmd("b", 2, 1000), cmd("a", 1, 2000)], newest: "b" },
    {
      name: "ordered by stream sequence, not by clock",
      cmds: [cmd("a", 1, 0, { seq: 5 }), cmd("b", 2, 1000, { seq: 6 })],
      newest: "b",
    },
    { name: "a redelivered copy changes nothing", cmds: [cmd("a", 1, 1000), cmd("a", 1, 1000)], newest: "a" },
    {
      name: "other hosts and keys are other slots",
      cmds: [cmd("a", 1, 2000), cmd("x", 3, 0, { hostId: "h2" }), cmd("y", 3, 0, { key: "shop.web.zzz" })],
      newest: "a",
    },
  ];
  for (const row of rows) {
    test(row.name, () => {
      const pending = view(...row.cmds).pending(LATTICE, "h1", KEY, undefined, NOW);
      assert.equal(pending?.id, row.newest);
    });
  }
});

describe("InflightView.pending", () => {
  const [, reportedOld] = workload(KEY, { desired: 1, lastCommandId: "old" });
  const [, reportedTaken] = workload(KEY, { desired: 2 });
  const [, reportedById] = workload(KEY, { desired: 0, lastCommandId: "c1" });
  const rows: Array<{
    name: string;
    ago: number;
    reported?: typeof reportedOld;
    at?: { lattice?: string; hostId?: string; key?: string };
    pending: boolean;
  }> = [
    { name: "just issued, host has no entry yet", ago: 0, pending: true },
    {
      name: "younger than the timeout, host still on its old count",
      ago: TIMEOUT - 1,
      reported: reportedOld,
      pending: true,
    },
    { name: "at the timeout: given up on", ago: TIMEOUT, pending: false },
    { name: "past the timeout", ago: TIMEOUT + 5000, reported: reportedOld, pending: false },
    { name: "host reports the commanded count", ago: 0, reported: reportedTaken, pending: false },
    { name: "host reports the command id as applied", ago: 0, reported: reportedById, pending: false },
    { name: "another host", ago: 0, at: { hostId: "h2" }, pending: false },
    { name: "another workload", ago: 0, at: { key: "shop.web.other" }, pending: false },
    { name: "another lattice", ago: 0, at: { lattice: "prod" }, pending: false },
  ];
  for (const row of rows) {
    test(`${row.name} → ${row.pending ? "pending" : "not pending"}`, () => {
      const v = view(cmd("c1", 2, row.ago));
      const at = { lattice: LATTICE, hostId: "h1", key: KEY, ...row.at };
      const got = v.pending(at.lattice, at.hostId, at.key, row.reported, NOW);
      assert.deepEqual(got, row.pending ? { id: "c1", count: 2 } : undefined);
    });
  }

  test("a newer command replaces what is pending", () => {
    const v = view(cmd("c1", 2, 3000), cmd("c2", 0, 1000));
    assert.deepEqual(v.pending(LATTICE, "h1", KEY, reportedTaken, NOW), { id: "c2", count: 0 });
  });
});

test("appsPendingOn: the apps with a command to a host still within the timeout", () => {
  const v = view(
    cmd("a", 1, 1000, { key: "shop.web.r1" }),
    cmd("b", 2, 1000, { key: "shop.api.r1" }),
    cmd("c", 1, 1000, { key: "blog.web.r1" }),
    cmd("d", 1, TIMEOUT + 1, { key: "old.web.r1" }),
    cmd("e", 1, 1000, { key: "other.web.r1", hostId: "h2" }),
  );
  assert.deepEqual(v.appsPendingOn(LATTICE, "h1", NOW).sort(), ["blog", "shop"]);
  assert.deepEqual(v.appsPendingOn(LATTICE, "h3", NOW), []);
});

describe("InflightView.pending across a host restart", () => {
  const rows: Array<{ name: string; startedAgo: number | undefined; pending: boolean }> = [
    { name: "host started before the command", startedAgo: 5000, pending: true },
    { name: "host restarted after the command", startedAgo: 500, pending: false },
    { name: "host start unknown", startedAgo: undefined, pending: true },
  ];
  for (const row of rows) {
    test(`${row.name} → ${row.pending ? "pending" : "not pending"}`, () => {
      const startedAt =
        row.startedAgo === undefined ? undefined : new Date(NOW - row.startedAgo).toISOString();
      const v = new InflightView(TIMEOUT, silentLogger(), (_l, h) => (h === "h1" ? startedAt : undefined));
      const c = cmd("c1", 2, 1000);
      v.record(c, c.seq, c.seenAt);
      assert.deepEqual(
        v.pending(LATTICE, "h1", KEY, undefined, NOW),
        row.pending ? { id: "c1", count: 2 } : undefined,
      );
    });
  }
});

describe("InflightView.pending: a command that names the host life it was planned for", () => {
  const [l1, l2] = [new Date(NOW - 60_000).toISOString(), new Date(NOW - 500).toISOString()];
  const rows: Array<{ name: string; plannedFor: string; current: string | undefined; pending: boolean }> = [
    { name: "planned for the current life", plannedFor: l2, current: l2, pending: true },
    // Issued after the restart by a replica whose view still had the old record.
    {
      name: "planned for the previous life, issued after the restart",
      plannedFor: l1,
      current: l2,
      pending: false,
    },
    { name: "current life unknown", plannedFor: l1, current: undefined, pending: true },
  ];
  for (const row of rows) {
    test(`${row.name} → ${row.pending ? "pending" : "not pending"}`, () => {
      const v = new InflightView(TIMEOUT, silentLogger(), () => row.current);
      const c = { ...cmd("c1", 2, 100), hostStartedAt: row.plannedFor };
      v.record(c, c.seq, c.seenAt);
      assert.deepEqual(
        v.pending(LATTICE, "h1", KEY, undefined, NOW),
        row.pending ? { id: "c1", count: 2 } : undefined,
      );
    });
  }
});

describe("InflightView.lastIssuedAt bounds every pending command of the app (resync-skip.ts)", () => {
  const other = "shop.api.def456";
  const rows: Array<{ name: string; cmds: ReturnType<typeof cmd>[]; want: number | undefined }> = [
    { name: "no command", cmds: [], want: undefined },
    {
      name: "the newest of several slots",
      cmds: [cmd("a", 1, 9000), cmd("b", 1, 2000, { key: other })],
      want: NOW - 2000,
    },
    {
      name: "a later clock on an earlier sequence still counts",
      cmds: [cmd("a", 1, 0, { seq: 5 }), cmd("b", 2, 1000, { seq: 6 })],
      want: NOW,
    },
    {
      name: "another app's command does not",
      cmds: [cmd("x", 1, 0, { key: "cart.web.abc" })],
      want: undefined,
    },
  ];
  for (const row of rows) {
    test(row.name, () => {
      const v = view(...row.cmds);
      assert.equal(v.lastIssuedAt(LATTICE, "shop"), row.want);
      // Once past the timeout, nothing of the app is pending anywhere.
      const later = (row.want ?? NOW) + TIMEOUT;
      for (const c of row.cmds)
        assert.equal(v.pending(LATTICE, c.hostId, c.workload.key, undefined, later), undefined);
    });
  }
});

test("placementsOf: the app's commands with a count above 0 within the timeout, newest per slot", () => {
  const v = view(
    cmd("a", 1, 1000, { hostId: "h1" }),
    cmd("b", 0, 500, { hostId: "h1" }),
    cmd("c", 2, 1000, { hostId: "h2" }),
    cmd("d", 1, TIMEOUT + 1, { hostId: "h3" }),
    cmd("e", 1, 1000, { hostId: "h4", key: "blog.web.r1" }),
  );
  assert.deepEqual(v.placementsOf(LATTICE, "shop", NOW), [
    { hostId: "h2", key: KEY, component: "web", rev: "abc123" },
  ]);
  assert.deepEqual(v.placementsOf(LATTICE, "nothing", NOW), []);
});
