/**
 * The CLI waits out an unavailable API instead of failing: started while no controller answers,
 * `nadm app list` says what it is waiting for, and succeeds once a controller is up, within its
 * --timeout.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { test } from "node:test";
import { startController } from "../../support/controller.js";
import { testNats } from "../../support/nats.js";
import { spawnNadm } from "../../support/processes.js";
import { waitFor } from "../../support/wait.js";

const nats = await testNats();

test("no controller yet: the CLI retries, saying so, and succeeds when one starts", async () => {
  const cli = spawnNadm("app-list", ["app", "list", "--json", "--timeout", "30s"], {
    NATS_URL: nats.url,
    NADM_LOG_LEVEL: "warn",
  });
  const exited = once(cli.child, "exit");
  await waitFor(
    () => /waiting: no nadm controller is answering on nadm\.api\.default\.app\.list/.test(cli.output()),
    {
      timeoutMs: 20_000,
      what: "the CLI to say what it waits for",
    },
  );
  await startController(await nats.connect());
  const [code] = await exited;
  assert.equal(code, 0, cli.output());
  assert.match(cli.output(), /"apps": \[\]/);
});
