/**
 * A remote scaler in plain Node, using nothing of nadm: it speaks the protocol that
 * `nadm schema --scaler-io` describes, over NATS, so the same program could be written in any
 * language (../go is the Go one). It registers itself in the `nadm_scalers` bucket and answers
 * on `nadm.scaler.{lattice}.first-fit` in a queue group: start as many copies as you like.
 *
 * Run: NATS_URL=nats://127.0.0.1:4222 NADM_LATTICE=default npx tsx examples/remote-scalers/node/main.ts
 * (NATS_USER / NATS_PASSWORD when the server wants them: deploy/nats-permissions.conf has a role.)
 */
import { Kvm } from "@nats-io/kv";
import { connect } from "@nats-io/transport-node";
import { z } from "zod";
import { firstFit, type Host, properties, TYPE, VERSION } from "./rule.js";

function reply(data: Uint8Array): unknown {
  try {
    const input = JSON.parse(new TextDecoder().decode(data)) as { properties: unknown; hosts: Host[] };
    return firstFit(properties.parse(input.properties), input.hosts);
  } catch (err) {
    return { error: (err as Error).message };
  }
}

async function main(): Promise<void> {
  const lattice = process.env.NADM_LATTICE ?? "default";
  const nc = await connect({
    servers: (process.env.NATS_URL ?? "nats://127.0.0.1:4222").split(","),
    ...(process.env.NATS_USER ? { user: process.env.NATS_USER, pass: process.env.NATS_PASSWORD } : {}),
  });
  // Answer first, then register: a controller may call as soon as it sees the registration.
  nc.subscribe(`nadm.scaler.${lattice}.${TYPE}`, {
    queue: `nadm-scaler-${TYPE}`,
    callback: (err, msg) => {
      if (!err) msg.respond(JSON.stringify(reply(msg.data)));
    },
  });
  await nc.flush();
  // Controllers create the bucket; opening it needs fewer NATS permissions than creating it.
  const kvm = new Kvm(nc);
  const kv = await kvm.open("nadm_scalers").catch(() => kvm.create("nadm_scalers"));
  const schema = z.toJSONSchema(properties, { io: "input" });
  await kv.put(`${lattice}.${TYPE}`, JSON.stringify({ type: TYPE, version: VERSION, properties: schema }));
  process.stdout.write(`remote scaler ${TYPE} ${VERSION} answering on nadm.scaler.${lattice}.${TYPE}\n`);
  const stop = () => void nc.drain().then(() => process.exit(0));
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

await main();
