/**
 * The seam between the pure planner and scalers it may not call itself (ExternalScaler: a
 * worker-thread module, a remote scaler over NATS). Planning runs in two passes: the first pass
 * lists the calls it needs (`Plan.calls`, each with the exact ScalerInput the planner built),
 * they are evaluated here concurrently, each under its deadline, and the second pass uses the
 * outcomes as if the scaler had returned them in-process (same checks, same `failed` status).
 * A new kind of executor is a new ExternalScaler; nothing here or in the planner changes.
 */
import type { ExternalOutcome, ExternalScaler, ScalerLookup } from "../scalers/index.js";
import type { ExternalCall } from "./desired.js";
import { type Plan, type PlanInput, plan } from "./plan.js";

export interface ExternalEvaluator {
  registry: ScalerLookup;
  /** Per call, from when it starts running (ControllerConfig.scalerDeadlineMs). */
  deadlineMs: number;
  /** Told about every failed call (throw, deadline, transport): for the log and the metric. */
  onFailure?: (call: ExternalCall, scaler: ExternalScaler | undefined, err: Error) => void;
}

/** `plan`, with the external scaler calls it asks for evaluated between its two passes. */
export async function planWithExternal(input: PlanInput, ev: ExternalEvaluator): Promise<Plan> {
  const first = plan(input);
  if (!first.calls) return first;
  const external = await evaluateCalls(first.calls, ev);
  return plan({ ...input, external });
}

export async function evaluateCalls(
  calls: readonly ExternalCall[],
  ev: ExternalEvaluator,
): Promise<Map<string, ExternalOutcome>> {
  const outcomes = await Promise.all(calls.map((call) => evaluateOne(call, ev)));
  return new Map(calls.map((call, i) => [call.component, outcomes[i]!]));
}

async function evaluateOne(call: ExternalCall, ev: ExternalEvaluator): Promise<ExternalOutcome> {
  const scaler = ev.registry.getExternal(call.scaler);
  try {
    if (!scaler) throw new Error(`scaler "${call.scaler}" is not loaded on this controller`);
    const reply = await scaler.evaluate(call.input, ev.deadlineMs);
    return { ok: true, result: reply.result, desired: reply.desired };
  } catch (err) {
    const error = err instanceof Error ? err : new Error(String(err));
    ev.onFailure?.(call, scaler, error);
    return { ok: false, error: error.message };
  }
}
