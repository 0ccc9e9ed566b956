/**
 * The floor of M5 (bench/fleet.ts): a bare process that only receives every write of the
 * nadm_hosts bucket and counts it: no decoding, no liveness, no planning. Plain JavaScript run
 * by plain node, so it carries none of tsx's cost, like the built controller it is compared with.
 * Usage: NATS_URL=… node bench/lib/receive-floor.mjs watch|subscribe
 * - `watch`: a KV watch of the bucket (an ordered push consumer), what every replica runs today;
 * - `subscribe`: a core NATS subscription to the bucket's subjects, the cheapest way to see the
 *   same writes (no sequence tracking, no flow control), as a liveness subject would be.
 * Prints `{ready}` once receiving, then `{at, received}` (ms since the epoch, messages so far)
 * every second until killed.
 */
import { Kvm } from "@nats-io/kv";
import { connect } from "@nats-io/transport-node";

const [mode] = process.argv.slice(2);
const nc = await connect({ servers: process.env.NATS_URL, noAsyncTraces: true });
let received = 0;
if (mode === "watch") {
  const watch = await (await new Kvm(nc).open("nadm_hosts")).watch();
  void (async () => {
    for await (const _ of watch) received++;
  })();
} else if (mode === "subscribe") {
  nc.subscribe("$KV.nadm_hosts.>", {
    callback: () => {
      received++;
    },
  });
} else {
  throw new Error(`mode must be watch or subscribe, not "${mode}"`);
}
await nc.flush();
process.stdout.write(`${JSON.stringify({ ready: mode })}\n`);
setInterval(() => process.stdout.write(`${JSON.stringify({ at: Date.now(), received })}\n`), 1_000);
