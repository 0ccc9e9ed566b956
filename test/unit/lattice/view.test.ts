/**
 * The lattice view's indexes stay right as hosts join, heartbeat and leave: sorted hosts (kept
 * between heartbeats), hosts by id, hosts by label, and where each app's workloads are.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import type { Cached, CacheListener, KvCache } from "../../../src/lattice/kv-cache.js";
import { LatticeView } from "../../../src/lattice/view.js";
import { silentLogger } from "../../../src/log.js";
import type { HostRecord } from "../../../src/streams/host-record.js";

/** Stands in for the KV cache: lets a test put and delete records as the watch would. */
class Feed {
  private readonly entries = new Map<string, Cached<HostRecord>>();
  private readonly listeners: CacheListener<HostRecord>[] = [];
  private rev = 0;
  /** Server time of the next writes (default: now). */
  at: Date | undefined;

  asCache(): KvCache<HostRecord> {
    return {
      values: () => this.entries.values(),
      onChange: (l: CacheListener<HostRecord>) => this.listeners.push(l),
    } as unknown as KvCache<HostRecord>;
  }

  put(
    hostId: string,
    labels: Record<string, string> = {},
    apps: string[] = [],
    lattice = "default",
    over: Partial<HostRecord> = {},
  ): void {
    const key = `${lattice}.${hostId}`;
    const inventory = Object.fromEntries(
      apps.map((app) => [
        `${app}.web.r1`,
        {
          app,
          component: "web",
          rev: "r1",
          desired: 1,
          running: 1,
          ready: 1,
          failed: 0,
          restarts: 0,
          lastError: null,
        },
      ]),
    );
    const value: HostRecord = {
      hostId,
      lattice,
      labels,
      driver: "sim",
      version: "t",
      startedAt: "",
      updatedAt: "",
      heartbeatIntervalMs: 1000,
      heartbeatSeq: ++this.rev,
      inventory,
      ...over,
    };
    const next = { key, value, revision: this.rev, created: this.at ?? new Date() };
    const prev = this.entries.get(key);
    this.entries.set(key, next);
    for (const l of this.listeners) l(key, next, prev);
  }

  remove(hostId: string, lattice = "default"): void {
    const key = `${lattice}.${hostId}`;
    const prev = this.entries.get(key);
    this.entries.delete(key);
    for (const l of this.listeners) l(key, undefined, prev);
  }
}

const ids = (v: LatticeView, lattice = "default") => v.hosts(lattice).map((h) => h.hostId);

test("hosts are sorted by id and a heartbeat replaces the host's state in place", () => {
  const feed = new Feed();
  feed.put("h2");
  const view = new LatticeView(feed.asCache(), silentLogger());
  feed.put("h3");
  feed.put("h1");
  assert.deepEqual(ids(view), ["h1", "h2", "h3"]);
  const before = view.hosts("default");
  feed.put("h2", {}, ["shop"]); // heartbeat, its inventory changed
  const after = view.hosts("default");
  assert.equal(after, before, "the sorted list is reused between heartbeats");
  assert.equal(after[1], view.hostMap("default").get("h2"));
  feed.put("h2", { zone: "a" }); // new labels: a new list, so what callers derived from it is redone
  const relabeled = view.hosts("default");
  assert.notEqual(relabeled, before);
  assert.equal(relabeled[1]?.record.labels.zone, "a");
});

test("joins and leaves re-sort; lattices are separate", () => {
  const feed = new Feed();
  const view = new LatticeView(feed.asCache(), silentLogger());
  for (const h of ["c", "a", "b"]) feed.put(h);
  feed.put("x", {}, [], "prod");
  assert.deepEqual(ids(view), ["a", "b", "c"]);
  feed.remove("b");
  assert.deepEqual(ids(view), ["a", "c"]);
  feed.put("aa");
  assert.deepEqual(ids(view), ["a", "aa", "c"]);
  assert.deepEqual(ids(view, "prod"), ["x"]);
  assert.deepEqual(view.lattices().sort(), ["default", "prod"]);
});

test("label and app indexes follow every change", () => {
  const feed = new Feed();
  const view = new LatticeView(feed.asCache(), silentLogger());
  feed.put("h1", { zone: "east" }, ["shop"]);
  feed.put("h2", { zone: "east" }, ["shop", "blog"]);
  feed.put("h3", { zone: "west" }, []);
  assert.deepEqual(view.hostsWithLabel("default", "zone", "east"), ["h1", "h2"]);
  assert.deepEqual(
    view
      .workloadsOf("default", "shop")
      .map((w) => w.host.hostId)
      .sort(),
    ["h1", "h2"],
  );
  assert.deepEqual(view.appsWithWorkloads("default").sort(), ["blog", "shop"]);
  feed.put("h2", { zone: "west" }, ["blog"]); // moved zone, stopped shop
  assert.deepEqual(view.hostsWithLabel("default", "zone", "west"), ["h2", "h3"]);
  assert.deepEqual(
    view.workloadsOf("default", "shop").map((w) => w.host.hostId),
    ["h1"],
  );
  feed.remove("h1");
  assert.deepEqual(view.workloadsOf("default", "shop"), []);
  assert.deepEqual(view.appsWithWorkloads("default"), ["blog"]);
});

test("a departed host's apps are remembered for the host_lost that follows", () => {
  const feed = new Feed();
  const view = new LatticeView(feed.asCache(), silentLogger());
  feed.put("h1", { zone: "east" }, ["shop", "blog"]);
  feed.put("h2", { zone: "east" }, []);
  assert.equal(view.departedApps("default", "h1"), undefined);
  feed.remove("h1");
  feed.remove("h2");
  assert.deepEqual(view.departedApps("default", "h1")?.sort(), ["blog", "shop"]);
  assert.deepEqual(view.departedApps("default", "h2"), []);
  assert.equal(view.departedApps("prod", "h1"), undefined);
});

test("indexes stay right when a write keeps the host's workloads or labels, or names another host", () => {
  const feed = new Feed();
  const view = new LatticeView(feed.asCache(), silentLogger());
  const shopHosts = () => view.workloadsOf("default", "shop").map((w) => w.host.hostId);
  feed.put("h1", { zone: "east" }, ["shop"]);
  feed.put("h1", { zone: "east" }, ["shop"]); // new objects, same workloads and labels (counts moved)
  assert.deepEqual(shopHosts(), ["h1"]);
  assert.deepEqual(view.hostsWithLabel("default", "zone", "east"), ["h1"]);
  const moved = { "shop.web.r1": { ...view.workloadsOf("default", "shop")[0]!.inventory, app: "blog" } };
  feed.put("h1", { zone: "east" }, [], "default", { inventory: moved }); // same key, another app
  assert.deepEqual(shopHosts(), []);
  assert.deepEqual(view.appsWithWorkloads("default"), ["blog"]);
  feed.put("h1", { zone: "east" }, ["shop"], "default", { hostId: "h9" }); // names another host: ignored
  assert.deepEqual(view.appsWithWorkloads("default"), []);
  assert.deepEqual(view.hostsWithLabel("default", "zone", "east"), []);
  feed.put("h1", { zone: "east" }, ["shop"]); // itself again: indexed in full
  assert.deepEqual(shopHosts(), ["h1"]);
  assert.deepEqual(view.hostsWithLabel("default", "zone", "east"), ["h1"]);
});

type Step =
  | { record: number } // the record written at server time t
  | { beat: string; at: number } // a heartbeat received at t
  | { read: string; at: number } // a heartbeat read from the bucket, written at t
  | { remove: true };

test("heartbeats: when a host was last seen, and the text of its last heartbeat", () => {
  const cases: Array<{
    name: string;
    steps: Step[];
    seenAt: number | undefined;
    beat?: string;
    told: number;
  }> = [
    { name: "a record write alone", steps: [{ record: 1000 }], seenAt: 1000, told: 0 },
    {
      name: "a heartbeat moves it forward",
      steps: [{ record: 1000 }, { beat: "b1", at: 5000 }],
      seenAt: 5000,
      beat: "b1",
      told: 1,
    },
    {
      name: "a heartbeat received by an earlier clock does not move it back",
      steps: [{ record: 1000 }, { beat: "b1", at: 5000 }, { beat: "b2", at: 3000 }],
      seenAt: 5000,
      beat: "b2",
      told: 2,
    },
    {
      name: "a record write keeps a later heartbeat (records are written only on change)",
      steps: [{ record: 1000 }, { beat: "b1", at: 5000 }, { record: 4000 }],
      seenAt: 5000,
      beat: "b1",
      told: 1,
    },
    {
      name: "a record write after the heartbeat counts",
      steps: [{ record: 1000 }, { beat: "b1", at: 5000 }, { record: 6000 }],
      seenAt: 6000,
      beat: "b1",
      told: 1,
    },
    {
      name: "a heartbeat read from the bucket counts at its server time, and is not told",
      steps: [{ record: 1000 }, { read: "b1", at: 7000 }, { read: "b0", at: 2000 }],
      seenAt: 7000,
      beat: "b0",
      told: 0,
    },
    {
      name: "a heartbeat before the record is ignored",
      steps: [{ beat: "b1", at: 5000 }, { record: 1000 }],
      seenAt: 1000,
      told: 0,
    },
    {
      name: "a heartbeat after the record left is ignored",
      steps: [{ record: 1000 }, { remove: true }, { beat: "b1", at: 5000 }],
      seenAt: undefined,
      told: 0,
    },
  ];
  for (const c of cases) {
    const feed = new Feed();
    const view = new LatticeView(feed.asCache(), silentLogger());
    let told = 0;
    view.onBeat((key) => {
      assert.equal(key, "default.h1", c.name);
      told++;
    });
    for (const step of c.steps) {
      if ("record" in step) {
        feed.at = new Date(step.record);
        feed.put("h1");
      } else if ("beat" in step) view.beat("default.h1", step.beat, step.at);
      else if ("read" in step) view.readBeat("default.h1", step.read, new Date(step.at));
      else feed.remove("h1");
    }
    assert.equal(view.seenAt("default.h1")?.getTime(), c.seenAt, c.name);
    assert.equal(view.host("default", "h1")?.beat, c.beat, c.name);
    assert.equal(told, c.told, c.name);
  }
});

test("property: after any sequence of writes and deletes, the indexes equal a scan of the live records", () => {
  const host = fc.constantFrom("h1", "h2", "h3");
  const op = fc.oneof(
    fc.record({
      put: host,
      zone: fc.constantFrom("east", "west"),
      extra: fc.boolean(),
      apps: fc.uniqueArray(fc.constantFrom("shop", "blog", "api", "db"), { maxLength: 4 }),
    }),
    fc.record({ remove: host }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 30 }), (ops) => {
      const feed = new Feed();
      const view = new LatticeView(feed.asCache(), silentLogger());
      const live = new Map<string, { labels: Record<string, string>; apps: string[] }>();
      for (const o of ops) {
        if ("remove" in o) {
          feed.remove(o.remove);
          live.delete(o.remove);
        } else {
          const labels: Record<string, string> = o.extra ? { zone: o.zone, tier: "gold" } : { zone: o.zone };
          feed.put(o.put, labels, o.apps);
          live.set(o.put, { labels, apps: o.apps });
        }
      }
      const scan = (keep: (h: { labels: Record<string, string>; apps: string[] }) => boolean) =>
        [...live]
          .filter(([, h]) => keep(h))
          .map(([id]) => id)
          .sort();
      for (const app of ["shop", "blog", "api", "db"])
        assert.deepEqual(
          view
            .workloadsOf("default", app)
            .map((w) => w.host.hostId)
            .sort(),
          scan((h) => h.apps.includes(app)),
        );
      assert.deepEqual(
        view.appsWithWorkloads("default").sort(),
        [...new Set([...live.values()].flatMap((h) => h.apps))].sort(),
      );
      for (const [k, v] of [
        ["zone", "east"],
        ["zone", "west"],
        ["tier", "gold"],
      ] as const)
        assert.deepEqual(
          view.hostsWithLabel("default", k, v),
          scan((h) => h.labels[k] === v),
        );
    }),
  );
});
