/**
 * The host's side of the control protocol on `nadm.ctl.{lattice}.{hostId}` (ARCHITECTURE §5):
 * turns a request into a validated command (or an inventory query) before anything changes.
 * Every rejection names the field at fault.
 */
import type { MsgHdrs } from "@nats-io/transport-node";
import {
  COMMAND_ORDER_HEADERS,
  type Command,
  type CommandOrder,
  commandSchema,
  decodeJson,
} from "../streams/commands.js";
import { workloadKey } from "../streams/subjects.js";
import { type Driver, UnsupportedWorkloadError, type WorkloadRef } from "./drivers/types.js";

export type ControlRequest =
  | { kind: "inventory" }
  | { kind: "command"; command: Command; ref: WorkloadRef; properties: unknown; order?: CommandOrder };

/** The command's place in the command stream, from the dispatcher's headers (absent: unordered). */
export function commandOrder(headers: MsgHdrs | undefined): CommandOrder | undefined {
  const seq = Number(headers?.get(COMMAND_ORDER_HEADERS.seq));
  const epoch = headers?.get(COMMAND_ORDER_HEADERS.epoch) ?? "";
  return Number.isSafeInteger(seq) && seq > 0 && epoch !== "" ? { seq, epoch } : undefined;
}

export interface ControlTarget {
  lattice: string;
  hostId: string;
  driver: Driver<unknown>;
}

export function parseControlRequest(
  data: Uint8Array,
  host: ControlTarget,
): ControlRequest | { error: string } {
  let raw: unknown;
  try {
    raw = decodeJson(data);
  } catch (err) {
    return { error: `request is not valid JSON: ${(err as Error).message}` };
  }
  if (typeof raw === "object" && raw !== null && "op" in raw) {
    const op = (raw as { op: unknown }).op;
    if (op === "inventory") return { kind: "inventory" };
    return { error: `op: unsupported operation ${JSON.stringify(op)} (supported: "inventory")` };
  }
  const parsed = commandSchema.safeParse(raw);
  if (!parsed.success) {
    return {
      error: parsed.error.issues.map((i) => `${i.path.join(".") || "command"}: ${i.message}`).join("; "),
    };
  }
  const command = parsed.data;
  const mismatch = targetMismatch(command, host);
  if (mismatch) return { error: mismatch };
  const ref: WorkloadRef = {
    app: command.app,
    component: command.component,
    rev: command.workload.rev,
    key: command.workload.key,
    type: command.workload.type,
    spec: command.workload.spec,
  };
  try {
    // Stopping or shrinking needs no spec: the controller may no longer have an old revision's
    // properties (a rollout shrinks old revisions step by step). The host keeps them.
    const specless = command.count === 0 || Object.keys(ref.spec).length === 0;
    const properties = specless ? undefined : host.driver.prepare(ref);
    return { kind: "command", command, ref, properties };
  } catch (err) {
    if (err instanceof UnsupportedWorkloadError) return { error: err.message };
    throw err;
  }
}

function targetMismatch(command: Command, host: ControlTarget): string | undefined {
  if (command.lattice !== host.lattice) {
    return `lattice: command is for lattice ${JSON.stringify(command.lattice)}, this host is in ${JSON.stringify(host.lattice)}`;
  }
  if (command.hostId !== host.hostId) {
    return `hostId: command is for host ${JSON.stringify(command.hostId)}, this is ${JSON.stringify(host.hostId)}`;
  }
  const expected = workloadKey(command.app, command.component, command.workload.rev);
  if (command.workload.key !== expected) {
    return `workload.key: expected ${JSON.stringify(expected)} ({app}.{component}.{rev}), got ${JSON.stringify(command.workload.key)}`;
  }
  return undefined;
}
