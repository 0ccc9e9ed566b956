/**
 * Helpers for the API integration tests: an in-process API responder on a real server, raw
 * requests that return the envelope as sent, manifests as data, and snapshots of the state the
 * API owns (every key of `nadm_manifests` with its revision, plus the stream sequences).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after } from "node:test";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { KV } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Envelope } from "../../../src/api/protocol.js";
import { ApiResponder } from "../../../src/api/responder.js";
import { traitCatalogFor } from "../../../src/catalog.js";
import { resolve, resourcesSchema } from "../../../src/config.js";
import { startNatsServer } from "../../../src/embedded/nats-server.js";
import { KvCache } from "../../../src/lattice/kv-cache.js";
import { runningComponents } from "../../../src/lattice/reports.js";
import { decodeHostRecord, LatticeView } from "../../../src/lattice/view.js";
import { silentLogger } from "../../../src/log.js";
import { ManifestStore } from "../../../src/manifests/store.js";
import { ScalerRegistry } from "../../../src/scalers/index.js";
import { connectNats } from "../../../src/streams/connection.js";
import { type Buckets, provision } from "../../../src/streams/provision.js";
import { BUCKETS, STREAMS, subjects } from "../../../src/streams/subjects.js";
import type { TestNats } from "../../support/nats.js";

export const catalog = traitCatalogFor(new ScalerRegistry());

/** App names that must never be accepted: not subject tokens, or not DNS labels. */
export const BAD_NAMES = [
  "a.b",
  "a*",
  "a>",
  "a b",
  "Shop",
  "SHOP",
  "",
  "-a",
  "a-",
  "x".repeat(64),
  "a\tb",
  "ä",
];

/**
 * Provisions the resources and runs one API responder on `nc` until the file's tests end, with
 * a host cache of its own for what hosts report (as in a controller replica).
 */
export async function startApi(
  nc: NatsConnection,
  opts: { maxVersions?: number; maxValueBytes?: number } = {},
): Promise<Buckets> {
  const resources = resolve(resourcesSchema, { maxVersions: opts.maxVersions });
  const buckets = await provision(nc, { resources });
  const hosts = new KvCache(buckets.hosts, decodeHostRecord, silentLogger());
  await hosts.start();
  const view = new LatticeView(hosts, silentLogger());
  const responder = new ApiResponder(nc, {
    store: new ManifestStore(buckets.manifests, {
      keepLast: resources.maxVersions,
      maxValueBytes: opts.maxValueBytes,
      jsm: await jetstreamManager(nc),
    }),
    statusKv: buckets.status,
    js: jetstream(nc),
    catalog,
    hostReports: (lattice, app) => runningComponents(view, lattice, app),
    log: silentLogger(),
    now: () => new Date(),
  });
  responder.start();
  after(async () => {
    await responder.stop();
    hosts.stop();
  });
  return buckets;
}

/** A request exactly as a client would send it; objects are sent as JSON, `undefined` as an empty body. */
export async function call<T = unknown>(
  nc: NatsConnection,
  op: string,
  body?: unknown,
  lattice = "default",
): Promise<Envelope<T>> {
  const payload =
    body === undefined
      ? new Uint8Array(0)
      : typeof body === "string" || body instanceof Uint8Array
        ? body
        : JSON.stringify(body);
  const reply = await nc.request(subjects.api(lattice, op), payload, { timeout: 10_000 });
  return JSON.parse(new TextDecoder().decode(reply.data)) as Envelope<T>;
}

/** The result of a call that must succeed. */
export async function ok<T = Record<string, unknown>>(
  nc: NatsConnection,
  op: string,
  body?: unknown,
  lattice?: string,
): Promise<T> {
  const env = await call<T>(nc, op, body, lattice);
  if (!env.ok) throw new Error(`${op} failed: ${JSON.stringify(env.error)}`);
  return env.result;
}

/** A valid one-component manifest; `version` is left out when undefined. */
export function manifest(name: string, version?: string, instances = 1): Record<string, unknown> {
  return {
    apiVersion: "nadm.dev/v1",
    kind: "Application",
    metadata: { name, ...(version === undefined ? {} : { annotations: { version } }) },
    spec: {
      components: [
        {
          name: "web",
          type: "process",
          properties: { command: "sleep", args: ["60"] },
          traits: [{ type: "spreadscaler", properties: { instances } }],
        },
      ],
    },
  };
}

/** The same manifest as YAML text. */
export function manifestYaml(name: string, version: string, instances = 1): string {
  return [
    "apiVersion: nadm.dev/v1",
    "kind: Application",
    "metadata:",
    `  name: ${name}`,
    "  annotations:",
    `    version: ${version}`,
    "spec:",
    "  components:",
    "    - name: web",
    "      type: process",
    "      properties:",
    "        command: sleep",
    '        args: ["60"]',
    "      traits:",
    "        - type: spreadscaler",
    "          properties:",
    `            instances: ${instances}`,
    "",
  ].join("\n");
}

export interface StateSnapshot {
  keys: Array<{ key: string; revision: number; operation: string; value: string }>;
  manifestsLastSeq: number;
  eventsLastSeq: number;
}

/** Every live key of `nadm_manifests` (`kv`; value as base64, revision) and the last sequences. */
export async function snapshot(nc: NatsConnection, kv: KV): Promise<StateSnapshot> {
  const names: string[] = [];
  for await (const k of await kv.keys()) names.push(k);
  const keys = [];
  for (const key of names.sort()) {
    const e = await kv.get(key);
    if (e)
      keys.push({
        key,
        revision: e.revision,
        operation: e.operation,
        value: Buffer.from(e.value).toString("base64"),
      });
  }
  const jsm = await jetstreamManager(nc);
  const manifestsLastSeq = (await jsm.streams.info(`KV_${BUCKETS.manifests}`)).state.last_seq;
  const eventsLastSeq = (await jsm.streams.info(STREAMS.events)).state.last_seq;
  return { keys, manifestsLastSeq, eventsLastSeq };
}

/** Stores `shop` (v1 deployed, v2) and `idle` (v1) in lattice `default`; returns the snapshot after. */
export async function seed(nc: NatsConnection, kv: KV): Promise<StateSnapshot> {
  await ok(nc, "put", manifest("shop", "v1"));
  await ok(nc, "put", manifest("shop", "v2"));
  await ok(nc, "deploy", { name: "shop", version: "v1" });
  await ok(nc, "put", manifest("idle", "v1"));
  return snapshot(nc, kv);
}

/**
 * A server of its own with a larger max_payload (the default 1 MiB is below the API's request
 * limit, so the client would refuse an oversized request before the responder sees it).
 */
export async function testNatsWithConfig(config: string): Promise<Pick<TestNats, "url" | "connect">> {
  const dir = mkdtempSync(join(tmpdir(), "nadm-test-nats-"));
  const conf = join(dir, "nats.conf");
  writeFileSync(conf, config);
  const server = await startNatsServer({ storeDir: join(dir, "store"), extraArgs: ["-c", conf] });
  const connections: NatsConnection[] = [];
  after(async () => {
    await Promise.allSettled(connections.map((nc) => nc.close()));
    await server.stop(2_000);
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    url: server.url,
    async connect() {
      const nc = await connectNats({ natsUrl: server.url, lattice: "default" });
      connections.push(nc);
      return nc;
    },
  };
}
