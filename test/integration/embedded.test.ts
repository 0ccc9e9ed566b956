import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { NatsServerNotFoundError, startNatsServer } from "../../src/embedded/nats-server.js";
import { testNats } from "../support/nats.js";

const nats = await testNats();

test("a port taken by another server is reported as such, not mistaken for ours", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "nadm-embedded-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  await assert.rejects(
    startNatsServer({ storeDir: dir, port: nats.server.port }),
    /port \d+ is already in use/,
  );
});

test("a missing binary says how to install nats-server", async () => {
  await assert.rejects(
    startNatsServer({ storeDir: "/tmp/unused", binary: "/nonexistent/nats-server" }),
    (err) => {
      assert.ok(err instanceof NatsServerNotFoundError);
      assert.match(err.message, /apt-get install -y nats-server/);
      return true;
    },
  );
});
