/**
 * Test helpers for the host agent: control requests, an event recorder on `nadm_events`, a
 * KV history recorder, and an independent view of live OS processes (from /proc, not from the
 * agent).
 */
import { randomUUID } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { DeliverPolicy, jetstream } from "@nats-io/jetstream";
import type { KV } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { type Command, decodeJson, encodeJson } from "../../../src/streams/commands.js";
import { type NadmEvent, parseEvent } from "../../../src/streams/events.js";
import { type HostRecord, hostRecordSchema } from "../../../src/streams/host-record.js";
import { STREAMS, workloadKey } from "../../../src/streams/subjects.js";

export interface WorkloadInput {
  app?: string;
  component?: string;
  rev?: string;
  type?: string;
  spec: Record<string, unknown>;
}

export function makeCommand(lattice: string, hostId: string, w: WorkloadInput, count: number): Command {
  const app = w.app ?? "demo";
  const component = w.component ?? "web";
  const rev = w.rev ?? "r1";
  return {
    id: `cmd-${randomUUID()}`,
    lattice,
    hostId,
    app,
    component,
    workload: { key: workloadKey(app, component, rev), rev, type: w.type ?? "process", spec: w.spec },
    count,
    reason: "test",
    causationId: "test",
    basedOnRevision: 0,
    issuedAt: new Date().toISOString(),
  };
}

export type Reply = { ok: boolean; running?: number; error?: string; inventory?: Record<string, unknown> };

export async function control(
  nc: NatsConnection,
  subject: string,
  body: unknown,
  timeoutMs = 15_000,
): Promise<Reply> {
  const payload = typeof body === "string" ? new TextEncoder().encode(body) : encodeJson(body);
  const msg = await nc.request(subject, payload, { timeout: timeoutMs });
  return decodeJson(msg.data) as Reply;
}

/** Records every event of `lattice` from the stream's start (ordered consumer). */
export async function recordEvents(nc: NatsConnection, lattice: string) {
  const js = jetstream(nc);
  const consumer = await js.consumers.get(STREAMS.events, { deliver_policy: DeliverPolicy.All });
  const messages = await consumer.consume();
  const events: Array<NadmEvent & { streamSeq: number }> = [];
  const done = (async () => {
    for await (const m of messages) {
      const ev = parseEvent(m.subject, m.data);
      if (ev.lattice === lattice) events.push({ ...ev, streamSeq: m.seq });
    }
  })();
  return {
    events,
    of: <T extends NadmEvent["type"]>(type: T, hostId?: string) =>
      events.filter(
        (e): e is Extract<NadmEvent, { type: T }> & { streamSeq: number } =>
          e.type === type && (hostId === undefined || (e.data as { hostId?: string }).hostId === hostId),
      ),
    async stop() {
      await messages.close();
      await done;
    },
  };
}

/** Records every PUT of one KV key by revision, as it happens (the bucket keeps no history). */
export async function recordKv(kv: KV, key: string) {
  const byRevision = new Map<number, { record: HostRecord; created: Date }>();
  const deletes: number[] = [];
  const watch = await kv.watch({ key });
  const done = (async () => {
    for await (const e of watch) {
      if (e.operation === "PUT")
        byRevision.set(e.revision, { record: hostRecordSchema.parse(e.json()), created: e.created });
      else deletes.push(e.revision);
    }
  })();
  return {
    byRevision,
    deletes,
    async stop() {
      watch.stop();
      await done;
    },
  };
}

/**
 * Live, non-zombie processes started for `hostId`, found by their environment in /proc: an
 * independent check of what the agent claims.
 */
export function liveInstancePids(hostId: string, extra?: (env: string) => boolean): number[] {
  const needle = `NADM_HOST_ID=${hostId}\0`;
  const pids: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
      if (state === "Z") continue;
      const env = `${readFileSync(`/proc/${name}/environ`, "latin1")}\0`;
      if (env.includes(needle) && (!extra || extra(env))) pids.push(Number(name));
    } catch {
      // exited meanwhile, or not ours to read
    }
  }
  return pids.sort((a, b) => a - b);
}

export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}
