/**
 * Host control requests (fast-check, 1,500 cases): random and one-field-broken commands, random
 * JSON, text and bytes, with and without ordering headers, sent as requests on
 * `nadm.ctl.{lattice}.{hostId}` to a real host agent (process driver). Every reply is
 * `{ok: boolean}`; every refusal names the field at fault; the host keeps answering and its
 * record stays in KV. The host allows no command (`allowCommands: []`), so a valid-shaped
 * command is refused by policy instead of starting processes.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { headers } from "@nats-io/transport-node";
import fc from "fast-check";
import { resolve, resourcesSchema } from "../../src/config.js";
import { HostAgent } from "../../src/host/index.js";
import { COMMAND_ORDER_HEADERS } from "../../src/streams/commands.js";
import { openBuckets } from "../../src/streams/provision.js";
import { keys, subjects } from "../../src/streams/subjects.js";
import { testNats } from "../support/nats.js";
import { inBatches, oneFieldBroken, payloads } from "./support.js";

const RUNS = 1_500;
const nats = await testNats();
const nc = await nats.connect();
const dir = mkdtempSync(join(tmpdir(), "nadm-fuzz-host-"));
const host = new HostAgent({ nc, hostId: "fuzz-host", dataDir: dir, allowCommands: [] });
await host.start();
after(async () => {
  await host.stop();
  rmSync(dir, { recursive: true, force: true });
});

const command = () => ({
  id: "c1",
  lattice: "default",
  hostId: "fuzz-host",
  app: "app",
  component: "web",
  workload: { key: "app.web.r1", rev: "r1", type: "process", spec: { command: "sleep", args: ["60"] } },
  count: 1,
  reason: "fuzz",
  causationId: "fuzz",
  basedOnRevision: 0,
  issuedAt: new Date(0).toISOString(),
});
const order = fc.option(
  fc.tuple(fc.oneof(fc.nat(), fc.string({ maxLength: 5 })), fc.string({ maxLength: 5 })),
  {
    nil: undefined,
  },
);

/** A refusal says where: `field.path: …`, or that the body is not JSON, or which op is unknown. */
const NAMES_A_FIELD = /^(request is not valid JSON|op: |[A-Za-z_][\w.[\]-]*: )/;

test(`control requests: {ok} replies, refusals name the field, the host stays up (${RUNS} cases)`, async () => {
  const cases = fc.sample(fc.tuple(payloads(oneFieldBroken(command)), order), RUNS);
  const refusals = new Map<string, number>();
  await inBatches(cases, 50, async ([data, ord]) => {
    const h = headers();
    if (ord) {
      h.set(COMMAND_ORDER_HEADERS.seq, String(ord[0]));
      h.set(COMMAND_ORDER_HEADERS.epoch, ord[1]);
    }
    const reply = await nc.request(subjects.control("default", "fuzz-host"), data, {
      timeout: 10_000,
      headers: h,
    });
    const body = JSON.parse(new TextDecoder().decode(reply.data)) as { ok: unknown; error?: unknown };
    assert.equal(typeof body.ok, "boolean", JSON.stringify(body));
    if (body.ok === false) {
      assert.equal(typeof body.error, "string");
      assert.match(body.error as string, NAMES_A_FIELD, `sent ${new TextDecoder().decode(data)}`);
      const field = (body.error as string).split(":")[0]!;
      refusals.set(field, (refusals.get(field) ?? 0) + 1);
    }
  });
  // The fuzzer reached the deep checks, not only the JSON parse.
  assert.ok(refusals.get("workload.spec.command"), `policy refusals: ${[...refusals.keys()].join(", ")}`);
  assert.ok(
    [...refusals.keys()].some((f) => f.startsWith("workload.spec.") && f !== "workload.spec.command"),
  );

  const inventory = await nc.request(subjects.control("default", "fuzz-host"), '{"op":"inventory"}');
  assert.deepEqual(JSON.parse(new TextDecoder().decode(inventory.data)), { ok: true, inventory: {} });
  const { hosts } = await openBuckets(nc, resolve(resourcesSchema, {}));
  assert.ok(await hosts.get(keys.host("default", "fuzz-host")), "the host's record is still there");
});
