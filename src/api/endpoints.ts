/**
 * The `endpoints` API op: where an app's ready instances can be reached now, read live from the
 * host records in `nadm_hosts` (each host reports `address:port` of its ready instances).
 */
import type { JetStreamClient } from "@nats-io/jetstream";
import { type KV, Kvm } from "@nats-io/kv";
import type { z } from "zod";
import { hostRecordSchema } from "../streams/host-record.js";
import { BUCKETS, keys } from "../streams/subjects.js";
import * as P from "./protocol.js";

export interface Endpoint {
  hostId: string;
  /** `address:port` */
  endpoint: string;
  /** The workload revision the instance runs. */
  rev: string;
}

export interface EndpointsResult {
  name: string;
  components: Array<{ component: string; endpoints: Endpoint[] }>;
}

/** What the handler uses of the API's dependencies (`ApiDeps` has them). */
interface EndpointsDeps {
  js: JetStreamClient;
  store: { require(lattice: string, name: string): Promise<unknown> };
}

/** The API's request parser (`parseRequest` in handlers.ts), passed in to keep imports one-way. */
type Parse = <S extends z.ZodType>(schema: S, body: Uint8Array) => z.output<S>;

const buckets = new WeakMap<EndpointsDeps, Promise<KV>>();

function hostsBucket(deps: EndpointsDeps): Promise<KV> {
  let kv = buckets.get(deps);
  if (!kv) {
    kv = new Kvm(deps.js).open(BUCKETS.hosts);
    buckets.set(deps, kv);
  }
  return kv;
}

export const endpointsHandler =
  (parse: Parse) => async (lattice: string, body: Uint8Array, deps: EndpointsDeps) => {
    const req = parse(P.namedRequestSchema, body);
    await deps.store.require(lattice, req.name);
    const kv = await hostsBucket(deps);
    const byComponent = new Map<string, Endpoint[]>();
    for await (const key of await kv.keys(keys.latticePrefix(lattice))) {
      const entry = await kv.get(key);
      const parsed = entry?.operation === "PUT" ? hostRecordSchema.safeParse(entry.json()) : undefined;
      if (!parsed?.success) continue;
      for (const inv of Object.values(parsed.data.inventory)) {
        if (inv.app !== req.name) continue;
        const list = byComponent.get(inv.component) ?? [];
        for (const endpoint of inv.endpoints ?? [])
          list.push({ hostId: parsed.data.hostId, endpoint, rev: inv.rev });
        byComponent.set(inv.component, list);
      }
    }
    const components = [...byComponent.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([component, list]) => ({
        component,
        endpoints: list.sort((a, b) => (a.endpoint < b.endpoint ? -1 : a.endpoint > b.endpoint ? 1 : 0)),
      }));
    return { name: req.name, components } satisfies EndpointsResult;
  };
