import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  expiredHosts,
  MISSED_HEARTBEATS,
  massSilence,
  nextExpiry,
  suspectHosts,
} from "../../../src/lattice/liveness.js";
import { host, NOW } from "./builders.js";

describe(`expiredHosts: a host is lost after ${MISSED_HEARTBEATS} missed heartbeats`, () => {
  const rows: Array<{ age: number; heartbeatIntervalMs: number; expired: boolean }> = [
    { age: 0, heartbeatIntervalMs: 1000, expired: false },
    { age: 2999, heartbeatIntervalMs: 1000, expired: false },
    { age: 3000, heartbeatIntervalMs: 1000, expired: false },
    { age: 3001, heartbeatIntervalMs: 1000, expired: true },
    { age: 14_999, heartbeatIntervalMs: 5000, expired: false },
    { age: 15_000, heartbeatIntervalMs: 5000, expired: false },
    { age: 15_001, heartbeatIntervalMs: 5000, expired: true },
    { age: 60_000, heartbeatIntervalMs: 5000, expired: true },
    { age: -500, heartbeatIntervalMs: 1000, expired: false },
  ];
  for (const { age, heartbeatIntervalMs, expired } of rows) {
    test(`seen ${age} ms ago, heartbeat every ${heartbeatIntervalMs} ms → ${expired ? "expired" : "alive"}`, () => {
      const h = host("h1", "", [], 1, { seenAt: NOW - age, heartbeatIntervalMs });
      assert.deepEqual(
        expiredHosts([h], NOW).map((x) => x.hostId),
        expired ? ["h1"] : [],
      );
    });
  }

  test("each host is judged by its own interval", () => {
    const hosts = [
      host("fast", "", [], 1, { seenAt: NOW - 4000, heartbeatIntervalMs: 1000 }),
      host("slow", "", [], 1, { seenAt: NOW - 4000, heartbeatIntervalMs: 2000 }),
      host("fresh", "", [], 1, { seenAt: NOW, heartbeatIntervalMs: 1000 }),
    ];
    assert.deepEqual(
      expiredHosts(hosts, NOW).map((h) => h.hostId),
      ["fast"],
    );
  });

  const outage: Array<{ name: string; seenAgo: number; reconnectedAgo: number | null; expired: boolean }> = [
    { name: "silent 10 s, no reconnect", seenAgo: 10_000, reconnectedAgo: null, expired: true },
    {
      name: "silent 10 s, but we reconnected 1 s ago",
      seenAgo: 10_000,
      reconnectedAgo: 1_000,
      expired: false,
    },
    {
      name: "silent 10 s, reconnected 3 s ago: not yet",
      seenAgo: 10_000,
      reconnectedAgo: 3_000,
      expired: false,
    },
    {
      name: "silent 10 s, reconnected 3.5 s ago: lost",
      seenAgo: 10_000,
      reconnectedAgo: 3_500,
      expired: true,
    },
    {
      name: "reported after our reconnect, then silent",
      seenAgo: 3_500,
      reconnectedAgo: 5_000,
      expired: true,
    },
  ];
  for (const row of outage) {
    test(`NATS outage: ${row.name} → ${row.expired ? "expired" : "alive"}`, () => {
      const h = host("h1", "", [], 1, { seenAt: NOW - row.seenAgo, heartbeatIntervalMs: 1000 });
      const notBefore = row.reconnectedAgo === null ? 0 : NOW - row.reconnectedAgo;
      assert.deepEqual(
        expiredHosts([h], NOW, notBefore).map((x) => x.hostId),
        row.expired ? ["h1"] : [],
      );
    });
  }
});

describe("suspectHosts: a host that missed a heartbeat gets nothing new", () => {
  const rows: Array<{ age: number; heartbeatIntervalMs: number; reconnectedAgo?: number; suspect: boolean }> =
    [
      { age: 0, heartbeatIntervalMs: 5000, suspect: false },
      { age: 5000, heartbeatIntervalMs: 5000, suspect: false },
      { age: 7500, heartbeatIntervalMs: 5000, suspect: false },
      { age: 7501, heartbeatIntervalMs: 5000, suspect: true },
      // Short intervals get at least 1 s of slack for a slow write.
      { age: 1999, heartbeatIntervalMs: 1000, suspect: false },
      { age: 2001, heartbeatIntervalMs: 1000, suspect: true },
      // Silence during our own NATS outage does not count.
      { age: 10_000, heartbeatIntervalMs: 5000, reconnectedAgo: 1000, suspect: false },
    ];
  for (const { age, heartbeatIntervalMs, reconnectedAgo, suspect } of rows) {
    const when = reconnectedAgo === undefined ? "" : `, reconnected ${reconnectedAgo} ms ago`;
    test(`seen ${age} ms ago, heartbeat every ${heartbeatIntervalMs} ms${when} → ${suspect ? "suspect" : "fine"}`, () => {
      const h = host("h1", "", [], 1, { seenAt: NOW - age, heartbeatIntervalMs });
      const notBefore = reconnectedAgo === undefined ? 0 : NOW - reconnectedAgo;
      assert.deepEqual([...suspectHosts([h], NOW, notBefore)], suspect ? ["h1"] : []);
    });
  }
});

describe("suspectHosts: none while most of a big lattice is silent at once (NATS, not the hosts)", () => {
  const rows: Array<{ silent: number; total: number; suspect: number }> = [
    { silent: 5, total: 12, suspect: 5 },
    { silent: 6, total: 12, suspect: 6 },
    { silent: 7, total: 12, suspect: 0 },
    { silent: 12, total: 12, suspect: 0 },
    { silent: 9, total: 9, suspect: 9 }, // a small lattice: judged host by host
    { silent: 500, total: 1000, suspect: 500 }, // half a fleet lost: still suspect
  ];
  for (const { silent, total, suspect } of rows) {
    test(`${silent} of ${total} silent → ${suspect} suspect`, () => {
      const hosts = Array.from({ length: total }, (_, i) =>
        host(`h${i}`, "", [], 1, { seenAt: NOW - (i < silent ? 10_000 : 0), heartbeatIntervalMs: 1000 }),
      );
      assert.equal(suspectHosts(hosts, NOW).size, suspect);
    });
  }
});

describe("massSilence: most of a big lattice silent at once is not swept", () => {
  const rows: Array<{ expired: number; total: number; held: boolean }> = [
    { expired: 1, total: 1, held: false },
    { expired: 9, total: 9, held: false },
    { expired: 10, total: 10, held: true },
    { expired: 55, total: 100, held: false },
    { expired: 56, total: 100, held: true },
    { expired: 20, total: 100, held: false },
  ];
  for (const row of rows) {
    test(`${row.expired} of ${row.total} silent → ${row.held ? "held" : "swept"}`, () => {
      assert.equal(massSilence(row.expired, row.total), row.held);
    });
  }
});

describe("nextExpiry: when the next suspect host expires (early sweeps between ticks)", () => {
  // Heartbeat 5 s: suspect after 7.5 s of silence, expired after 15 s.
  const rows: Array<{ name: string; seenAgo: number[]; reconnectedAgo?: number; next: number | undefined }> =
    [
      { name: "no hosts", seenAgo: [], next: undefined },
      { name: "hosts that report are not suspect", seenAgo: [0, 5_000, 7_500], next: undefined },
      { name: "a suspect host: the first ms it is expired", seenAgo: [10_000], next: NOW + 5_001 },
      { name: "the earliest of several", seenAgo: [8_000, 14_000, 0], next: NOW + 1_001 },
      { name: "the last ms before expiry", seenAgo: [15_000], next: NOW + 1 },
      { name: "already expired: the sweep's, not a timer's", seenAgo: [15_001, 60_000], next: undefined },
      {
        name: "silence before our reconnect does not count",
        seenAgo: [20_000],
        reconnectedAgo: 1_000,
        next: undefined,
      },
      {
        name: "reconnected 10 s ago: expires 15 s after the reconnect",
        seenAgo: [20_000],
        reconnectedAgo: 10_000,
        next: NOW + 5_001,
      },
    ];
  test("most of a big lattice silent at once (NATS, not the hosts): no early sweep", () => {
    const hosts = Array.from({ length: 12 }, (_, i) =>
      host(`h${i}`, "", [], 1, { seenAt: NOW - (i < 7 ? 10_000 : 0), heartbeatIntervalMs: 5_000 }),
    );
    assert.equal(nextExpiry(hosts, NOW), undefined);
    assert.equal(nextExpiry(hosts.slice(1), NOW), NOW + 5_001); // 6 of 11: judged host by host
  });

  for (const row of rows) {
    test(row.name, () => {
      const hosts = row.seenAgo.map((ago, i) =>
        host(`h${i}`, "", [], 1, { seenAt: NOW - ago, heartbeatIntervalMs: 5_000 }),
      );
      const notBefore = row.reconnectedAgo === undefined ? 0 : NOW - row.reconnectedAgo;
      assert.equal(nextExpiry(hosts, NOW, notBefore), row.next);
    });
  }
});
