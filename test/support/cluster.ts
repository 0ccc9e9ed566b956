/**
 * A 3-node NATS cluster on loopback for a test file (routes on 127.0.0.1, one store dir and
 * server_name each, JetStream on), built from the same launcher as `testNats`; every
 * node is stopped and its store removed when the file's tests end.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after } from "node:test";
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { type RunningNatsServer, startNatsServer } from "../../src/embedded/nats-server.js";
import { connectNats } from "../../src/streams/connection.js";
import { freePort } from "../../src/system.js";
import { waitFor } from "./wait.js";

export interface TestCluster {
  readonly names: readonly string[];
  /** Client URL of node i. */
  url(i: number): string;
  /** Comma-separated client URLs of every node, or of the given ones. */
  urls(nodes?: number[]): string;
  server(i: number): RunningNatsServer;
  /** A client connection (to the given nodes, default all), closed at teardown. */
  connect(nodes?: number[]): Promise<NatsConnection>;
  /** SIGKILL node i. */
  kill(i: number): Promise<void>;
  /** Starts node i again on its ports and store (after `kill`). */
  restart(i: number): Promise<void>;
  /** Index of the node named `name` (e.g. a stream's `cluster.leader`). */
  indexOf(name: string): number;
}

interface Node {
  name: string;
  port: number;
  clusterPort: number;
  storeDir: string;
  server: RunningNatsServer;
}

export async function testCluster(size = 3): Promise<TestCluster> {
  const dir = mkdtempSync(join(tmpdir(), "nadm-test-cluster-"));
  const ports = await Promise.all(Array.from({ length: size * 2 }, () => freePort()));
  const specs = Array.from({ length: size }, (_, i) => ({
    name: `n${i}`,
    port: ports[i]!,
    clusterPort: ports[size + i]!,
    storeDir: join(dir, `n${i}`),
  }));
  const routes = specs.map((s) => `nats://127.0.0.1:${s.clusterPort}`).join(",");
  const launch = (s: (typeof specs)[number]) =>
    startNatsServer({
      storeDir: s.storeDir,
      port: s.port,
      extraArgs: [
        "--server_name",
        s.name,
        "--cluster_name",
        "nadm-test",
        "--cluster",
        `nats://127.0.0.1:${s.clusterPort}`,
        "--routes",
        routes,
      ],
    });
  const nodes: Node[] = await Promise.all(specs.map(async (s) => ({ ...s, server: await launch(s) })));
  const connections: NatsConnection[] = [];
  after(async () => {
    await Promise.allSettled(connections.map((nc) => nc.close()));
    await Promise.allSettled(nodes.map((n) => n.server.stop(2_000)));
    rmSync(dir, { recursive: true, force: true });
  });
  const url = (i: number) => `nats://127.0.0.1:${nodes[i]!.port}`;
  const cluster: TestCluster = {
    names: nodes.map((n) => n.name),
    url,
    urls: (which = nodes.map((_, i) => i)) => which.map(url).join(","),
    server: (i) => nodes[i]!.server,
    async connect(which) {
      const nc = await connectNats({ natsUrl: cluster.urls(which), lattice: "default" });
      connections.push(nc);
      return nc;
    },
    kill: (i) => nodes[i]!.server.kill(),
    async restart(i) {
      nodes[i]!.server = await launch(specs[i]!);
    },
    indexOf: (name) => nodes.findIndex((n) => n.name === name),
  };
  // "Server is ready" comes before the JetStream meta group has a leader.
  const probe = await cluster.connect();
  await waitFor(
    async () => {
      await (await jetstreamManager(probe)).getAccountInfo();
      return true;
    },
    { timeoutMs: 30_000, intervalMs: 200, what: "JetStream meta leader" },
  );
  return cluster;
}
