/**
 * A host asked to stop while NATS is gone stops at once: it does not wait on record deletes and
 * `host_stopped` publishes that cannot be answered (1,000 sim hosts took minutes, two request
 * timeouts each). Its record stays for the liveness sweep, and its connection is closed, not
 * drained (a drain of a connection that is down only fails).
 */
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { test } from "node:test";
import { pino } from "pino";
import { resolve, resourcesSchema } from "../../../src/config.js";
import { HostAgent } from "../../../src/host/index.js";
import { LinkState } from "../../../src/streams/link.js";
import { provision } from "../../../src/streams/provision.js";
import { keys } from "../../../src/streams/subjects.js";
import { testNats } from "../../support/nats.js";
import { waitFor } from "../../support/wait.js";

const nats = await testNats();

test("a host stops without waiting on NATS when NATS is gone, leaving its record to the sweep", async () => {
  const admin = await nats.connect();
  const { hosts } = await provision(admin, { resources: resolve(resourcesSchema, {}) });
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const hostNc = await nats.connect();
  const agent = new HostAgent({
    nc: hostNc,
    ownsConnection: true,
    hostId: "offline",
    driver: "sim",
    heartbeatIntervalMs: 500,
    logger: pino({ level: "warn" }, sink),
  });
  await agent.start();
  await waitFor(() => hosts.get(keys.host("default", "offline")), { what: "the host record" });

  await nats.server.stop();
  await waitFor(() => !LinkState.of(hostNc).connected, { what: "the host to notice NATS is gone" });
  const started = performance.now();
  await agent.stop();
  const ms = performance.now() - started;

  // Not a benchmark: a stop that waited on NATS would take a request timeout (5 s) or more.
  assert.ok(ms < 2_500, `stopped after ${ms.toFixed(0)} ms`);
  assert.ok(hostNc.isClosed(), "the host's connection is closed");
  assert.ok(
    lines.some((l) => l.includes("host record left for the liveness sweep")),
    "the log says why the record stays",
  );

  await nats.restart();
  const again = await nats.connect();
  const { hosts: after } = await provision(again, { resources: resolve(resourcesSchema, {}) });
  const record = await after.get(keys.host("default", "offline"));
  assert.equal(record?.operation, "PUT", "the record is still there for the liveness sweep");
});
