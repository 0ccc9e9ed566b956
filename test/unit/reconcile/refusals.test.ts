/**
 * Refused and unanswered commands in the planner (issue 15): when a stored refusal holds a
 * command back, when it lets the next attempt go (and with which id), when something changed
 * enough for a fresh try, and what the status says meanwhile.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { HostState } from "../../../src/lattice/view.js";
import { toCommand } from "../../../src/reconcile/issue.js";
import type { PlannedCommand } from "../../../src/reconcile/plan.js";
import {
  type RefusalSource,
  type RetryPolicy,
  retryDelayMs,
  type StoredRefusal,
} from "../../../src/reconcile/refusals.js";
import type { AppState } from "../../../src/reconcile/types.js";
import { commandId } from "../../../src/streams/commands.js";
import {
  host,
  keyOf,
  LATTICE,
  manifest,
  NOW,
  type PendingTable,
  registryWith,
  run,
  storedApp,
  webApp,
  workload,
} from "./builders.js";

const POLICY: RetryPolicy = { baseMs: 1_000, maxMs: 60_000, maxAgeMs: 3_600_000 };
const one = manifest(webApp("v1", "- type: spreadscaler\n  properties:\n    instances: 1"));
const three = manifest(webApp("v1", "- type: spreadscaler\n  properties:\n    instances: 3"));
const fixed = manifest(webApp("v2", "- type: spreadscaler\n  properties:\n    instances: 1", "[fixed.js]"));
const [k1, k3] = [keyOf(one, "web"), keyOf(three, "web")];
const STARTED = new Date(NOW).toISOString(); // what builders' host() reports as startedAt
const REASON = "workload.spec.readiness.minReadySeconds: Too big: expected number to be <=86400";

/** A refusal of the first command to `hostId` for `key`, stored `ago` ms before NOW. */
function refusal(hostId: string, key: string, over: Partial<StoredRefusal> = {}, ago = 0): StoredRefusal {
  return {
    hostId,
    app: "shop",
    component: "web",
    workloadKey: key,
    count: 1,
    commandId: `cmd-refused-${hostId}`,
    attempt: 1,
    kind: "refused",
    reason: REASON,
    generation: 1,
    hostStartedAt: STARTED,
    at: NOW - ago,
    ...over,
  };
}

function source(...records: StoredRefusal[]): RefusalSource {
  return {
    get: (hostId, key) => records.find((r) => r.hostId === hostId && r.workloadKey === key),
    policy: POLICY,
  };
}

function planWith(opts: {
  stored?: AppState;
  hosts: HostState[];
  refusals: StoredRefusal[];
  pending?: PendingTable;
  now?: number;
}) {
  return run({
    stored: opts.stored ?? storedApp(one),
    hosts: opts.hosts,
    pendingTable: opts.pending,
    registry: registryWith().registry,
    refusals: source(...opts.refusals),
    now: opts.now ?? NOW,
  });
}

const summary = (c: PlannedCommand) => `${c.hostId} ×${c.count} attempt=${c.attempt ?? 1}`;

interface Row {
  name: string;
  stored?: AppState;
  hosts: HostState[];
  refusals: StoredRefusal[];
  pending?: PendingTable;
  phase: string;
  message: string;
  commands: string[];
}

const rows: Row[] = [
  {
    name: "no refusal: the command goes out, and the status names where",
    hosts: [host("h1")],
    refusals: [],
    phase: "reconciling",
    message: "0/1 ready; sending a command to h1",
    commands: ["h1 ×1 attempt=1"],
  },
  {
    name: "just refused: failed with the host's reason, nothing sent during the backoff",
    hosts: [host("h1")],
    refusals: [refusal("h1", k1, {}, 200)],
    phase: "failed",
    message: `host h1 refused the command (attempt 1): ${REASON} (0/1 ready); retrying in 1 s`,
    commands: [],
  },
  {
    name: "backoff over: the next attempt goes out, still failed with the reason",
    hosts: [host("h1")],
    refusals: [refusal("h1", k1, {}, 1_000)],
    phase: "failed",
    message: `host h1 refused the command (attempt 1): ${REASON} (0/1 ready); retrying now (attempt 2)`,
    commands: ["h1 ×1 attempt=2"],
  },
  {
    name: "the wait doubles per attempt: after attempt 4, 8 s",
    hosts: [host("h1")],
    refusals: [refusal("h1", k1, { attempt: 4 }, 7_000)],
    phase: "failed",
    message: `host h1 refused the command (attempt 4): ${REASON} (0/1 ready); retrying in 8 s`,
    commands: [],
  },
  {
    name: "a command that was never answered",
    hosts: [host("h1")],
    refusals: [refusal("h1", k1, { kind: "unanswered", reason: "no reply after 6 deliveries", attempt: 2 })],
    phase: "failed",
    message:
      "host h1 did not answer the command (attempt 2): no reply after 6 deliveries (0/1 ready); retrying in 2 s",
    commands: [],
  },
  {
    name: "some hosts accept, one refuses: which one, and the placement stays",
    stored: storedApp(three),
    hosts: [
      host("h1", "", [workload(k3, { desired: 1 })]),
      host("h2"),
      host("h3", "", [workload(k3, { desired: 1 })]),
    ],
    refusals: [refusal("h2", k3, {}, 100)],
    phase: "failed",
    message: `host h2 refused the command (attempt 1): ${REASON} (2/3 ready); retrying in 1 s`,
    commands: [],
  },
  {
    name: "a new deploy (generation) ends the refusal: a fresh try at once",
    stored: { ...storedApp(one), generation: 2 },
    hosts: [host("h1")],
    refusals: [refusal("h1", k1, { attempt: 3 }, 100)],
    phase: "reconciling",
    message: "0/1 ready; sending a command to h1",
    commands: ["h1 ×1 attempt=1"],
  },
  {
    name: "a corrected version (another workload) is not held by the old refusal",
    stored: storedApp([one, fixed], "v2"),
    hosts: [host("h1")],
    refusals: [refusal("h1", k1, {}, 100)],
    phase: "reconciling",
    message: "0/1 ready; sending a command to h1",
    commands: ["h1 ×1 attempt=1"],
  },
  {
    name: "the host restarted since it refused: a fresh try",
    hosts: [host("h1")],
    refusals: [refusal("h1", k1, { hostStartedAt: "2029-12-31T23:00:00.000Z" }, 100)],
    phase: "reconciling",
    message: "0/1 ready; sending a command to h1",
    commands: ["h1 ×1 attempt=1"],
  },
  {
    name: "the placement changed (another count): a fresh try",
    hosts: [host("h1")],
    refusals: [refusal("h1", k1, { count: 2 }, 100)],
    phase: "reconciling",
    message: "0/1 ready; sending a command to h1",
    commands: ["h1 ×1 attempt=1"],
  },
  {
    name: "a record older than the bucket's TTL is ignored",
    hosts: [host("h1")],
    refusals: [refusal("h1", k1, {}, POLICY.maxAgeMs + 1)],
    phase: "reconciling",
    message: "0/1 ready; sending a command to h1",
    commands: ["h1 ×1 attempt=1"],
  },
  {
    name: "the host took the count since (a later command succeeded): the record is moot",
    hosts: [host("h1", "", [workload(k1, { desired: 1 })])],
    refusals: [refusal("h1", k1, {}, 100)],
    phase: "deployed",
    message: "1/1 ready",
    commands: [],
  },
  {
    name: "the refused command is no longer pending: its refusal is its answer",
    hosts: [host("h1")],
    refusals: [refusal("h1", k1, {}, 100)],
    pending: { [`h1 ${k1}`]: { id: "cmd-refused-h1", count: 1 } },
    phase: "failed",
    message: `host h1 refused the command (attempt 1): ${REASON} (0/1 ready); retrying in 1 s`,
    commands: [],
  },
  {
    name: "a retry in flight: nothing sent twice, and still failed with the reason",
    hosts: [host("h1")],
    refusals: [refusal("h1", k1, {}, 1_500)],
    pending: { [`h1 ${k1}`]: { id: "cmd-retry", count: 1 } },
    phase: "failed",
    message: `host h1 refused the command (attempt 1): ${REASON} (0/1 ready); retrying now (attempt 2)`,
    commands: [],
  },
  {
    name: "paused: no command, no retry, paused says so",
    stored: storedApp(one, "v1", true),
    hosts: [host("h1")],
    refusals: [refusal("h1", k1, {}, 1_500)],
    phase: "paused",
    message: "paused: 0/1 ready",
    commands: [],
  },
];

describe("plan() with stored refusals", () => {
  for (const row of rows) {
    test(row.name, () => {
      const p = planWith(row);
      assert.ok(p.status);
      assert.equal(p.status.phase, row.phase, p.status.message);
      assert.equal(p.status.message, row.message);
      assert.deepEqual(p.commands.map(summary), row.commands);
      for (const c of p.commands) assert.equal(c.generation, row.stored?.generation ?? 1);
    });
  }
});

describe("the next attempt's id", () => {
  const due = refusal("h1", k1, { attempt: 2 }, 2_000);
  const retryOn = (revision: number, now: number) => {
    const [cmd] = planWith({ hosts: [host("h1", "", [], revision)], refusals: [due], now }).commands;
    assert.ok(cmd, "a retry is planned");
    return toCommand(LATTICE, "shop", cmd, "evt", now);
  };

  test("derives from the refused command, not from heartbeats: every replica and tick sends one", () => {
    const a = retryOn(7, NOW);
    const b = retryOn(9, NOW + 1_000); // another replica, two heartbeats later
    assert.equal(a.id, b.id);
    assert.equal(a.attempt, 3);
    assert.equal(
      a.id,
      commandId({
        lattice: LATTICE,
        hostId: "h1",
        workloadKey: k1,
        count: 1,
        basedOnRevision: 7,
        after: due.commandId,
      }),
    );
  });

  test("a different refused command gives a different id", () => {
    const other = refusal("h1", k1, { attempt: 2, commandId: "cmd-other" }, 2_000);
    const [cmd] = planWith({ hosts: [host("h1")], refusals: [other] }).commands;
    assert.notEqual(toCommand(LATTICE, "shop", cmd!, "evt", NOW).id, retryOn(1, NOW).id);
  });

  test("a fresh try after a change is not the refused command again", () => {
    const stale = refusal("h1", k1, { generation: 0, commandId: "cmd-x" }, 100);
    const [cmd] = planWith({ hosts: [host("h1", "", [], 1)], refusals: [stale] }).commands;
    const fresh = toCommand(LATTICE, "shop", cmd!, "evt", NOW);
    assert.equal(fresh.attempt, undefined);
    assert.notEqual(
      fresh.id,
      commandId({ lattice: LATTICE, hostId: "h1", workloadKey: k1, count: 1, basedOnRevision: 1 }),
    );
  });
});

describe("retryDelayMs: exponential and bounded", () => {
  const table: Array<[number, number]> = [
    [1, 1_000],
    [2, 2_000],
    [3, 4_000],
    [4, 8_000],
    [6, 32_000],
    [7, 60_000],
    [50, 60_000],
  ];
  for (const [attempt, want] of table) {
    test(`after attempt ${attempt}: ${want} ms`, () => assert.equal(retryDelayMs(attempt, POLICY), want));
  }
});
