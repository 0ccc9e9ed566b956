/**
 * The dispatcher's side of refusals: a command that failed (its host refused it, or never
 * answered any delivery) is written to `nadm_refusals` before the command is settled, and a
 * command that succeeds removes the refusal of its workload on that host. Both are
 * compare-and-set and idempotent, so a redelivered command changes nothing twice. The reconciler
 * reads these records to hold retries back and to tell why (src/reconcile/refusals.ts).
 */
import type { KV } from "@nats-io/kv";
import type { KvCache } from "../lattice/kv-cache.js";
import type { LatticeView } from "../lattice/view.js";
import type { Command } from "../streams/commands.js";
import { casUpdate, jsonEncode } from "../streams/kv-cas.js";
import { decodeRefusal, type RefusalKind, type RefusalRecord } from "../streams/refusal-record.js";
import { keys } from "../streams/subjects.js";

export class RefusalLog {
  constructor(
    private readonly kv: KV,
    private readonly cache: KvCache<RefusalRecord>,
    private readonly view: LatticeView,
  ) {}

  /** Stores the failure of `cmd`; returns the record's revision (for the event's read-your-writes). */
  async record(cmd: Command, kind: RefusalKind, reason: string): Promise<number> {
    const attempt = cmd.attempt ?? 1;
    const next: RefusalRecord = {
      hostId: cmd.hostId,
      app: cmd.app,
      component: cmd.component,
      workloadKey: cmd.workload.key,
      count: cmd.count,
      commandId: cmd.id,
      attempt,
      kind,
      reason,
      generation: cmd.generation ?? null,
      hostStartedAt: this.view.host(cmd.lattice, cmd.hostId)?.record.startedAt ?? null,
    };
    const key = keys.refusal(cmd.lattice, cmd.hostId, cmd.workload.key);
    const result = await casUpdate(this.kv, key, decodeRefusal, jsonEncode, (current) => {
      const had = current?.value;
      if (had?.commandId === cmd.id) return { keep: true }; // a redelivery of the same failure
      // A late redelivery of an older attempt must not set the chain back (its id would repeat).
      const sameChain =
        had?.count === next.count &&
        had.generation === next.generation &&
        had.hostStartedAt === next.hostStartedAt;
      return sameChain && had.attempt > attempt ? { keep: true } : { put: next };
    });
    return result.revision;
  }

  /**
   * A command for the workload succeeded on its host: the refusal no longer holds. Only keys this
   * replica knows a record for are touched, so the common path costs no KV read; a record missed
   * here no longer matches any command the reconciler wants to send, and expires with the TTL.
   */
  async clear(cmd: Command): Promise<void> {
    const key = keys.refusal(cmd.lattice, cmd.hostId, cmd.workload.key);
    if (!this.cache.get(key)) return;
    await casUpdate(this.kv, key, decodeRefusal, jsonEncode, (current) =>
      current ? { delete: true } : { keep: true },
    );
  }
}
