/**
 * Events (ARCHITECTURE §4): CloudEvents 1.0 in structured JSON on `nadm.evt.{lattice}.{type}`.
 * The event id is also the `Nats-Msg-Id`, so a re-published event is dropped by the server.
 */
import { randomUUID } from "node:crypto";
import type { JetStreamClient, PubAck } from "@nats-io/jetstream";
import { headers } from "@nats-io/transport-node";
import { CloudEvent } from "cloudevents";
import { z } from "zod";
import { EVENT_TYPES, type EventType, parseSubject, subjects } from "./subjects.js";

const base = { stateRevision: z.number().int().min(0).optional() };
const workloadBase = {
  ...base,
  hostId: z.string(),
  app: z.string(),
  component: z.string(),
  workloadKey: z.string(),
  desired: z.number().int().min(0),
  running: z.number().int().min(0),
  ready: z.number().int().min(0),
};

export const eventDataSchemas = {
  host_started: z.object({ ...base, hostId: z.string() }),
  host_stopped: z.object({ ...base, hostId: z.string() }),
  host_lost: z.object({ ...base, hostId: z.string(), lastSeen: z.string().optional() }),
  workload_scaled: z.object(workloadBase),
  workload_failed: z.object({
    ...workloadBase,
    reason: z.string(),
    exitCode: z.number().int().nullable().optional(),
    signal: z.string().nullable().optional(),
  }),
  /** `action`: what the API did (pause and resume are puts of the app's index); absent means put. */
  app_put: z.object({
    ...base,
    app: z.string(),
    version: z.string(),
    action: z.enum(["put", "pause", "resume"]).optional(),
  }),
  /** `reason` is set on an auto-revert (a deploy the controller made). */
  app_deployed: z.object({ ...base, app: z.string(), version: z.string(), reason: z.string().optional() }),
  app_undeployed: z.object({ ...base, app: z.string() }),
  app_deleted: z.object({ ...base, app: z.string(), version: z.string().optional() }),
  lattice_tick: z.object({ period: z.number().int(), intervalMs: z.number().int().positive() }),
  command_failed: z.object({
    // stateRevision: of the refusal record in nadm_refusals that the failure was written to.
    ...base,
    commandId: z.string(),
    hostId: z.string(),
    app: z.string(),
    component: z.string(),
    workloadKey: z.string(),
    count: z.number().int(),
    reason: z.string(),
    attempt: z.number().int().min(1).optional(),
  }),
} satisfies Record<EventType, z.ZodType>;

export type EventData<T extends EventType> = z.infer<(typeof eventDataSchemas)[T]>;

export type NadmEvent = {
  [T in EventType]: {
    id: string;
    type: T;
    lattice: string;
    source: string;
    time: string;
    data: EventData<T>;
  };
}[EventType];

export function eventSource(lattice: string, origin: { hostId: string } | "api" | "controller"): string {
  if (origin === "api") return `nadm/${lattice}/api`;
  if (origin === "controller") return `nadm/${lattice}/controller`;
  return `nadm/${lattice}/host/${origin.hostId}`;
}

/**
 * The CloudEvents NATS binding's header for structured mode: the payload is the whole event as
 * JSON (attributes and `data`), not just the data.
 */
export const EVENT_CONTENT_TYPE = "application/cloudevents+json";

/**
 * The CloudEvents `subject` attribute: what the event is about within its source. The app for
 * app, workload and command events; the host for host events; the lattice for the tick.
 */
export function eventSubject(lattice: string, data: Record<string, unknown>): string {
  if (typeof data.app === "string") return data.app;
  if (typeof data.hostId === "string") return data.hostId;
  return lattice;
}

/**
 * `time` is when the occurrence happened (CloudEvents' meaning): a caller that publishes later,
 * or again after an outage, passes the moment it recorded; otherwise it is now.
 */
export function buildEvent<T extends EventType>(
  lattice: string,
  type: T,
  source: string,
  data: EventData<T>,
  id: string = randomUUID(),
  time: Date = new Date(),
): { subject: string; id: string; payload: string } {
  const ce = new CloudEvent({
    id,
    type: `dev.nadm.${type}`,
    source,
    subject: eventSubject(lattice, data),
    datacontenttype: "application/json",
    time: time.toISOString(),
    data,
  });
  return { subject: subjects.event(lattice, type), id, payload: JSON.stringify(ce) };
}

export async function publishEvent<T extends EventType>(
  js: JetStreamClient,
  lattice: string,
  type: T,
  source: string,
  data: EventData<T>,
  id?: string,
  time?: Date,
): Promise<PubAck> {
  const ev = buildEvent(lattice, type, source, data, id, time);
  const h = headers();
  h.set("content-type", EVENT_CONTENT_TYPE);
  return js.publish(ev.subject, ev.payload, { msgID: ev.id, headers: h });
}

export class MalformedEventError extends Error {
  override name = "MalformedEventError";
}

/** Parses and validates an event from a message; throws MalformedEventError with the reason. */
export function parseEvent(subject: string, payload: Uint8Array): NadmEvent {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(new TextDecoder().decode(payload));
  } catch {
    throw new MalformedEventError("payload is not JSON");
  }
  if (typeof raw !== "object" || raw === null) throw new MalformedEventError("payload is not an object");
  const typeName = typeof raw.type === "string" ? raw.type.replace(/^dev\.nadm\./, "") : "";
  if (!(EVENT_TYPES as readonly string[]).includes(typeName)) {
    throw new MalformedEventError(`unknown event type ${JSON.stringify(raw.type)}`);
  }
  const type = typeName as EventType;
  const parsed = parseSubject(subject);
  const lattice = parsed?.lattice ?? "";
  if (parsed?.kind !== "evt" || parsed.last !== type) {
    throw new MalformedEventError(`subject ${subject} does not match event type ${type}`);
  }
  if (typeof raw.id !== "string" || raw.id === "" || typeof raw.source !== "string") {
    throw new MalformedEventError("event id and source are required");
  }
  const data = eventDataSchemas[type].safeParse(raw.data);
  if (!data.success) {
    const first = data.error.issues[0];
    throw new MalformedEventError(`data.${first?.path.join(".")}: ${first?.message}`);
  }
  return {
    id: raw.id,
    type,
    lattice,
    source: raw.source,
    time: typeof raw.time === "string" ? raw.time : new Date().toISOString(),
    data: data.data,
  } as NadmEvent;
}
