/**
 * The in-flight view (ARCHITECTURE §2 rule 6): every replica follows `nadm_commands` with an
 * ordered consumer and remembers the newest command per (lattice, host, workload). A command
 * issued less than `inflightTimeout` ago that the host has not applied yet counts as what the
 * host was told, so a heartbeat in between does not cause a re-issue.
 */
import { DeliverPolicy, type JetStreamClient } from "@nats-io/jetstream";
import { within } from "../deadline.js";
import type { Logger } from "../log.js";
import { type Command, commandSchema } from "../streams/commands.js";
import { PULL_EXPIRES_MS } from "../streams/consumer-loop.js";
import type { WorkloadInventory } from "../streams/host-record.js";
import { parseWorkloadKey, STREAMS } from "../streams/subjects.js";
import type { Pending } from "./plan.js";

interface Issued {
  id: string;
  count: number;
  hostId: string;
  key: string;
  /** The workload's component and revision: what an entry for a placement not applied says. */
  component: string;
  rev: string;
  /** The host life it was planned for (`Command.hostStartedAt`), if the command says. */
  life?: string;
  /** Stream sequence in `nadm_commands`: orders commands without trusting anyone's clock. */
  seq: number;
  /** When it was issued (server time of the message, or our clock for our own): for the timeout. */
  seenAt: number;
}

/** A workload a command placed on a host (see `InflightView.placementsOf`). */
export interface Placed {
  hostId: string;
  key: string;
  component: string;
  rev: string;
}

function slot(lattice: string, hostId: string, key: string): string {
  return `${lattice}\n${hostId}\n${key}`;
}

/** Adds `k` to the set of slots indexed under `by`. */
function indexSlot(index: Map<string, Set<string>>, by: string, k: string): void {
  const slots = index.get(by) ?? new Set<string>();
  index.set(by, slots);
  slots.add(k);
}

export class InflightView {
  private readonly latest = new Map<string, Issued>();
  /** `{lattice}\n{app}` → when the app's newest command was issued (resync-skip.ts). */
  private readonly newestByApp = new Map<string, number>();
  /** `{lattice}\n{app}` → the slots of `latest` holding the app's commands. */
  private readonly slotsByApp = new Map<string, Set<string>>();
  /** `{lattice}\n{hostId}` → the slots of `latest` holding commands to the host. */
  private readonly slotsByHost = new Map<string, Set<string>>();
  private stopFollow: (() => void) | undefined;
  private pruneTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private js: JetStreamClient | undefined;
  /** Which follow is current: one replaced by `resume()` ends without starting another. */
  private followGen = 0;

  constructor(
    private readonly timeoutMs: number,
    private readonly log: Logger,
    /**
     * When a host's current life began (its record's `startedAt`). A command planned for another
     * life (by its `hostStartedAt`; without one: issued before the host restarted) is not
     * pending: the new life does not know it, the dispatcher drops it, and waiting out the
     * timeout would leave the workload missing with no event to wake anyone when it ends.
     */
    private readonly hostStartedAt: (lattice: string, hostId: string) => string | undefined = () => undefined,
  ) {}

  /**
   * Follows the command stream from `timeoutMs` ago, and resolves once the view has caught up
   * with what the stream held at start (or after `catchUpMs`): a replica that reconciled before
   * knowing the commands its killed predecessor just issued would issue its own, elsewhere.
   */
  async start(js: JetStreamClient, catchUpMs = 10_000): Promise<void> {
    this.js = js;
    if (!(await within(this.follow(js), catchUpMs)))
      this.log.warn({ catchUpMs }, "in-flight view: still catching up with the command stream");
    this.pruneTimer = setInterval(() => this.prune(Date.now()), this.timeoutMs);
    this.pruneTimer.unref();
  }

  stop(): void {
    this.stopped = true;
    this.stopFollow?.();
    if (this.pruneTimer) clearInterval(this.pruneTimer);
  }

  /**
   * After a NATS reconnect: follows the stream again from `timeoutMs` ago (the ordered consumer
   * may be gone, and the client would notice late) and resolves true once caught up, false
   * after `catchUpMs`. Commands other replicas issued during the outage are known again.
   */
  async resume(catchUpMs: number): Promise<boolean> {
    if (!this.js || this.stopped) return false;
    const old = this.stopFollow;
    const caught = this.follow(this.js);
    old?.();
    return within(caught, catchUpMs);
  }

  /**
   * Resolves once caught up with the stream. Should the ordered consumer ever end while in use,
   * follows again from `timeoutMs` ago.
   */
  private async follow(js: JetStreamClient): Promise<void> {
    const gen = ++this.followGen;
    const consumer = await js.consumers.get(STREAMS.commands, {
      deliver_policy: DeliverPolicy.StartTime,
      opt_start_time: new Date(Date.now() - this.timeoutMs).toISOString(),
    });
    const messages = await consumer.consume({ expires: PULL_EXPIRES_MS });
    this.stopFollow = () => void messages.stop();
    let caughtUp = () => {};
    const done = new Promise<void>((resolve) => {
      caughtUp = resolve;
    });
    if ((await consumer.info(true)).num_pending === 0) caughtUp();
    void (async () => {
      try {
        for await (const m of messages) {
          const parsed = commandSchema.safeParse(safeJson(m.data));
          if (parsed.success) this.record(parsed.data, m.seq, m.time.getTime());
          if (m.info.pending === 0) caughtUp();
        }
      } catch (err) {
        this.log.warn({ err }, "in-flight view: following commands failed");
      }
      if (gen !== this.followGen) return; // replaced by resume()
      for (let attempt = 1; !this.stopped; attempt++) {
        try {
          await this.follow(js);
          return;
        } catch (err) {
          this.log.warn({ err, attempt }, "in-flight view: cannot follow commands yet");
          await new Promise((r) => setTimeout(r, Math.min(5_000, 250 * attempt)));
        }
      }
    })();
    return done;
  }

  /** Records a command (our own right after its PubAck, everyone's from the stream). */
  record(
    cmd: Pick<Command, "id" | "lattice" | "hostId" | "count" | "component" | "hostStartedAt"> & {
      workload: { key: string; rev: string };
    },
    seq: number,
    seenAt: number,
  ): void {
    const k = slot(cmd.lattice, cmd.hostId, cmd.workload.key);
    const prev = this.latest.get(k);
    if (prev && prev.seq >= seq) return;
    const { id, count, hostId, component, hostStartedAt: life } = cmd;
    const key = cmd.workload.key;
    this.latest.set(k, { id, count, hostId, key, component, rev: cmd.workload.rev, life, seq, seenAt });
    const app = `${cmd.lattice}\n${parseWorkloadKey(cmd.workload.key)?.app ?? ""}`;
    if ((this.newestByApp.get(app) ?? 0) < seenAt) this.newestByApp.set(app, seenAt);
    indexSlot(this.slotsByApp, app, k);
    indexSlot(this.slotsByHost, `${cmd.lattice}\n${hostId}`, k);
  }

  /**
   * The app's commands with a count above 0 issued within the timeout, whether applied or not:
   * candidates for `pending`, which says which of them the host has not applied yet.
   */
  placementsOf(lattice: string, app: string, now: number): Placed[] {
    const out: Placed[] = [];
    for (const k of this.slotsByApp.get(`${lattice}\n${app}`) ?? []) {
      const c = this.latest.get(k);
      if (c && c.count > 0 && now - c.seenAt < this.timeoutMs)
        out.push({ hostId: c.hostId, key: c.key, component: c.component, rev: c.rev });
    }
    return out;
  }

  /**
   * When the app's newest command known here was issued (undefined: none, or forgotten). While
   * it is older than the timeout, `pending` is undefined for every workload of the app.
   */
  lastIssuedAt(lattice: string, app: string): number | undefined {
    return this.newestByApp.get(`${lattice}\n${app}`);
  }

  /** A command the host has not applied yet and that is younger than the timeout. */
  pending(
    lattice: string,
    hostId: string,
    key: string,
    reported: WorkloadInventory | undefined,
    now: number,
  ): Pending | undefined {
    const issued = this.latest.get(slot(lattice, hostId, key));
    if (!issued || now - issued.seenAt >= this.timeoutMs) return undefined;
    const life = this.hostStartedAt(lattice, hostId);
    if (issued.life !== undefined && life !== undefined) {
      // Planned for another life of the host: the dispatcher drops it, the host is told afresh.
      if (issued.life !== life) return undefined;
    } else if (Date.parse(life ?? "") > issued.seenAt) return undefined; // NaN (unknown) compares false
    if (reported && (reported.lastCommandId === issued.id || reported.desired === issued.count))
      return undefined;
    return { id: issued.id, count: issued.count };
  }

  /** Apps with a command to the host still pending (issued within the timeout). */
  appsPendingOn(lattice: string, hostId: string, now: number): string[] {
    const apps = new Set<string>();
    // By the host's own slots: a zone failure asks this once per lost host, and scanning every
    // command known (10,000 after a burst) each time was a quarter of a 5,000-host heal's CPU.
    for (const k of this.slotsByHost.get(`${lattice}\n${hostId}`) ?? []) {
      const v = this.latest.get(k);
      const app = v && now - v.seenAt < this.timeoutMs ? parseWorkloadKey(v.key)?.app : undefined;
      if (app) apps.add(app);
    }
    return [...apps];
  }

  private prune(now: number): void {
    const old = (at: number) => now - at > 4 * this.timeoutMs;
    for (const [k, v] of this.latest) if (old(v.seenAt)) this.latest.delete(k);
    for (const [k, at] of this.newestByApp) if (old(at)) this.newestByApp.delete(k);
    for (const index of [this.slotsByApp, this.slotsByHost]) {
      for (const [by, slots] of index) {
        for (const k of slots) if (!this.latest.has(k)) slots.delete(k);
        if (slots.size === 0) index.delete(by);
      }
    }
  }
}

function safeJson(data: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(data));
  } catch {
    return undefined;
  }
}
