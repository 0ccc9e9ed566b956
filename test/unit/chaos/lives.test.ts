import assert from "node:assert/strict";
import { test } from "node:test";
import { lostPairs } from "../../../chaos/lib/lives.js";
import type { HostRecord } from "../../../src/streams/host-record.js";
import type { CommandSeen } from "../../support/lattice.js";
import { host, workload } from "../reconcile/builders.js";

const L1 = "2030-01-01T00:00:00.000Z";
const L2 = "2030-01-01T00:01:00.000Z";

/** A life of `hostId` whose last record before the kill ran `apps` (one instance each). */
function life(hostId: string, startedAt: string, apps: string[]): HostRecord {
  const inventory = apps.map((app) => workload(`${app}.web.r1`, { desired: 1 }));
  return host(hostId, "", inventory, 1, { seenAt: Date.parse(startedAt) }).record;
}

let seq = 0;
function cmd(hostId: string, app: string, count: number, hostStartedAt?: string): CommandSeen {
  seq++;
  return {
    seq,
    hostId,
    app,
    key: `${app}.web.r1`,
    count,
    causationId: "e",
    issuedAt: L2,
    hostStartedAt,
    id: `cmd-${seq}`,
    basedOnRevision: 1,
  };
}

const rows: Array<{ name: string; killed: HostRecord[]; commands: CommandSeen[]; lost: string[] }> = [
  { name: "what the record ran", killed: [life("h1", L1, ["a", "b"])], commands: [], lost: ["h1 a", "h1 b"] },
  {
    name: "a placement planned for the life, applied or not (even sent after the kill)",
    killed: [life("h1", L1, [])],
    commands: [cmd("h1", "a", 1, L1)],
    lost: ["h1 a"],
  },
  {
    name: "the newest command for the life wins: stopped before the kill is not lost",
    killed: [life("h1", L1, ["a"])],
    commands: [cmd("h1", "a", 1, L1), cmd("h1", "a", 0, L1)],
    lost: [],
  },
  {
    name: "commands for another life of the host, or another host, do not count",
    killed: [life("h1", L1, [])],
    commands: [cmd("h1", "a", 1, L2), cmd("h2", "b", 1, L1), cmd("h1", "c", 1)],
    lost: [],
  },
  {
    name: "each killed life on its own: two lives that ran an app lost it twice",
    killed: [life("h1", L1, ["a"]), life("h1", L2, [])],
    commands: [cmd("h1", "b", 1, L2), cmd("h1", "a", 1, L2)],
    lost: ["h1 a", "h1 a", "h1 b"],
  },
];

for (const row of rows) {
  test(`lostPairs: ${row.name}`, () => {
    assert.deepEqual(lostPairs(row.killed, row.commands).sort(), row.lost);
  });
}
