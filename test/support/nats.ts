/**
 * Gives a test file its own real nats-server (random free port, temp store dir) and tears it
 * down after the file's tests, also when they fail.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after } from "node:test";
import type { NatsConnection } from "@nats-io/transport-node";
import type { ConnectionConfig } from "../../src/config.js";
import { type RunningNatsServer, startNatsServer } from "../../src/embedded/nats-server.js";
import { connectNats } from "../../src/streams/connection.js";

export interface TestNatsOptions {
  /**
   * A nats-server config file (authorization, accounts, tls, ...), written beside the store.
   * Port, host and store dir still come from the command line, which overrides the file.
   */
  config?: string;
  /** Connection settings `connect()` uses unless told otherwise (the server's credentials). */
  auth?: Partial<ConnectionConfig>;
  /** The server's log lines (e.g. to find permission violations while writing a config). */
  onLog?: (line: string) => void;
}

export interface TestNats {
  url: string;
  server: RunningNatsServer;
  storeDir: string;
  /** A client connection closed at teardown; `auth` replaces the default credentials. */
  connect(auth?: Partial<ConnectionConfig>): Promise<NatsConnection>;
  /**
   * Stops (SIGTERM, or SIGKILL with `crash`) and starts again on the same port and store after
   * `downMs` (for restart tests).
   */
  restart(opts?: { crash?: boolean; downMs?: number }): Promise<void>;
}

/** Call at the top level of a test file: `const nats = await testNats();` */
export async function testNats(opts: TestNatsOptions = {}): Promise<TestNats> {
  const storeDir = mkdtempSync(join(tmpdir(), "nadm-test-nats-"));
  const extraArgs: string[] = [];
  if (opts.config !== undefined) {
    const file = join(storeDir, "nats-server.conf");
    writeFileSync(file, opts.config);
    extraArgs.push("-c", file);
  }
  const start = (port?: number) => startNatsServer({ storeDir, port, extraArgs, onLog: opts.onLog });
  let server = await start();
  const connections: NatsConnection[] = [];
  const handle: TestNats = {
    get url() {
      return server.url;
    },
    get server() {
      return server;
    },
    storeDir,
    async connect(auth = opts.auth) {
      const nc = await connectNats({ natsUrl: server.url, lattice: "default", ...auth });
      connections.push(nc);
      return nc;
    },
    async restart(opts = {}) {
      const port = server.port;
      if (opts.crash) await server.kill();
      else await server.stop();
      if (opts.downMs) await new Promise((r) => setTimeout(r, opts.downMs));
      server = await start(port);
    },
  };
  after(async () => {
    await Promise.allSettled(connections.map((nc) => nc.close()));
    await server.stop(2_000);
    rmSync(storeDir, { recursive: true, force: true });
  });
  return handle;
}
