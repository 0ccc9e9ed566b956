import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { forecast } from "../../../src/reconcile/forecast.js";
import { host, input, keyOf, manifest, storedApp, webApp, workload } from "./builders.js";

const SPREAD = `- type: spreadscaler
  properties:
    instances: 6
    spread:
      - { name: a, requirements: { zone: a } }
      - { name: b, requirements: { zone: b } }`;

function app(version: string, rollout: string) {
  return manifest(
    webApp(version, `${SPREAD}\n- type: rollout\n  properties: ${rollout}`, `[server.js, ${version}]`),
  );
}

const HOSTS = ["a1", "a2", "a3", "b1", "b2", "b3"];

function fleet(key: string, on = HOSTS) {
  return on.map((h, i) => host(h, `zone=${h[0]}`, [workload(key, { desired: 1 })], i + 1));
}

describe("forecast", () => {
  const rows: Array<{ name: string; rollout: string; on?: string[]; waves: number; groups?: string }> = [
    {
      name: "surge 0 / unavailable 1 by zone: one stop, one start, zone a then b",
      rollout: "{ maxSurge: 0, maxUnavailable: 1, serialBy: zone }",
      waves: 12,
      groups: "a a a a a a b b b b b b",
    },
    {
      name: "surge 1 / unavailable 0: a start before each stop",
      rollout: "{ maxSurge: 1, maxUnavailable: 0 }",
      waves: 12,
    },
    {
      name: "minReadySeconds does not change the waves, only their spacing",
      rollout: "{ maxSurge: 0, maxUnavailable: 1, serialBy: zone, minReadySeconds: 30 }",
      waves: 12,
    },
    {
      name: "surge 2 / unavailable 2 without serialBy: fewer, wider waves",
      rollout: "{ maxSurge: 2, maxUnavailable: 2 }",
      waves: 3,
    },
    {
      name: "a zone-a host down: its instance is re-placed in zone a within the bounds",
      rollout: "{ maxSurge: 0, maxUnavailable: 1, serialBy: zone }",
      on: ["a1", "a2", "b1", "b2", "b3"],
      waves: 11,
    },
  ];
  for (const row of rows) {
    test(row.name, () => {
      const v1 = app("v1", row.rollout);
      const v2 = app("v2", row.rollout);
      const f = forecast(
        input({ hosts: fleet(keyOf(v1, "web"), row.on), stored: storedApp([v1, v2], "v2") }),
      );
      assert.equal(f.finished, true);
      assert.equal(f.status?.phase, "deployed");
      assert.equal(f.waves.length, row.waves);
      if (row.groups) assert.equal(f.waves.map((w) => w.groups.join()).join(" "), row.groups);
      const placed = Object.values(f.placement.web ?? {}).reduce((a, b) => a + b, 0);
      assert.equal(placed, 6);
      const old = keyOf(v1, "web");
      const lastTouch = f.waves.flatMap((w) => w.commands).filter((c) => c.workload === old);
      assert.ok(
        lastTouch.every((c) => c.to < c.from),
        "old revision only shrinks",
      );
    });
  }

  test("nothing to do: no waves, the current status", () => {
    const v1 = app("v1", "{}");
    const f = forecast(input({ hosts: fleet(keyOf(v1, "web")), stored: storedApp(v1) }));
    assert.deepEqual(f.waves, []);
    assert.equal(f.status?.message, "6/6 ready");
  });
});

describe("components roll independently, each under its own rollout trait", () => {
  const app = (version: string) =>
    manifest(`apiVersion: nadm.dev/v1
kind: Application
metadata: { name: shop, annotations: { version: ${version} } }
spec:
  components:
    - name: careful
      type: process
      properties: { command: node, args: [careful.js, ${version}] }
      traits:
        - { type: spreadscaler, properties: { instances: 4 } }
        - { type: rollout, properties: { maxSurge: 0, maxUnavailable: 1 } }
    - name: quick
      type: process
      properties: { command: node, args: [quick.js, ${version}] }
      traits:
        - { type: spreadscaler, properties: { instances: 4 } }
        - { type: rollout, properties: { maxSurge: 4, maxUnavailable: 4 } }
`);
  test("one step each: careful stops one instance, quick replaces all four at once", () => {
    const [v1, v2] = [app("v1"), app("v2")];
    const hosts = ["h1", "h2", "h3", "h4"].map((h, i) =>
      host(
        h,
        "",
        [workload(keyOf(v1, "careful"), { desired: 1 }), workload(keyOf(v1, "quick"), { desired: 1 })],
        i + 1,
      ),
    );
    const f = forecast(input({ hosts, stored: storedApp([v1, v2], "v2") }));
    const first = f.waves[0]!.commands;
    const of = (component: string) => first.filter((c) => c.component === component);
    assert.deepEqual(
      of("careful").map((c) => [c.workload === keyOf(v1, "careful") ? "old" : "new", c.from, c.to]),
      [["old", 1, 0]],
    );
    assert.equal(of("quick").filter((c) => c.workload === keyOf(v2, "quick") && c.to === 1).length, 4);
    assert.equal(of("quick").filter((c) => c.workload === keyOf(v1, "quick") && c.to === 0).length, 4);
    assert.equal(f.finished, true);
    assert.ok(f.waves.length >= 8, "careful takes a stop and a start per instance");
  });
});

test("a spread group that cannot be placed does not hold old instances forever", () => {
  const zoned = (version: string) => manifest(webApp(version, SPREAD, `[server.js, ${version}]`));
  const [v1, v2] = [zoned("v1"), zoned("v2")];
  // Zone b is gone: only the 3 zone-a hosts are left, each running one old instance.
  const hosts = ["a1", "a2", "a3"].map((h, i) =>
    host(h, "zone=a", [workload(keyOf(v1, "web"), { desired: 1 })], i + 1),
  );
  const f = forecast(input({ hosts, stored: storedApp([v1, v2], "v2") }));
  assert.equal(f.finished, true);
  const end = f.waves.flatMap((w) => w.commands);
  assert.equal(
    end.filter((c) => c.workload === keyOf(v1, "web") && c.to === 0).length,
    3,
    "every old instance stopped",
  );
  assert.equal(f.status?.phase, "failed");
  assert.match(f.status?.message ?? "", /no host matches zone=b/);
});
