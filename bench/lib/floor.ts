/**
 * The floor loops' streams, consumer and bucket: the bare NATS work a benchmark compares nadm
 * against, on the same nats-server in the same run (agents.ts runs them).
 */
import { AckPolicy, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";

export const FLOOR = {
  in: "bench_in",
  out: "bench_out",
  events: "bench_evt",
  commands: "bench_cmd",
  bucket: "bench_hosts",
} as const;

/** Creates the floor's streams, consumers and bucket (run by the benchmark before the agents). */
export async function provisionFloor(nc: NatsConnection): Promise<void> {
  const jsm = await jetstreamManager(nc);
  for (const [name, subject] of [
    [FLOOR.in, "bench.in.>"],
    [FLOOR.out, "bench.out.>"],
    [FLOOR.events, "bench.evt.>"],
    [FLOOR.commands, "bench.cmd.>"],
  ] as const) {
    await jsm.streams.add({ name, subjects: [subject] });
  }
  for (const stream of [FLOOR.in, FLOOR.events, FLOOR.commands]) {
    await jsm.consumers.add(stream, {
      durable_name: "bench",
      ack_policy: AckPolicy.Explicit,
      max_ack_pending: 1000,
    });
  }
  await new Kvm(nc).create(FLOOR.bucket, { history: 1 });
}
