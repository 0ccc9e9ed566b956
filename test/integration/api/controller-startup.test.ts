/**
 * `nadm controller` refuses to start on a server where `nadm_events` exists with other subjects,
 * and says what to do instead (provisioning, ARCHITECTURE §3).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { jetstreamManager } from "@nats-io/jetstream";
import { STREAMS } from "../../../src/streams/subjects.js";
import { runCli } from "../../support/cli.js";
import { testNats } from "../../support/nats.js";

const nats = await testNats();

test("a pre-existing nadm_events with other subjects fails `nadm controller` start-up clearly", async () => {
  const jsm = await jetstreamManager(await nats.connect());
  await jsm.streams.add({ name: STREAMS.events, subjects: ["other.>"] });

  const r = await runCli(["controller"], { env: { NATS_URL: nats.url }, timeoutMs: 20_000 });
  assert.equal(r.code, 1, `exit code (stderr: ${r.stderr})`);
  assert.match(r.stderr, /stream nadm_events exists with subjects \[other\.>\], nadm needs \[nadm\.evt\.>\]/);
  assert.match(r.stderr, /nats stream rm nadm_events/, "says how to fix it");
  assert.doesNotMatch(r.stderr, /^\s+at /m, "no stack trace");
  const info = await jsm.streams.info(STREAMS.events);
  assert.deepEqual(info.config.subjects, ["other.>"], "the existing stream is left alone");
});
