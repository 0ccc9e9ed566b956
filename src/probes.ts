/**
 * The HTTP side of every long-running process (`--http-port`): `/livez` (the event loop
 * answers), `/readyz` (every readiness check passes; 503 naming what is not ready),
 * `/metrics` (Prometheus) and, kept for old probes, `/healthz` (= `/readyz`). `more` may answer
 * anything else (the controller's dashboard).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Counter, Registry } from "prom-client";
import { LinkState } from "./streams/link.js";

/** Returns why the process is not ready, or undefined when it is. */
export type ReadinessCheck = () => string | undefined;

export interface ProbeServerOptions {
  port: number;
  registry: Registry;
  readiness: readonly ReadinessCheck[];
  more?: (req: IncomingMessage, res: ServerResponse) => boolean;
}

/** The reasons the process is not ready (empty when it is). */
export function notReady(checks: readonly ReadinessCheck[]): string[] {
  return checks.flatMap((check) => check() ?? []);
}

export function serveProbes(opts: ProbeServerOptions): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/metrics") {
      opts.registry.metrics().then(
        (body) => {
          res.writeHead(200, { "content-type": opts.registry.contentType });
          res.end(body);
        },
        (err: unknown) => {
          res.writeHead(500, { "content-type": "text/plain" }).end(`${String(err)}\n`);
        },
      );
    } else if (path === "/livez") {
      // Answering at all proves the event loop turns; nothing else belongs in liveness.
      res.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
    } else if (path === "/readyz" || path === "/healthz") {
      const reasons = notReady(opts.readiness);
      res.writeHead(reasons.length === 0 ? 200 : 503, { "content-type": "text/plain" });
      res.end(reasons.length === 0 ? "ok\n" : `not ready: ${reasons.join("; ")}\n`);
    } else if (!opts.more?.(req, res)) {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, () => resolve(server));
  });
}

/** Readiness of the NATS connection: open and not between a disconnect and a reconnect. */
export function natsConnected(nc: NatsConnection): ReadinessCheck {
  const link = LinkState.of(nc);
  return () => {
    if (nc.isClosed()) return "NATS connection closed";
    return link.connected ? undefined : "NATS disconnected (reconnecting)";
  };
}

/** Counts reconnects of `nc` into `counter`. */
export function countReconnects(nc: NatsConnection, counter: Counter): () => void {
  return onReconnect(nc, () => counter.inc());
}

/** Calls `fn` at each reconnect of `nc` until the returned function is called. */
export function onReconnect(nc: NatsConnection, fn: () => void): () => void {
  let stopped = false;
  void (async () => {
    for await (const s of nc.status()) {
      if (stopped) break;
      if (s.type === "reconnect") fn();
    }
  })();
  return () => {
    stopped = true;
  };
}

/** Closes the server and its keep-alive connections. */
export function closeServer(server: Server | undefined): void {
  server?.close();
  server?.closeAllConnections();
}

/** The port a server listens on (for `--http-port 0`). */
export function portOf(server: Server | undefined): number | undefined {
  const address = server?.address();
  return typeof address === "object" && address ? address.port : undefined;
}
