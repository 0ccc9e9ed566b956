/**
 * Opens a NATS connection from a resolved ConnectionConfig (credentials, user/password, TLS).
 */
import { connect, credsAuthenticator, type NatsConnection } from "@nats-io/transport-node";
import type { ConnectionConfig } from "../config.js";
import { within } from "../deadline.js";
import { UnavailableError } from "../errors.js";
import { authFailure, checkAuthFiles } from "./connect-errors.js";
import { LinkState } from "./link.js";

export interface ConnectOptions {
  /** Keep retrying the initial connect (long-running processes); default false (CLI: fail fast). */
  waitOnFirstConnect?: boolean;
  timeoutMs?: number;
}

const FIRST_CONNECT_RETRY_MS = 500;

/**
 * Connects, or throws `NatsAuthError` (bad_request, naming the option) when the credentials or
 * TLS settings cannot work — also with `waitOnFirstConnect`, which only waits for a server
 * that is not there yet — or `UnavailableError` when no server answers.
 */
export async function connectNats(cfg: ConnectionConfig, opts: ConnectOptions = {}): Promise<NatsConnection> {
  const { creds } = checkAuthFiles(cfg);
  const tls =
    cfg.tlsCa || cfg.tlsCert || cfg.tlsKey
      ? { caFile: cfg.tlsCa, certFile: cfg.tlsCert, keyFile: cfg.tlsKey }
      : undefined;
  for (;;) {
    try {
      return await connect({
        servers: cfg.natsUrl.split(","),
        name: cfg.name,
        user: cfg.user,
        pass: cfg.password,
        authenticator: creds ? credsAuthenticator(creds) : undefined,
        tls,
        timeout: opts.timeoutMs ?? 5_000,
        // Our own loop below waits instead, so that a bad credential fails rather than retrying forever.
        waitOnFirstConnect: false,
        maxReconnectAttempts: -1,
        // Capturing a stack trace for every request (each PubAck and ackAck) cost ~20 % of a
        // replica's CPU in the reconcile benchmark; our errors carry their own context.
        noAsyncTraces: true,
        reconnectTimeWait: 500,
      });
    } catch (err) {
      const refused = await authFailure(err, cfg);
      if (refused) throw refused;
      if (!opts.waitOnFirstConnect) {
        throw new UnavailableError(`cannot connect to NATS at ${cfg.natsUrl}: ${(err as Error).message}`, {
          cause: err,
        });
      }
      await new Promise((r) => setTimeout(r, FIRST_CONNECT_RETRY_MS));
    }
  }
}

/**
 * Ends a connection at shutdown: drains it (what was published is flushed, subscriptions end)
 * while NATS is reachable, else — or when the drain fails or takes longer than `timeoutMs` —
 * closes it. A drain of a connection that is down only fails ("connection disconnected") after
 * waiting, and a stopping process has nothing left to wait for.
 */
export async function closeConnection(nc: NatsConnection, timeoutMs = 5_000): Promise<void> {
  if (nc.isClosed()) return;
  if (LinkState.of(nc).connected) {
    let failed = false;
    const drained = nc.drain().catch(() => {
      failed = true;
    });
    if ((await within(drained, timeoutMs)) && !failed) return;
  }
  if (!nc.isClosed()) await nc.close();
}
