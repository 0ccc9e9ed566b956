/** The page's state: snapshot, patches, live status log and the placement grid (pure). */
import assert from "node:assert/strict";
import { test } from "node:test";
import { DashboardState, placementByZone } from "../../../src/dashboard/ui/state.js";
import type { AppRow, HostRow, StreamItem } from "../../../src/dashboard/ui/wire.js";

const app = (name: string, o: Partial<AppRow> = {}): AppRow => ({
  id: `default/${name}`,
  lattice: "default",
  name,
  version: "v1",
  previousVersion: null,
  paused: false,
  phase: "deployed",
  message: "1/1 ready",
  ready: 1,
  desired: 1,
  updatedAt: "2026-01-01T00:00:00.000Z",
  components: [],
  ...o,
});
const host = (
  hostId: string,
  zone: string | undefined,
  workloads: Array<[string, string, number, number]>,
  state: HostRow["state"] = "live",
): HostRow => ({
  id: `default/${hostId}`,
  lattice: "default",
  hostId,
  state,
  labels: zone ? { zone } : {},
  driver: "sim",
  lastSeen: "2026-01-01T00:00:00.000Z",
  heartbeatIntervalMs: 1000,
  workloads: workloads.map(([key, app, running, ready]) => ({
    key,
    app,
    component: key.split(".")[1]!,
    rev: key.split(".")[2]!,
    desired: running,
    running,
    ready,
    failed: 0,
    restarts: 0,
    lastError: null,
  })),
});
const item = (seq: number): StreamItem => ({
  stream: "command",
  seq,
  at: "t",
  lattice: "default",
  type: "command",
  text: `c${seq}`,
});

test("snapshot, then patches: rows put and dropped, stream items once each, every status write logged", () => {
  const s = new DashboardState();
  s.applySnapshot({
    replica: "r",
    actions: false,
    apps: [app("b"), app("a")],
    hosts: [host("h1", "a", [])],
    stream: [item(1)],
  });
  assert.deepEqual(
    s.appList().map((a) => a.name),
    ["a", "b"],
  );
  s.applyPatch({
    apps: [app("c")],
    appsRemoved: ["default/b"],
    hostsRemoved: ["default/h1"],
    stream: [item(1), item(2)],
    statuses: [
      { id: "default/a", at: "t1", phase: "reconciling", message: "0/1 ready", version: "v1" },
      { id: "default/a", at: "t2", phase: "deployed", message: "1/1 ready", version: "v1" },
      { id: "default/a", at: "t2", phase: "deployed", message: "1/1 ready", version: "v1" },
    ],
  });
  assert.deepEqual(
    s.appList().map((a) => a.name),
    ["a", "c"],
  );
  assert.equal(s.hostList().length, 0);
  assert.deepEqual(
    s.stream.map((i) => i.seq),
    [1, 2],
  );
  assert.deepEqual(
    s.statusSeen.get("default/a")?.map((x) => x.phase),
    ["reconciling", "deployed"],
  );
});

test("placementByZone: per zone, per host and component, all revisions summed; other apps left out", () => {
  const hosts = [
    host("e1", "east", [
      ["web.c.r1", "web", 1, 1],
      ["web.c.r2", "web", 1, 0],
      ["api.c.r1", "api", 3, 3],
    ]),
    host("w1", "west", [["web.c.r2", "web", 2, 2]]),
    host("w2", "west", [["web.c.r1", "web", 1, 1]], "lost"),
    host("x", undefined, [["api.c.r1", "api", 1, 1]]),
  ];
  const grid = placementByZone(hosts, "default", "web", new Set(["web.c.r2"]));
  assert.deepEqual([...grid.keys()], ["east", "west"]);
  assert.deepEqual(grid.get("east"), [
    { hostId: "e1", state: "live", component: "c", desired: 2, running: 2, ready: 1, onNew: 1 },
  ]);
  assert.deepEqual(
    grid.get("west")?.map((c) => [c.hostId, c.state, c.running, c.onNew]),
    [
      ["w1", "live", 2, 2],
      ["w2", "lost", 1, 0],
    ],
  );
  assert.deepEqual([...placementByZone(hosts, "default", "api").keys()], ["", "east"]);
  assert.equal(placementByZone(hosts, "other", "web").size, 0);
});
