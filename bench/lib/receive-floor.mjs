/**
 * The floor of M5 (bench/fleet.ts): a bare process that only receives every heartbeat of the
 * fleet (every write of the nadm_liveness bucket), reads what any replica must know of a write
 * and counts it: no liveness verdict, no view, no planning. Reading those fields is part of the
 * floor because nats.js computes them lazily: a watcher that never touches them costs ~0.5 % of
 * a core less at 1,000 writes a second (2.4-2.8 % vs 3.15-3.25 %, 2026-12-03) but learns nothing.
 * Plain JavaScript run by plain node, so it carries none of tsx's cost, like the built
 * controller it is compared with.
 * Usage: NATS_URL=… node bench/lib/receive-floor.mjs watch|subscribe [bucket]
 * - `subscribe`: a core NATS subscription to the bucket's subjects, reading subject and bytes:
 *   how every replica takes heartbeats since 2026-12-03 (src/lattice/heartbeats.ts);
 * - `watch`: a KV watch of the bucket (an ordered push consumer), reading key, revision, server
 *   time, operation and bytes: how replicas took them before (of `nadm_hosts`, then written on
 *   every heartbeat), for comparison.
 * `bucket` defaults to nadm_liveness.
 * Prints `{ready}` once receiving, then `{at, received, read}` (ms since the epoch, messages so
 * far, whether their fields were read) every second until killed.
 */
import { Kvm } from "@nats-io/kv";
import { connect } from "@nats-io/transport-node";

const [mode, bucket = "nadm_liveness"] = process.argv.slice(2);
const nc = await connect({ servers: process.env.NATS_URL, noAsyncTraces: true });
let received = 0;
/** What was read, kept so that no read can be optimised away. */
let sink = 0;
if (mode === "watch") {
  const watch = await (await new Kvm(nc).open(bucket)).watch();
  void (async () => {
    for await (const e of watch) {
      sink += e.key.length + e.revision + e.created.getTime() + e.operation.length + e.value.length;
      received++;
    }
  })();
} else if (mode === "subscribe") {
  nc.subscribe(`$KV.${bucket}.>`, {
    callback: (_err, msg) => {
      sink += msg.subject.length + msg.data.length;
      received++;
    },
  });
} else {
  throw new Error(`mode must be watch or subscribe, not "${mode}"`);
}
await nc.flush();
process.stdout.write(`${JSON.stringify({ ready: mode })}\n`);
setInterval(
  () => process.stdout.write(`${JSON.stringify({ at: Date.now(), received, read: sink > 0 })}\n`),
  1_000,
);
