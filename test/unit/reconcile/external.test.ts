import assert from "node:assert/strict";
import { test } from "node:test";
import { z } from "zod";
import { traitCatalogFor } from "../../../src/catalog.js";
import { planWithExternal } from "../../../src/reconcile/external.js";
import { plan as run } from "../../../src/reconcile/plan.js";
import {
  builtinScalers,
  type ExternalReply,
  type ExternalScaler,
  type ScalerInput,
  ScalerRegistry,
} from "../../../src/scalers/index.js";
import { host, input, keyOf, lines, manifest, storedApp, webApp } from "./builders.js";

/** An external scaler answering `reply` (or rejecting with it), recording the inputs it was given. */
function external(type: string, reply: ExternalReply | Error) {
  const seen: ScalerInput<unknown>[] = [];
  const scaler: ExternalScaler = {
    type,
    version: "1.0.0",
    kind: "test",
    properties: z.strictObject({ count: z.number().int() }),
    evaluate: async (i) => {
      seen.push(i);
      if (reply instanceof Error) throw reply;
      return reply;
    },
  };
  return { scaler, seen };
}

const ok = (placements: unknown) => ({ result: { placements, status: { phase: "ok", message: "fine" } } });

const rows: Array<{ name: string; reply: ExternalReply | Error; commands: number; status: RegExp }> = [
  {
    name: "a valid reply is placed",
    reply: ok([{ hostId: "e1", count: 2 }]),
    commands: 1,
    status: /sending a command to e1/,
  },
  {
    name: "a rejected call fails the component",
    reply: new Error("deadline"),
    commands: 0,
    status: /deadline/,
  },
  {
    name: "an unknown host fails",
    reply: ok([{ hostId: "zz", count: 2 }]),
    commands: 0,
    status: /"zz", which is not among the hosts/,
  },
  {
    name: "a negative count fails",
    reply: ok([{ hostId: "e1", count: -1 }]),
    commands: 0,
    status: /invalid count/,
  },
  {
    name: "a fractional count fails",
    reply: ok([{ hostId: "e1", count: 1.5 }]),
    commands: 0,
    status: /invalid count/,
  },
  { name: "garbage fails", reply: { result: 42 }, commands: 0, status: /must return/ },
];

for (const row of rows) {
  test(`seam: ${row.name}`, async () => {
    const { scaler, seen } = external("ext", row.reply);
    const registry = new ScalerRegistry(builtinScalers);
    registry.registerExternal(scaler);
    const m = manifest(webApp("v1", "- type: ext\n  properties: { count: 2 }"), traitCatalogFor(registry));
    const hosts = [host("e1", "zone=east"), host("w1", "zone=west")];
    const failures: string[] = [];
    const p = await planWithExternal(input({ stored: storedApp(m), hosts, registry }), {
      registry,
      deadlineMs: 50,
      onFailure: (call, _s, err) => failures.push(`${call.component}: ${err.message}`),
    });
    assert.equal(p.calls, undefined, "the second pass needs no call");
    assert.equal(seen.length, 1);
    assert.deepEqual(seen[0]?.properties, { count: 2 });
    assert.deepEqual(
      seen[0]?.hosts.map((h) => h.hostId),
      ["e1", "w1"],
    );
    assert.equal(lines(p).length, row.commands, lines(p).join("\n"));
    if (row.commands) assert.equal(lines(p)[0], `e1 ${keyOf(m, "web")} ×2 @1`);
    const web = p.status?.components.find((c) => c.name === "web");
    assert.match(web?.message ?? "", row.status);
    assert.equal(failures.length, row.reply instanceof Error ? 1 : 0);
  });
}

test("in-process: a scaler writing to host labels or properties fails its component; the shared state is unchanged", () => {
  const writers = {
    labels: (i: ScalerInput<unknown>) => {
      (i.hosts[0]!.labels as Record<string, string>).zone = "hacked";
    },
    properties: (i: ScalerInput<unknown>) => {
      (i.component.properties as Record<string, unknown>).command = "hacked";
    },
  };
  for (const [what, write] of Object.entries(writers)) {
    const registry = new ScalerRegistry(builtinScalers);
    registry.register({
      type: "writer",
      properties: z.object({}),
      reconcile: (i) => {
        write(i);
        return { placements: [], status: { phase: "ok", message: "" } };
      },
    });
    const m = manifest(webApp("v1", "- type: writer"), traitCatalogFor(registry));
    const hosts = [host("e1", "zone=east")];
    const p = run(input({ stored: storedApp(m), hosts, registry }));
    const web = p.status?.components.find((c) => c.name === "web");
    assert.equal(web?.phase, "failed", what);
    assert.match(web?.message ?? "", /read.only|Cannot assign|not extensible/, what);
    assert.equal(hosts[0]?.record.labels.zone, "east", what);
    assert.equal(m.spec.components[0]?.properties.command, "node", what);
  }
});
