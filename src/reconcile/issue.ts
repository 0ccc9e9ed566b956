/**
 * Publishes planned commands onto `nadm_commands` with the deterministic `Nats-Msg-Id` of
 * ARCHITECTURE §2 rule 2, all at once, and resolves when every PubAck is in.
 */
import type { JetStreamClient } from "@nats-io/jetstream";
import type { Metrics } from "../metrics.js";
import { type Command, commandId } from "../streams/commands.js";
import { subjects } from "../streams/subjects.js";
import type { InflightView } from "./inflight.js";
import type { PlannedCommand } from "./plan.js";

export function toCommand(
  lattice: string,
  app: string,
  p: PlannedCommand,
  causationId: string,
  now: number,
): Command {
  return {
    id: commandId({
      lattice,
      hostId: p.hostId,
      workloadKey: p.workload.key,
      count: p.count,
      basedOnRevision: p.basedOnRevision,
      basis: p.basis,
      after: p.after,
    }),
    lattice,
    hostId: p.hostId,
    app,
    component: p.component,
    workload: p.workload,
    count: p.count,
    reason: p.reason,
    causationId,
    basedOnRevision: p.basedOnRevision,
    issuedAt: new Date(now).toISOString(),
    ...(p.hostStartedAt !== undefined && { hostStartedAt: p.hostStartedAt }),
    ...(p.generation !== undefined && { generation: p.generation }),
    ...(p.attempt !== undefined && { attempt: p.attempt }),
  };
}

export class CommandIssuer {
  constructor(
    private readonly js: JetStreamClient,
    private readonly inflight: InflightView,
    private readonly metrics: Metrics,
  ) {}

  async publish(
    lattice: string,
    app: string,
    planned: readonly PlannedCommand[],
    causationId: string,
    now: number,
  ) {
    await Promise.all(
      planned.map(async (p) => {
        const cmd = toCommand(lattice, app, p, causationId, now);
        const ack = await this.js.publish(subjects.command(lattice, cmd.hostId), JSON.stringify(cmd), {
          msgID: cmd.id,
        });
        this.inflight.record(cmd, ack.seq, Date.now());
        this.metrics.commandsPublished.inc({ duplicate: ack.duplicate ? "yes" : "no" });
      }),
    );
  }
}
