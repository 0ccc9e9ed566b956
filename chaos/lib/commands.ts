/**
 * The command stream read as it grows, for what the minimum of a chaos run counts: the last
 * command for each (host, workload) issued in a window.
 */
import type { NatsConnection } from "@nats-io/transport-node";
import { type CommandSeen, commandsFrom } from "../../test/support/lattice.js";

export class CommandLedger {
  private readonly seen: CommandSeen[] = [];
  private next = 1;

  constructor(private readonly nc: NatsConnection) {}

  /** Reads the commands published since the last call. */
  async catchUp(): Promise<void> {
    const fresh = await commandsFrom(this.nc, this.next);
    this.seen.push(...fresh);
    this.next = (fresh.at(-1)?.seq ?? this.next - 1) + 1;
  }

  /** The last command for each (host, workload) of those issued in [from, to) that `pick` keeps. */
  latestBetween(from: number, to: number, pick: (c: CommandSeen) => boolean): CommandSeen[] {
    const last = new Map<string, CommandSeen>();
    for (const c of this.seen) {
      const at = Date.parse(c.issuedAt);
      if (at >= from && at < to && pick(c)) last.set(`${c.hostId} ${c.key}`, c);
    }
    return [...last.values()];
  }
}
