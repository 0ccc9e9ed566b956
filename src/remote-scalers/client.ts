/**
 * Asks a remote scaler for a placement: one NATS request on `nadm.scaler.{lattice}.{type}`
 * with the JSON ScalerInput, answered by whichever instance of that scaler is listening (run
 * several in a queue group for HA). The reply is untrusted: it is shape-checked here, then goes
 * through the same checks as an in-process result. Every failure becomes a ScalerError whose
 * message says what happened, for the component's `failed` status.
 */
import type { NatsConnection } from "@nats-io/transport-node";
import { ScalerError } from "../scalers/errors.js";
import type { ScalerInput } from "../scalers/types.js";
import { scalerErrorWireSchema, scalerResultWireSchema, toWireInput } from "../scalers/wire.js";
import { subjects } from "../streams/subjects.js";

export async function callRemoteScaler(
  nc: NatsConnection,
  type: string,
  input: ScalerInput<unknown>,
  timeoutMs: number,
): Promise<unknown> {
  const subject = subjects.scaler(input.app.lattice, type);
  let reply: Uint8Array;
  try {
    reply = (await nc.request(subject, JSON.stringify(toWireInput(input)), { timeout: timeoutMs })).data;
  } catch (err) {
    const e = err as { name?: string; message?: string };
    const why = /no responders/i.test(`${e.name} ${e.message}`)
      ? `no remote scaler is listening on ${subject}`
      : /timeout/i.test(`${e.name} ${e.message}`)
        ? `the remote scaler did not answer on ${subject} within ${timeoutMs} ms`
        : `the request on ${subject} failed: ${e.message}`;
    throw new ScalerError(type, why, { cause: err });
  }
  return parseReply(type, reply);
}

function parseReply(type: string, data: Uint8Array): unknown {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(data));
  } catch {
    throw new ScalerError(type, "the remote scaler's reply is not JSON");
  }
  const failed = scalerErrorWireSchema.safeParse(json);
  if (failed.success) throw new ScalerError(type, `the remote scaler failed: ${failed.data.error}`);
  const parsed = scalerResultWireSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ScalerError(
      type,
      `the remote scaler's reply is malformed at ${issue.path.join(".") || "(root)"}: ${issue.message}`,
    );
  }
  return parsed.data;
}
