#!/usr/bin/env node
// A tiny HTTP echo server for the example apps: replies with who answered (app, component,
// instance, host) so that spreading and rollouts can be watched with curl. Plain Node, no deps.
import { createServer } from "node:http";

const port = Number(process.env.PORT ?? 8080);
const identity = {
  app: process.env.NADM_APP ?? null,
  component: process.env.NADM_COMPONENT ?? null,
  instance: process.env.NADM_INSTANCE ?? null,
  host: process.env.NADM_HOST_ID ?? null,
};

const server = createServer((req, res) => {
  const body = JSON.stringify({ ...identity, method: req.method, url: req.url });
  res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
});

server.listen(port, () => {
  console.log(`echo-server listening on ${port}`);
});

// The host stops instances with SIGTERM: finish in-flight requests, then exit 0.
function stop() {
  server.close(() => process.exit(0));
  server.closeIdleConnections();
  // A client holding a connection open must not keep the instance alive past the host's grace period.
  setTimeout(() => process.exit(0), 5_000).unref();
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
