/**
 * streams/subjects.ts is the one place that builds and parses subjects, workload keys and
 * dedupe ids: what it builds, it parses back; anything else is refused; the ids ARCHITECTURE
 * names keep their contract shape.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  dedupeIds,
  parseSubject,
  parseWorkloadKey,
  subjects,
  workloadKey,
} from "../../../src/streams/subjects.js";

test("parseSubject: what `subjects` builds parses back to its parts", () => {
  const cases: Array<[string, ReturnType<typeof parseSubject>]> = [
    [subjects.event("default", "app_put"), { kind: "evt", lattice: "default", last: "app_put" }],
    [subjects.command("east", "h-1"), { kind: "cmd", lattice: "east", last: "h-1" }],
    [subjects.dlq("default", "command"), { kind: "dlq", lattice: "default", last: "command" }],
    [subjects.control("default", "h1"), { kind: "ctl", lattice: "default", last: "h1" }],
  ];
  for (const [subject, parts] of cases) assert.deepEqual(parseSubject(subject), parts, subject);
});

test("parseSubject: other shapes are undefined", () => {
  for (const subject of [
    "nadm.evt.default",
    "nadm.evt.default.app_put.extra",
    "nats.evt.default.app_put",
    "nadm.api.default.app",
    subjects.api("default", "put"),
    "nadm.evt..app_put",
    "",
  ]) {
    assert.equal(parseSubject(subject), undefined, subject);
  }
});

test("parseWorkloadKey: round-trips workloadKey, refuses other shapes", () => {
  assert.deepEqual(parseWorkloadKey(workloadKey("shop", "web", "a1b2")), {
    app: "shop",
    component: "web",
    rev: "a1b2",
  });
  for (const key of ["shop.web", "shop.web.r.x", "shop..r", ""])
    assert.equal(parseWorkloadKey(key), undefined, key);
});

test("dedupe ids keep the shapes the contract names", () => {
  const cases: Array<[string, string]> = [
    [dedupeIds.tick("default", 42), "tick:default:42"],
    [dedupeIds.revert("default", "shop", "v2"), "revert:default:shop:v2"],
    [dedupeIds.appEvent("app_put", "default", "shop", 7), "app_put:default:shop:7"],
    [dedupeIds.hostLost("default", "h1", 9), "host_lost:default:h1:9"],
    [dedupeIds.hostEvent("default.h1", "abcd1234", 3, 0), "host:default.h1:abcd1234:3:0"],
    [dedupeIds.commandFailed("cmd-1"), "command_failed:cmd-1"],
    [dedupeIds.dlq("nadm_commands", 5), "dlq:nadm_commands:5"],
  ];
  for (const [id, expected] of cases) assert.equal(id, expected);
});
