/**
 * Handing instances over between two lives of a host agent (`keepInstances`), in one process:
 * an adopted instance stays supervised (its death is noticed and it is restarted), a command
 * order survives the handover, and a handoff file that is unreadable or another host's is
 * ignored (everything left over is killed).
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { headers } from "@nats-io/transport-node";
import { resolve, resourcesSchema } from "../../../src/config.js";
import { readProcStat } from "../../../src/host/drivers/pid-file.js";
import { HostAgent } from "../../../src/host/index.js";
import { COMMAND_ORDER_HEADERS, decodeJson, encodeJson } from "../../../src/streams/commands.js";
import { provision } from "../../../src/streams/provision.js";
import { subjects } from "../../../src/streams/subjects.js";
import { testNats } from "../../support/nats.js";
import { waitFor } from "../../support/wait.js";
import { control, makeCommand } from "./helpers.js";

const nats = await testNats();
const nc = await nats.connect();
await provision(nc, { resources: resolve(resourcesSchema, {}) });
const root = mkdtempSync(join(tmpdir(), "nadm-handover-"));
after(() => rmSync(root, { recursive: true, force: true }));
const lattice = "handover";
const alive = (pid: number) => {
  const stat = readProcStat(pid);
  return stat !== undefined && stat.state !== "Z";
};

function agent(hostId: string, dataDir: string): HostAgent {
  const a = new HostAgent({
    nc,
    lattice,
    hostId,
    dataDir,
    keepInstances: true,
    heartbeatIntervalMs: 500,
    stopGraceMs: 1_000,
    backoff: { baseMs: 100, maxMs: 200 },
  });
  after(() => a.stop());
  return a;
}

/** Starts `count` sleepers on a fresh agent and hands them over; returns their pids. */
async function handedOver(hostId: string, dataDir: string, count: number): Promise<number[]> {
  const first = agent(hostId, dataDir);
  await first.start();
  const cmd = makeCommand(lattice, hostId, { spec: { command: "sleep", args: ["300"] } }, count);
  assert.deepEqual(await control(nc, subjects.control(lattice, hostId), cmd), { ok: true, running: count });
  const pids = Object.values(first.inventory()).flatMap((w) => w.pids ?? []);
  await first.stop({ handOver: true });
  assert.equal(pids.length, count);
  assert.ok(pids.every(alive), "handed-over instances run on");
  return pids;
}

test("an adopted instance that dies is noticed and restarted", async () => {
  const dataDir = join(root, "restart");
  const [pid] = await handedOver("h-restart", dataDir, 1);
  const second = agent("h-restart", dataDir);
  await second.start();
  const adopted = Object.values(second.inventory())[0];
  assert.deepEqual(adopted?.pids, [pid]);
  process.kill(pid!, "SIGKILL");
  const after = await waitFor(
    () => {
      const inv = Object.values(second.inventory())[0];
      return inv?.running === 1 && inv.pids?.[0] !== pid ? inv : undefined;
    },
    { timeoutMs: 10_000, what: "a replacement of the killed instance" },
  );
  assert.equal(after.restarts, 1);
  assert.match(after.lastError ?? "", /exit status unknown/);
  await second.stop();
  assert.ok(!alive(after.pids![0]!), "a plain stop still stops adopted workloads' instances");
});

test("an older command redelivered after the handover does not undo a newer one", async () => {
  const dataDir = join(root, "order");
  const hostId = "h-order";
  const first = agent(hostId, dataDir);
  await first.start();
  const subject = subjects.control(lattice, hostId);
  const spec = { spec: { command: "sleep", args: ["300"] } };
  const ordered = async (count: number, seq: number) => {
    const h = headers();
    h.set(COMMAND_ORDER_HEADERS.seq, String(seq));
    h.set(COMMAND_ORDER_HEADERS.epoch, "e1");
    const cmd = encodeJson(makeCommand(lattice, hostId, spec, count));
    return decodeJson((await nc.request(subject, cmd, { headers: h, timeout: 10_000 })).data);
  };
  assert.deepEqual(await ordered(2, 10), { ok: true, running: 2 });
  await first.stop({ handOver: true });
  const second = agent(hostId, dataDir);
  await second.start();
  const stale = await ordered(0, 9);
  assert.equal((stale as { superseded?: boolean }).superseded, true, JSON.stringify(stale));
  assert.equal(Object.values(second.inventory())[0]?.running, 2);
});

const badFiles: Array<[string, (pids: number[]) => string]> = [
  ["not JSON", () => "{"],
  ["another host's", (pids) => handoffFor("someone-else", pids)],
  ["an unknown version", (pids) => handoffFor("h-bad", pids).replace('"version":1', '"version":2')],
];
for (const [what, content] of badFiles) {
  test(`a handoff file that is ${what} is ignored and the leftovers are killed`, async () => {
    const dataDir = join(root, `bad-${what.replaceAll(/\W/g, "")}`);
    const pids = await handedOver("h-bad", dataDir, 2);
    writeFileSync(join(dataDir, "handoff.json"), content(pids));
    const second = agent("h-bad", dataDir);
    await second.start();
    assert.ok(
      pids.every((pid) => !alive(pid)),
      "leftovers killed",
    );
    assert.deepEqual(second.inventory(), {});
  });
}

function handoffFor(hostId: string, pids: number[]): string {
  return JSON.stringify({
    version: 1,
    lattice,
    hostId,
    writtenAt: new Date().toISOString(),
    startedAt: new Date().toISOString(),
    heartbeatSeq: 1,
    lastOrders: {},
    workloads: [],
    pids, // ignored field: the instances are listed under workloads
  });
}

test("the handoff file is read once (a later crash finds none: its leftovers are killed, not adopted)", async () => {
  const dataDir = join(root, "once");
  const pids = await handedOver("h-once", dataDir, 1);
  const second = agent("h-once", dataDir);
  await second.start();
  assert.throws(() => readFileSync(join(dataDir, "handoff.json")), /ENOENT/);
  assert.ok(pids.every(alive));
});
