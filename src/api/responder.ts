/**
 * The API responder: subscribes to `nadm.api.*.app.*` in queue group `nadm-api` (any number of
 * replicas share the load) and answers every request with one JSON envelope. Nothing a client
 * sends can crash it or change state on bad input.
 */
import type { Msg, NatsConnection, Subscription } from "@nats-io/transport-node";
import { within } from "../deadline.js";
import { BadRequestError, InternalError, NadmError, toErrorBody } from "../errors.js";
import {
  API_OPS,
  API_QUEUE_GROUP,
  type ApiOp,
  isToken,
  parseApiSubject,
  subjects,
} from "../streams/subjects.js";
import { asUnavailable } from "../streams/unavailable.js";
import { endpoints } from "./endpoints.js";
import { type ApiDeps, type Handler, handlers } from "./handlers.js";
import { history } from "./history.js";
import { plan } from "./plan.js";
import { type Envelope, MAX_REQUEST_BYTES } from "./protocol.js";

const ALL: Record<ApiOp, Handler> = { ...handlers, plan, history, endpoints };

/** Longest wait at stop for requests in flight (a client's own timeout is 5 s by default). */
const STOP_GRACE_MS = 10_000;

export class ApiResponder {
  private sub: Subscription | undefined;
  private readonly inflight = new Set<Promise<void>>();

  constructor(
    private readonly nc: NatsConnection,
    private readonly deps: ApiDeps,
  ) {}

  start(): void {
    this.sub = this.nc.subscribe(subjects.apiAll, {
      queue: API_QUEUE_GROUP,
      callback: (err, msg) => {
        if (err) {
          this.deps.log.error({ err }, "api subscription error");
          return;
        }
        const done = this.handle(msg).finally(() => this.inflight.delete(done));
        this.inflight.add(done);
      },
    });
  }

  /**
   * Stops taking requests and waits for the ones in flight to be answered, at most `graceMs`: a
   * request stuck in a NATS call that never ends (a key listing's consumer did, after a leader
   * election) must not hold the replica's shutdown. Its client times out and retries elsewhere.
   */
  async stop(graceMs = STOP_GRACE_MS): Promise<void> {
    this.sub?.unsubscribe();
    if (!(await within(Promise.allSettled([...this.inflight]), graceMs))) {
      this.deps.log.warn({ requests: this.inflight.size, graceMs }, "api requests still unanswered at stop");
    }
  }

  private async handle(msg: Msg): Promise<void> {
    const started = Date.now();
    const envelope = await this.answer(msg.subject, msg.data);
    if (!envelope.ok && envelope.error.code === "internal") {
      this.deps.log.error({ subject: msg.subject, error: envelope.error }, "api request failed");
    } else {
      this.deps.log.debug({ subject: msg.subject, ok: envelope.ok, ms: Date.now() - started }, "api request");
    }
    try {
      if (msg.reply) msg.respond(this.encode(envelope));
    } catch (err) {
      this.deps.log.warn({ err }, "could not send api reply");
    }
  }

  async answer(subject: string, data: Uint8Array): Promise<Envelope<unknown>> {
    try {
      const route = parseApiSubject(subject);
      if (!route || !isToken(route.lattice)) throw new BadRequestError(`bad API subject ${subject}`);
      if (!(API_OPS as readonly string[]).includes(route.op)) {
        throw new BadRequestError(`unknown op "${route.op}"; known: ${API_OPS.join(", ")}`);
      }
      const limit = this.deps.maxRequestBytes ?? MAX_REQUEST_BYTES;
      if (data.length > limit) {
        throw new BadRequestError(`request of ${data.length} bytes is larger than the limit of ${limit}`, [
          { path: "", message: `at most ${limit} bytes` },
        ]);
      }
      const result = await ALL[route.op as ApiOp](route.lattice, data, this.deps);
      return { ok: true, result };
    } catch (err) {
      // A JetStream timeout, leader election or lost quorum is `unavailable`: clients retry it.
      const known = err instanceof NadmError ? err : asUnavailable(err, `JetStream (for ${subject})`);
      if (!known) this.deps.log.error({ err, subject }, "unexpected error in api handler");
      return { ok: false, error: toErrorBody(known ?? err) };
    }
  }

  /** A reply must fit in one message too: one that would not is replaced by an error saying so. */
  private encode(envelope: Envelope<unknown>): string {
    const text = JSON.stringify(envelope);
    const max = this.nc.info?.max_payload;
    if (max === undefined || Buffer.byteLength(text) <= max) return text;
    const error = new InternalError(
      `the reply is ${Buffer.byteLength(text)} bytes, above the server's max_payload of ${max}`,
    );
    return JSON.stringify({ ok: false, error: error.toBody() });
  }
}
