/**
 * Opens a NATS connection from a resolved ConnectionConfig (credentials, user/password, TLS).
 */
import { readFileSync } from "node:fs";
import { connect, credsAuthenticator, type NatsConnection } from "@nats-io/transport-node";
import type { ConnectionConfig } from "../config.js";
import { UnavailableError } from "../errors.js";

export interface ConnectOptions {
  /** Keep retrying the initial connect (long-running processes); default false (CLI: fail fast). */
  waitOnFirstConnect?: boolean;
  timeoutMs?: number;
}

export async function connectNats(cfg: ConnectionConfig, opts: ConnectOptions = {}): Promise<NatsConnection> {
  const tls =
    cfg.tlsCa || cfg.tlsCert || cfg.tlsKey
      ? { caFile: cfg.tlsCa, certFile: cfg.tlsCert, keyFile: cfg.tlsKey }
      : undefined;
  try {
    return await connect({
      servers: cfg.natsUrl.split(","),
      name: cfg.name,
      user: cfg.user,
      pass: cfg.password,
      authenticator: cfg.creds ? credsAuthenticator(readFileSync(cfg.creds)) : undefined,
      tls,
      timeout: opts.timeoutMs ?? 5_000,
      waitOnFirstConnect: opts.waitOnFirstConnect ?? false,
      maxReconnectAttempts: -1,
      // Capturing a stack trace for every request (each PubAck and ackAck) cost ~20 % of a
      // replica's CPU in the reconcile benchmark; our errors carry their own context.
      noAsyncTraces: true,
      reconnectTimeWait: 500,
    });
  } catch (err) {
    throw new UnavailableError(`cannot connect to NATS at ${cfg.natsUrl}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}
