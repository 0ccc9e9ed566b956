/**
 * What this host knows of other hosts' endpoints: a watch of `nadm_hosts` (started the first
 * time a workload here links to another component), keeping, per host of the lattice, the
 * `host:port` of every ready instance by app and component. A host's endpoints vanish when its
 * record does (graceful stop, or the liveness sweep after a crash).
 */
import type { KV, KvEntry } from "@nats-io/kv";
import { errorMessage } from "../errors.js";
import type { Logger } from "../log.js";
import { hostRecordSchema } from "../streams/host-record.js";
import { keys } from "../streams/subjects.js";

type Listener = () => void;

export class EndpointsBoard {
  /** hostId → `{app}\n{component}` → endpoints */
  private readonly byHost = new Map<string, Map<string, string[]>>();
  private readonly listeners = new Set<Listener>();
  private stopWatch: (() => void) | undefined;
  private starting: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly kv: KV,
    private readonly lattice: string,
    private readonly logger: Logger,
  ) {}

  /** Starts watching once; resolves when the hosts present now are known. */
  start(): Promise<void> {
    this.starting ??= this.follow();
    return this.starting;
  }

  stop(): void {
    this.stopped = true;
    this.stopWatch?.();
    this.listeners.clear();
  }

  /** Sorted `host:port` of the ready instances of `app`'s `component` on every live host. */
  endpoints(app: string, component: string): string[] {
    const out: string[] = [];
    for (const perHost of this.byHost.values()) out.push(...(perHost.get(`${app}\n${component}`) ?? []));
    return out.sort();
  }

  /** Calls `listener` after every change of some host's endpoints; returns the unsubscriber. */
  onChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private async follow(): Promise<void> {
    // The whole bucket: a key filter would hide whether the initial values are all in.
    const lastSeq = (await this.kv.status()).streamInfo.state.last_seq;
    let loaded: () => void = () => undefined;
    const initial = new Promise<void>((resolve) => {
      loaded = resolve;
    });
    if (lastSeq === 0) loaded();
    const watch = await this.kv.watch();
    this.stopWatch = () => watch.stop();
    void (async () => {
      try {
        for await (const e of watch) {
          this.apply(e);
          if (e.revision >= lastSeq) loaded();
        }
      } catch (err) {
        if (!this.stopped) this.logger.warn({ err: errorMessage(err) }, "endpoints watch ended");
      }
      loaded();
    })();
    await initial;
  }

  private apply(e: KvEntry): void {
    const k = keys.parse(e.key);
    if (k?.lattice !== this.lattice) return;
    const next = e.operation === "PUT" ? endpointsOf(e) : new Map<string, string[]>();
    const prev = this.byHost.get(k.name);
    if (prev && sameEndpoints(prev, next)) return;
    if (next.size === 0) this.byHost.delete(k.name);
    else this.byHost.set(k.name, next);
    if (!prev && next.size === 0) return;
    for (const listener of this.listeners) listener();
  }
}

function endpointsOf(e: KvEntry): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const parsed = hostRecordSchema.safeParse(e.json());
  if (!parsed.success) return out;
  for (const inv of Object.values(parsed.data.inventory)) {
    if (!inv.endpoints?.length) continue;
    const id = `${inv.app}\n${inv.component}`;
    out.set(id, [...(out.get(id) ?? []), ...inv.endpoints].sort());
  }
  return out;
}

function sameEndpoints(a: Map<string, string[]>, b: Map<string, string[]>): boolean {
  if (a.size !== b.size) return false;
  for (const [id, list] of a) if (b.get(id)?.join(",") !== list.join(",")) return false;
  return true;
}
