/**
 * The API client the CLI (and users' code) call: one request per op, the envelope unwrapped into
 * a result or a typed NadmError.
 */
import {
  type NatsConnection,
  NoRespondersError,
  PermissionViolationError,
  TimeoutError,
} from "@nats-io/transport-node";
import { BadRequestError, type ErrorBody, NadmError, UnavailableError } from "../errors.js";
import { type ApiOp, subjects } from "../streams/subjects.js";

import type * as P from "./protocol.js";
import { MAX_REQUEST_BYTES } from "./protocol.js";

export class ApiClient {
  constructor(
    private readonly nc: NatsConnection,
    readonly lattice: string,
    private readonly timeoutMs = 10_000,
  ) {}

  async call<T>(op: ApiOp, body: unknown = {}): Promise<T> {
    const subject = subjects.api(this.lattice, op);
    const payload = typeof body === "string" || body instanceof Uint8Array ? body : JSON.stringify(body);
    this.checkSize(payload);
    let reply: Uint8Array;
    try {
      reply = (await this.nc.request(subject, payload, { timeout: this.timeoutMs })).data;
    } catch (err) {
      // Denied by the NATS permissions of this user (docs/security.md): waiting will not help.
      if (err instanceof PermissionViolationError || /permissions violation/i.test(String(err))) {
        throw new BadRequestError(`NATS does not let this user call ${op}: ${(err as Error).message}`, [
          { path: "", message: `no publish permission on ${subject}` },
        ]);
      }
      throw new UnavailableError(describeRequestFailure(err, subject), { cause: err });
    }
    let envelope: P.Envelope<T>;
    try {
      envelope = JSON.parse(new TextDecoder().decode(reply)) as P.Envelope<T>;
    } catch {
      throw new UnavailableError(
        `the reply on ${subject} is not JSON: is something other than nadm answering?`,
      );
    }
    if (envelope.ok) return envelope.result;
    throw fromErrorBody(envelope.error);
  }

  /** Refuses, before sending, a request the server would refuse (its max_payload, read at connect). */
  private checkSize(payload: string | Uint8Array): void {
    const size = typeof payload === "string" ? Buffer.byteLength(payload) : payload.byteLength;
    const max = Math.min(MAX_REQUEST_BYTES, this.nc.info?.max_payload ?? MAX_REQUEST_BYTES);
    if (size <= max) return;
    throw new BadRequestError(
      `the request is ${size} bytes; the NATS server accepts at most ${max} bytes per message (max_payload)`,
      [{ path: "", message: `at most ${max} bytes` }],
    );
  }

  put(manifestText: string | Uint8Array) {
    return this.call<P.PutResult>("put", manifestText);
  }
  get(name: string, version?: string) {
    return this.call<P.GetResult>("get", { name, version });
  }
  list() {
    return this.call<P.ListResult>("list");
  }
  versions(name: string) {
    return this.call<P.VersionsResult>("versions", { name });
  }
  delete(name: string, version?: string) {
    return this.call<P.DeleteResult>("delete", { name, version });
  }
  deploy(name: string, version?: string) {
    return this.call<P.DeployResult>("deploy", { name, version });
  }
  undeploy(name: string) {
    return this.call<P.DeployResult>("undeploy", { name });
  }
  status(name: string) {
    return this.call<P.StatusResult>("status", { name });
  }
  history(name: string, opts: { commands?: boolean } = {}) {
    return this.call<P.HistoryResult>("history", opts.commands ? { name, commands: true } : { name });
  }
  /** What deploying a stored version (`{name, version?}`) or a manifest text (`{manifest}`) would do. */
  plan(req: { name: string; version?: string } | { manifest: string }) {
    return this.call<P.PlanResult>("plan", req);
  }
  pause(name: string) {
    return this.call<P.PauseResult>("pause", { name });
  }
  resume(name: string) {
    return this.call<P.PauseResult>("resume", { name });
  }
  endpoints(name: string) {
    return this.call<P.EndpointsResult>("endpoints", { name });
  }
  validate(manifestText: string | Uint8Array) {
    return this.call<P.ValidateResult>("validate", manifestText);
  }
}

export function fromErrorBody(body: ErrorBody): NadmError {
  return new NadmError(body.code, body.message, body.details ?? []);
}

function describeRequestFailure(err: unknown, subject: string): string {
  const cause = (err as { cause?: unknown })?.cause;
  if (
    err instanceof NoRespondersError ||
    cause instanceof NoRespondersError ||
    /no responders/i.test(String(err))
  ) {
    return `no nadm controller is answering on ${subject}: is \`nadm controller\` (or \`nadm up\`) running?`;
  }
  if (err instanceof TimeoutError || /timeout/i.test(String(err))) {
    return `no reply on ${subject} in time: the controller is busy or unreachable`;
  }
  return `request on ${subject} failed: ${(err as Error).message}`;
}
