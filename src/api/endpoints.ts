/**
 * The `endpoints` API op: where an app's ready instances can be reached now, read live from the
 * host records in `nadm_hosts` (each host reports `address:port` of its ready instances).
 */
import type { JetStreamManager } from "@nats-io/jetstream";
import { type KV, Kvm } from "@nats-io/kv";
import { hostRecordSchema } from "../streams/host-record.js";
import { bucketKeys } from "../streams/leader-read.js";
import { BUCKETS, keys } from "../streams/subjects.js";
import { whileAvailable } from "../streams/unavailable.js";
import type { ApiDeps, Handler } from "./handlers.js";
import * as P from "./protocol.js";
import { parseRequest } from "./request.js";

type Endpoint = P.EndpointsResult["components"][number]["endpoints"][number];

interface HostsBucket {
  kv: KV;
  /** Lists the bucket's keys (bucketKeys). */
  jsm: JetStreamManager;
}

const buckets = new WeakMap<ApiDeps, Promise<HostsBucket>>();

function hostsBucket(deps: ApiDeps): Promise<HostsBucket> {
  let bucket = buckets.get(deps);
  if (!bucket) {
    bucket = Promise.all([new Kvm(deps.js).open(BUCKETS.hosts), deps.js.jetstreamManager()]).then(
      ([kv, jsm]) => ({ kv, jsm }),
    );
    // A failure (NATS unavailable at the first call) is not kept: the next call tries again.
    bucket.catch(() => buckets.delete(deps));
    buckets.set(deps, bucket);
  }
  return bucket;
}

export const endpoints: Handler = async (lattice, body, deps) => {
  const req = parseRequest(P.namedRequestSchema, body);
  await deps.store.require(lattice, req.name);
  const { kv, jsm } = await hostsBucket(deps);
  const byComponent = await whileAvailable(`KV bucket ${BUCKETS.hosts}`, () =>
    readEndpoints(kv, jsm, lattice, req.name),
  );
  const components = [...byComponent.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([component, list]) => ({
      component,
      endpoints: list.sort((a, b) => (a.endpoint < b.endpoint ? -1 : a.endpoint > b.endpoint ? 1 : 0)),
    }));
  return { name: req.name, components } satisfies P.EndpointsResult;
};

async function readEndpoints(
  kv: KV,
  jsm: JetStreamManager,
  lattice: string,
  app: string,
): Promise<Map<string, Endpoint[]>> {
  const byComponent = new Map<string, Endpoint[]>();
  for (const key of await bucketKeys(jsm, BUCKETS.hosts, keys.latticePrefix(lattice))) {
    const entry = await kv.get(key);
    const parsed = entry?.operation === "PUT" ? hostRecordSchema.safeParse(entry.json()) : undefined;
    if (!parsed?.success) continue;
    for (const inv of Object.values(parsed.data.inventory)) {
      if (inv.app !== app) continue;
      const list = byComponent.get(inv.component) ?? [];
      for (const endpoint of inv.endpoints ?? [])
        list.push({ hostId: parsed.data.hostId, endpoint, rev: inv.rev });
      byComponent.set(inv.component, list);
    }
  }
  return byComponent;
}
