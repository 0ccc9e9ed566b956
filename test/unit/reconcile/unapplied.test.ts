import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { HostState } from "../../../src/lattice/view.js";
import type { Placed } from "../../../src/reconcile/inflight.js";
import { withUnapplied } from "../../../src/reconcile/unapplied.js";
import {
  host,
  keyOf,
  lines,
  manifest,
  type PendingTable,
  run,
  storedApp,
  webApp,
  workload,
  workloadsOf,
} from "./builders.js";

const app = manifest(webApp("v1", "- type: spreadscaler\n  properties: { instances: 1 }"));
const KEY = keyOf(app, "web");
const placedOn = (hostId: string): Placed => ({
  hostId,
  key: KEY,
  component: "web",
  rev: KEY.split(".")[2]!,
});

describe("withUnapplied: an entry for each pending placement the host has not reported", () => {
  const rows: Array<{
    name: string;
    hosts: HostState[];
    placed: Placed[];
    pending?: string[];
    suspect?: string[];
    added: string[];
  }> = [
    { name: "pending on a host with no entry", hosts: [host("h1")], placed: [placedOn("h1")], added: ["h1"] },
    {
      name: "the host reports the workload already: its own entry stands",
      hosts: [host("h1", "", [workload(KEY, { desired: 0 })])],
      placed: [placedOn("h1")],
      added: [],
    },
    {
      name: "no longer pending (applied, timed out, another life)",
      hosts: [host("h1")],
      placed: [placedOn("h1")],
      pending: [],
      added: [],
    },
    { name: "host not in the view (lost)", hosts: [host("h2")], placed: [placedOn("h1")], added: [] },
    {
      name: "suspect host: placed elsewhere now",
      hosts: [host("h1")],
      placed: [placedOn("h1")],
      suspect: ["h1"],
      added: [],
    },
    {
      name: "several hosts, only the pending ones",
      hosts: [host("h1"), host("h2"), host("h3")],
      placed: [placedOn("h1"), placedOn("h3")],
      pending: ["h3"],
      added: ["h3"],
    },
  ];
  for (const row of rows) {
    test(row.name, () => {
      const byId = new Map(row.hosts.map((h) => [h.hostId, h]));
      const pending = new Set(row.pending ?? row.placed.map((p) => p.hostId));
      const reported = workloadsOf(row.hosts);
      const out = withUnapplied(
        "shop",
        reported,
        row.placed,
        (id) => byId.get(id),
        (id) => pending.has(id),
        new Set(row.suspect ?? []),
      );
      const added = out.slice(reported.length);
      assert.deepEqual(
        added.map((w) => w.host.hostId),
        row.added,
      );
      for (const w of added)
        assert.deepEqual([w.inventory.desired, w.inventory.running, w.inventory.component], [0, 0, "web"]);
      if (row.added.length === 0) assert.equal(out, reported, "nothing added: the same array");
    });
  }
});

test("a placement pending on an empty-looking host holds: a host ranked higher gets nothing", () => {
  const hosts = ["h1", "h2", "h3", "h4", "h5"].map((id) => host(id));
  const stored = storedApp(app);
  // Where the scaler puts the instance on an empty lattice; the command went to another host.
  const [first] = run({ hosts, stored }).commands;
  const other = hosts.find((h) => h.hostId !== first?.hostId)!.hostId;
  const pendingTable: PendingTable = { [`${other} ${KEY}`]: { id: "c1", count: 1 } };
  const byId = new Map(hosts.map((h) => [h.hostId, h]));
  const seen = (workloads: ReturnType<typeof workloadsOf>) =>
    lines(run({ hosts, stored, pendingTable, workloads }));
  // Records only: the pending host looks empty, and the scaler's first choice gets one more.
  assert.deepEqual(seen(workloadsOf(hosts)), [`${first?.hostId} ${KEY} ×1 @1`]);
  const workloads = withUnapplied(
    "shop",
    workloadsOf(hosts),
    [placedOn(other)],
    (id) => byId.get(id),
    () => true,
  );
  assert.deepEqual(seen(workloads), []);
});
