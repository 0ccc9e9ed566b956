/**
 * /livez and /readyz of a controller replica and of a host agent: ready once connected with
 * consumers bound (host: record written); 503 naming the reason while NATS is away; ready
 * again after it is back.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { serveHostProbes } from "../../../src/cli/host-probes.js";
import { HostAgent } from "../../../src/host/index.js";
import { createHostMetrics } from "../../../src/metrics.js";
import { freePort } from "../../../src/system.js";
import { startController } from "../../support/controller.js";
import { testNats } from "../../support/nats.js";
import { waitFor } from "../../support/wait.js";

const nats = await testNats();
const controllerNc = await nats.connect();
const hostNc = await nats.connect();
const controllerPort = await freePort();
await startController(controllerNc, { httpPort: controllerPort });
const agent = new HostAgent({ nc: hostNc, hostId: "h1", driver: "sim", heartbeatIntervalMs: 500 });
await agent.start();
after(() => agent.stop());
const hostPort = await freePort();
const probes = await serveHostProbes({
  port: hostPort,
  nc: hostNc,
  metrics: createHostMetrics(),
  agents: [agent],
});
after(() => probes.stop());

async function get(port: number, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: await res.text() };
}

const both = [
  ["controller", controllerPort],
  ["host", hostPort],
] as const;

test("/livez and /readyz answer 200 once started", async () => {
  for (const [who, port] of both) {
    assert.deepEqual(await get(port, "/livez"), { status: 200, body: "ok\n" }, who);
    assert.deepEqual(await get(port, "/readyz"), { status: 200, body: "ok\n" }, who);
  }
});

test("/readyz is 503 with the reason while NATS is away, 200 again once it is back", async () => {
  await nats.server.stop();
  for (const [who, port] of both) {
    const down = await waitFor(
      async () => {
        const r = await get(port, "/readyz");
        return r.status === 503 ? r : undefined;
      },
      { what: `${who} /readyz 503` },
    );
    assert.match(down.body, /^not ready: .*NATS disconnected/, who);
    // Liveness is about this process only: a NATS outage must not get it restarted.
    assert.equal((await get(port, "/livez")).status, 200, who);
  }
  await nats.restart();
  for (const [who, port] of both) {
    await waitFor(async () => (await get(port, "/readyz")).status === 200, {
      timeoutMs: 20_000,
      what: `${who} /readyz 200 again`,
    });
  }
});
