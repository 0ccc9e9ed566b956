/**
 * The dispatch worker: pulls commands from the shared durable consumer `nadm-dispatch` and
 * sends each to its host (`nadm.ctl.{lattice}.{hostId}`). Acked on the host's reply; no
 * responders or a timeout → retried with backoff; a refusal or the last delivery → a refusal
 * record in `nadm_refusals`, a `command_failed` event and a DLQ copy. Commands of one host go
 * out in stream order.
 */
import type { JetStreamClient, JsMsg } from "@nats-io/jetstream";
import { headers, type NatsConnection } from "@nats-io/transport-node";
import type { ControllerConfig } from "../config.js";
import type { LatticeView } from "../lattice/view.js";
import type { Logger } from "../log.js";
import { countSettledCommand, type Metrics, observeConsumer } from "../metrics.js";
import {
  COMMAND_ORDER_HEADERS,
  type Command,
  type CommandReply,
  commandSchema,
} from "../streams/commands.js";
import { ConsumerLoop } from "../streams/consumer-loop.js";
import { eventSource, publishEvent } from "../streams/events.js";
import { LinkState } from "../streams/link.js";
import type { RefusalKind } from "../streams/refusal-record.js";
import { backoffMs, dlqBySubject, type Outcome, ok, retry, terminal } from "../streams/settle.js";
import { CONSUMERS, dedupeIds, STREAMS, subjects } from "../streams/subjects.js";
import { HostLives, LIFE_ENDED } from "./host-lives.js";
import type { RefusalLog } from "./refusals.js";

export interface DispatchDeps {
  nc: NatsConnection;
  js: JetStreamClient;
  view: LatticeView;
  config: ControllerConfig;
  metrics: Metrics;
  log: Logger;
  /** Re-provisions the durable consumer if it goes missing. */
  recreate?: () => Promise<void>;
  /** Creation time of `nadm_commands`, sent with each command's sequence (see CommandOrder). */
  commandsEpoch: string;
  /** Where failed commands are recorded (and cleared when a later one succeeds). */
  refusals: RefusalLog;
}

/** How long a command for a host this replica does not know waits for the view to catch up. */
const VIEW_FENCE_MS = 2_000;

/** Sends of one command lost to reconnects before it is left to the nak/backoff path. */
const SENDS_ACROSS_RECONNECTS = 3;

export class DispatchWorker {
  private readonly loop: ConsumerLoop;
  private readonly link: LinkState;
  private readonly lives: HostLives;

  constructor(private readonly deps: DispatchDeps) {
    this.link = LinkState.of(deps.nc);
    this.lives = new HostLives(deps.view.cache);
    this.loop = new ConsumerLoop({
      js: deps.js,
      stream: STREAMS.commands,
      consumer: CONSUMERS.dispatch,
      maxMessages: deps.config.concurrency,
      handle: (m) => this.handle(m),
      settle: {
        js: deps.js,
        log: deps.log,
        dlq: dlqBySubject("command"),
        onSettled: countSettledCommand(deps.metrics),
      },
      observe: observeConsumer(deps.metrics, CONSUMERS.dispatch),
      orderKey: (m) => m.subject, // one host's commands in stream order
      recreate: deps.recreate,
      log: deps.log,
    });
  }

  start(): Promise<void> {
    return this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** True while pulling from the durable consumer (readiness). */
  get bound(): boolean {
    return this.loop.bound;
  }

  async handle(msg: JsMsg): Promise<Outcome> {
    let raw: unknown;
    try {
      raw = JSON.parse(new TextDecoder().decode(msg.data));
    } catch {
      return terminal("malformed command: not JSON");
    }
    const parsed = commandSchema.safeParse(raw);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "command"}: ${i.message}`);
      return terminal(`malformed command: ${problems.join("; ")}`);
    }
    const cmd = parsed.data;
    if (await this.lifeOver(cmd)) return ok; // lost, stopped or restarted: the command is moot, never sent
    const sent = performance.now();
    const reply = await this.sendAcrossReconnects(cmd, msg.data, msg.seq);
    const result = reply === "unreachable" ? "unreachable" : reply.ok ? "ok" : "refused";
    this.deps.metrics.dispatchSeconds.observe({ result }, (performance.now() - sent) / 1000);
    if (reply === "unreachable") {
      if (!this.forCurrentLife(cmd)) return ok; // host gone or restarted: the command is moot
      const deliveries = msg.info.deliveryCount;
      if (deliveries >= this.deps.config.commandMaxDeliver) {
        const why = `no reply after ${deliveries} deliveries`;
        return this.failed(cmd, "unanswered", why, `host ${cmd.hostId} did not answer: ${why}`);
      }
      return retry(backoffMs(deliveries), "host unreachable");
    }
    if (!reply.ok)
      return this.failed(cmd, "refused", reply.error, `host ${cmd.hostId} refused: ${reply.error}`);
    // Before the ack: a crash in between redelivers the command, and the clear is retried.
    if (!reply.superseded) await this.deps.refusals.clear(cmd);
    return ok;
  }

  /**
   * True once this replica's view is at least as new as the record the command was computed from
   * and the host is not in it (declared lost or stopped since), or is in it with another life
   * (restarted under its id since). Its commands are moot: a host that comes back registers
   * again and is told afresh from its new record, and the in-flight view no longer counts them.
   * Sent anyway, one would wait for a timeout while live hosts' commands queue behind, or, taken
   * by the new life, run an instance the plan has since put elsewhere.
   */
  private async lifeOver(cmd: Command): Promise<boolean> {
    if (this.forCurrentLife(cmd)) return false;
    await this.deps.view.cache.reach(cmd.basedOnRevision, VIEW_FENCE_MS);
    return !this.forCurrentLife(cmd);
  }

  /** The host is in the view, in the life the command was planned for (if the command says). */
  private forCurrentLife(cmd: Command): boolean {
    const host = this.deps.view.host(cmd.lattice, cmd.hostId);
    return (
      host !== undefined && (cmd.hostStartedAt === undefined || host.record.startedAt === cmd.hostStartedAt)
    );
  }

  /**
   * A request sent while NATS is down, or pending when it went down, is never answered (see
   * streams/link.ts); a nak then would only be lost too, and the command would wait out
   * ack_wait. So wait for the connection and send it again (the host applies an absolute count,
   * and ignores an older command: sending twice changes nothing). Likewise a request to a life of
   * the host that ended meanwhile: a command planned for the new life under the same id (the
   * view had it late) is sent to it at once; one planned for the life that ended, or for a host
   * whose record is gone, is moot.
   */
  private async sendAcrossReconnects(
    cmd: Command,
    data: Uint8Array,
    seq: number,
  ): Promise<CommandReply | "unreachable"> {
    for (let attempt = 1; ; attempt++) {
      await this.link.whenConnected(this.deps.config.commandTimeoutMs);
      const epoch = this.link.epoch;
      const reply = await this.send(cmd, data, seq);
      if (reply === LIFE_ENDED) {
        if (!this.forCurrentLife(cmd) || attempt >= SENDS_ACROSS_RECONNECTS) return "unreachable";
        continue;
      }
      if (reply !== "unreachable" || this.link.epoch === epoch || attempt >= SENDS_ACROSS_RECONNECTS)
        return reply;
    }
  }

  private async send(
    cmd: Command,
    data: Uint8Array,
    seq: number,
  ): Promise<CommandReply | "unreachable" | typeof LIFE_ENDED> {
    const h = headers();
    h.set(COMMAND_ORDER_HEADERS.seq, String(seq));
    h.set(COMMAND_ORDER_HEADERS.epoch, this.deps.commandsEpoch);
    try {
      const m = await this.lives.race(
        cmd.lattice,
        cmd.hostId,
        this.link.unlessDropped(
          `command to ${cmd.hostId}`,
          this.deps.nc.request(subjects.control(cmd.lattice, cmd.hostId), data, {
            timeout: this.deps.config.commandTimeoutMs,
            headers: h,
          }),
        ),
      );
      if (m === LIFE_ENDED) return LIFE_ENDED;
      const reply = JSON.parse(new TextDecoder().decode(m.data)) as CommandReply;
      return typeof reply?.ok === "boolean" ? reply : { ok: false, error: "reply is not {ok: boolean}" };
    } catch (err) {
      this.deps.log.debug({ err, hostId: cmd.hostId }, "command not delivered");
      return "unreachable";
    }
  }

  /** Records the failure (before the event, which carries its revision), then dead-letters it. */
  private async failed(cmd: Command, kind: RefusalKind, detail: string, reason: string): Promise<Outcome> {
    const revision = await this.deps.refusals.record(cmd, kind, detail);
    await publishEvent(
      this.deps.js,
      cmd.lattice,
      "command_failed",
      eventSource(cmd.lattice, "controller"),
      {
        commandId: cmd.id,
        hostId: cmd.hostId,
        app: cmd.app,
        component: cmd.component,
        workloadKey: cmd.workload.key,
        count: cmd.count,
        reason,
        attempt: cmd.attempt ?? 1,
        stateRevision: revision,
      },
      dedupeIds.commandFailed(cmd.id),
    );
    return terminal(reason);
  }
}
