/**
 * The one place that turns a handler's outcome into a JetStream action (STYLE §3):
 * ok → ackAck; retry → nak(delay); error → nak(backoff(deliveries)); terminal → term + DLQ copy.
 * `handleMessage` guarantees a message is settled whatever the handler does (STYLE §4): an
 * exception is a retryable error, never a message left hanging until ack_wait.
 */
import type { JetStreamClient, JsMsg } from "@nats-io/jetstream";
import { headers } from "@nats-io/transport-node";
import type { Logger } from "../log.js";
import { dedupeIds, parseSubject, subjects } from "./subjects.js";

export type Outcome =
  | { kind: "ok" }
  | { kind: "retry"; delayMs: number; reason: string }
  | { kind: "error"; error: unknown }
  | { kind: "terminal"; reason: string };

export const ok: Outcome = { kind: "ok" };
export const terminal = (reason: string): Outcome => ({ kind: "terminal", reason });
export const retry = (delayMs: number, reason: string): Outcome => ({ kind: "retry", delayMs, reason });

/** Exponential backoff for redeliveries: 250 ms, 500 ms, 1 s … capped at 30 s. */
export function backoffMs(deliveryCount: number): number {
  return Math.min(30_000, 250 * 2 ** Math.max(0, deliveryCount - 1));
}

export interface SettleContext {
  js: JetStreamClient;
  log: Logger;
  /** Lattice and kind for the DLQ subject `nadm.dlq.{lattice}.{kind}`. */
  dlq: (msg: JsMsg) => { lattice: string; kind: string };
  onSettled?: (outcome: Outcome["kind"], msg: JsMsg) => void;
}

/** DLQ routing for messages on `nadm.{evt|cmd}.{lattice}.…`: their own lattice, the given kind. */
export function dlqBySubject(kind: string): SettleContext["dlq"] {
  return (msg) => ({ lattice: parseSubject(msg.subject)?.lattice ?? "_invalid", kind });
}

/** Copies a message to the DLQ with the reason in a header (2.9.10 cannot carry a term reason). */
export async function copyToDlq(
  js: JetStreamClient,
  msg: JsMsg,
  lattice: string,
  kind: string,
  reason: string,
) {
  const h = headers();
  // A header value is one line: a multi-line reason (e.g. a zod error) would corrupt the message.
  h.set("Nadm-Reason", reason.replace(/\s+/g, " ").slice(0, 1000));
  h.set("Nadm-Original-Subject", msg.subject);
  h.set("Nadm-Original-Sequence", String(msg.seq));
  const safeLattice = /^[A-Za-z0-9_-]+$/.test(lattice) ? lattice : "_invalid";
  await js.publish(subjects.dlq(safeLattice, kind), msg.data, {
    headers: h,
    msgID: dedupeIds.dlq(msg.info.stream, msg.seq),
  });
}

export async function settle(msg: JsMsg, outcome: Outcome, ctx: SettleContext): Promise<void> {
  switch (outcome.kind) {
    case "ok":
      await msg.ackAck();
      break;
    case "retry":
      msg.nak(outcome.delayMs);
      break;
    case "error":
      ctx.log.warn(
        { err: outcome.error, subject: msg.subject, deliveries: msg.info.deliveryCount },
        "will retry",
      );
      msg.nak(backoffMs(msg.info.deliveryCount));
      break;
    case "terminal": {
      const { lattice, kind } = ctx.dlq(msg);
      ctx.log.warn({ subject: msg.subject, reason: outcome.reason }, "terminated: copied to the DLQ");
      await copyToDlq(ctx.js, msg, lattice, kind, outcome.reason);
      msg.term();
      break;
    }
  }
  ctx.onSettled?.(outcome.kind, msg);
}

/** Runs the handler and settles the message exactly once, whatever happens. */
export async function handleMessage(
  msg: JsMsg,
  handler: (msg: JsMsg) => Promise<Outcome>,
  ctx: SettleContext,
  workingEveryMs?: number,
): Promise<void> {
  const keepAlive = workingEveryMs ? setInterval(() => msg.working(), workingEveryMs) : undefined;
  let outcome: Outcome;
  try {
    outcome = await handler(msg);
  } catch (error) {
    outcome = { kind: "error", error };
  } finally {
    if (keepAlive) clearInterval(keepAlive);
  }
  try {
    await settle(msg, outcome, ctx);
  } catch (err) {
    // The ack (or DLQ copy) failed: nak so it comes back rather than wait for ack_wait.
    ctx.log.warn({ err, subject: msg.subject }, "could not settle message; nak");
    msg.nak(backoffMs(msg.info.deliveryCount));
  }
}
