/**
 * A registered remote scaler as the planner's seam sees it: an ExternalScaler whose `evaluate`
 * is one NATS request (reconcile/external.ts evaluates the calls a plan asks for). Remote calls
 * cross the network, so they get their own timeout (`--remote-scaler-timeout`) instead of the
 * in-process worker's deadline.
 */
import type { NatsConnection } from "@nats-io/transport-node";
import type { ExternalScaler, ScalerInput } from "../scalers/index.js";
import { callRemoteScaler } from "./client.js";
import type { RemoteScaler } from "./registrations.js";

export function remoteExternal(nc: NatsConnection, remote: RemoteScaler, timeoutMs: number): ExternalScaler {
  return {
    type: remote.type,
    version: remote.version,
    kind: "nats",
    properties: remote.properties,
    async evaluate(input: ScalerInput<unknown>) {
      const result = await callRemoteScaler(nc, remote.type, input, timeoutMs);
      return { result, desired: (result as { desired?: unknown }).desired };
    },
  };
}
