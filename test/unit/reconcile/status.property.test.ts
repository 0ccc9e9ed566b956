/**
 * Property test over the status derivation (issue 15, rules 1 and 4): for any host reports,
 * pending commands and stored refusals,
 * - a refusal that holds for a placement its host has not accepted makes the component
 *   `failed`, naming the host, the attempt and the host's reason, and no command goes to that
 *   host before the backoff is over (then exactly one, the next attempt);
 * - no component is `reconciling` without its message naming what it waits for, and one that
 *   lacks running instances names a host.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import type { RefusalSource, RetryPolicy, StoredRefusal } from "../../../src/reconcile/refusals.js";
import { retryDelayMs } from "../../../src/reconcile/refusals.js";
import {
  fixedScaler,
  host,
  keyOf,
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
const HOSTS = ["h0", "h1", "h2", "h3"];
const STARTED = new Date(NOW).toISOString();
const RESTARTED = new Date(NOW - 1).toISOString();
const { catalog } = registryWith(fixedScaler("pinned", {}));
// Rollout bounds wide enough that every step is the whole placement: this property is about
// refusals and waits, the rollout planner's own bounds have their tests (rollout.test.ts).
const WIDE = "- type: pinned\n- type: rollout\n  properties: { maxSurge: 100, maxUnavailable: 100 }";
const v0 = manifest(webApp("v0", WIDE, "[old.js]"), catalog);
const v1 = manifest(webApp("v1", WIDE), catalog);
const [oldKey, key] = [keyOf(v0, "web"), keyOf(v1, "web")];

const refusalArb = fc.record({
  count: fc.nat(3),
  generation: fc.constantFrom(1, 1, 1, 0),
  hostStartedAt: fc.constantFrom(STARTED, STARTED, STARTED, RESTARTED),
  attempt: fc.integer({ min: 1, max: 7 }),
  ago: fc.constantFrom(0, 500, 1_000, 3_000, 9_000, 70_000, POLICY.maxAgeMs + 1),
  kind: fc.constantFrom("refused" as const, "unanswered" as const),
  refusedIsPending: fc.boolean(),
});

const hostArb = fc.record({
  target: fc.option(fc.nat(3), { nil: undefined }),
  current: fc.option(
    fc.record({
      desired: fc.nat(3),
      running: fc.nat(4),
      notReady: fc.nat(2),
      failed: fc.nat(2),
      restarts: fc.nat(5),
    }),
    { nil: undefined },
  ),
  old: fc.option(fc.record({ desired: fc.nat(1), running: fc.nat(2) }), { nil: undefined }),
  pending: fc.option(fc.record({ count: fc.nat(3) }), { nil: undefined }),
  refusal: fc.option(refusalArb, { nil: undefined }),
  revision: fc.integer({ min: 1, max: 9 }),
});

const caseArb = fc.record({
  hosts: fc.array(hostArb, { minLength: 1, maxLength: HOSTS.length }),
  paused: fc.boolean(),
});

type Case = typeof caseArb extends fc.Arbitrary<infer T> ? T : never;
type Refusal = NonNullable<Case["hosts"][number]["refusal"]>;

function stored(hostId: string, r: Refusal): StoredRefusal {
  return {
    hostId,
    app: "shop",
    component: "web",
    workloadKey: key,
    count: r.count,
    commandId: `cmd-refused-${hostId}`,
    attempt: r.attempt,
    kind: r.kind,
    reason: `${hostId} says no (${r.kind})`,
    generation: r.generation,
    hostStartedAt: r.hostStartedAt,
    at: NOW - r.ago,
  };
}

function build(c: Case) {
  const targets: Record<string, number> = {};
  const pending: PendingTable = {};
  const records: StoredRefusal[] = [];
  const hosts = c.hosts.map((h, i) => {
    const id = HOSTS[i]!;
    if (h.target !== undefined) targets[id] = h.target;
    const inv = [];
    if (h.current) {
      const { desired, running, notReady, failed, restarts } = h.current;
      const ready = Math.max(0, running - notReady);
      inv.push(workload(key, { desired, running, ready, failed, restarts, lastError: "exit 1" }));
    }
    if (h.old) inv.push(workload(oldKey, h.old));
    if (h.refusal) records.push(stored(id, h.refusal));
    if (h.pending) {
      const id2 = h.refusal?.refusedIsPending ? `cmd-refused-${id}` : `cmd-pending-${id}`;
      pending[`${id} ${key}`] = { id: id2, count: h.pending.count };
    }
    return host(id, "", inv, h.revision, { seenAt: NOW });
  });
  const source: RefusalSource = {
    get: (hostId, k) => records.find((r) => r.hostId === hostId && r.workloadKey === k),
    policy: POLICY,
  };
  const { registry } = registryWith(fixedScaler("pinned", targets));
  const out = run({
    stored: storedApp([v0, v1], "v1", c.paused),
    hosts,
    pendingTable: pending,
    registry,
    refusals: source,
  });
  return { out, targets, records, hosts };
}

/**
 * The oracle for rule 1, written apart from the code: where a stored refusal must hold. On a
 * placed host: until the host accepts the placement. On a host with a report but no placement
 * (a stop is wanted): while what it was told is not 0 — a pending command counts as told,
 * unless it is the refused one. Never once the host has taken the refused count.
 */
function holding(c: Case, targets: Record<string, number>, records: StoredRefusal[]): StoredRefusal[] {
  if (c.paused) return [];
  return records.filter((r) => {
    const h = c.hosts[HOSTS.indexOf(r.hostId)]!;
    const accepted = h.current?.desired ?? 0;
    const placed = targets[r.hostId] || undefined; // a placement of 0 is no placement
    const pendingCount = h.pending && !h.refusal?.refusedIsPending ? h.pending.count : undefined;
    const wanted =
      placed !== undefined && placed !== accepted
        ? placed
        : placed === undefined && h.current && (pendingCount ?? accepted) !== 0
          ? 0
          : undefined;
    return (
      wanted !== undefined &&
      r.count === wanted &&
      r.count !== accepted &&
      r.generation === 1 &&
      r.hostStartedAt === STARTED &&
      NOW - r.at <= POLICY.maxAgeMs
    );
  });
}

const NAMES_A_WAIT =
  /\d+ starting|stopping \d+ instances?|older revision still running|sending (a command|commands) to h\d|waiting for h\d.* to (apply|start|stop)|not placed by/;
const NAMES_A_HOST = /sending (a command|commands) to h\d|waiting for h\d/;

test("status derivation: refusals hold the component failed with the reason; reconciling always names its wait", () => {
  fc.assert(
    fc.property(caseArb, (c) => {
      const { out, targets, records } = build(c);
      assert.ok(out.status, "a deployed app has a status");
      const web = out.status.components.find((x) => x.name === "web")!;
      const held = holding(c, targets, records);
      if (held.length > 0) {
        assert.equal(web.phase, "failed", web.message);
        assert.equal(out.status.phase, "failed");
        for (const r of [...held].sort((a, b) => (a.hostId < b.hostId ? -1 : 1)).slice(0, 3)) {
          assert.ok(web.message.includes(`host ${r.hostId}`), `${web.message} names ${r.hostId}`);
          assert.ok(web.message.includes(`(attempt ${r.attempt}): ${r.reason}`), web.message);
          assert.ok(out.status.message.includes(r.reason), "the app message carries the reason");
        }
        for (const r of held) {
          const sent = out.commands.filter((x) => x.hostId === r.hostId && x.workload.key === key);
          const due = NOW >= r.at + retryDelayMs(r.attempt, POLICY);
          assert.ok(sent.length <= 1);
          if (!due) assert.equal(sent.length, 0, `no command to ${r.hostId} during its backoff`);
          for (const s of sent) assert.equal(s.attempt, r.attempt + 1);
        }
      } else if (web.phase === "failed") {
        assert.match(web.message, /^crash-looping on h\d/, "without a refusal, only a crash loop fails here");
      }
      if (web.phase === "reconciling") {
        assert.match(web.message, NAMES_A_WAIT);
        if (web.running < web.desired) assert.match(web.message, NAMES_A_HOST);
      }
      if (web.phase === "deployed") assert.equal(held.length, 0);
    }),
    { numRuns: 2_000 },
  );
});
