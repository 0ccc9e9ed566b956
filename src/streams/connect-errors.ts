/**
 * Telling a connection that cannot work from a server that is not there yet. A wrong password,
 * an unreadable creds file or a certificate the other side rejects will not get better by
 * retrying: those fail at once with an error naming the option at fault, while a refused or
 * timed-out TCP connect stays `unavailable` (worth waiting for).
 */
import { readFileSync } from "node:fs";
import { createConnection } from "node:net";
import { AuthorizationError, credsAuthenticator } from "@nats-io/transport-node";
import type { ConnectionConfig } from "../config.js";
import { BadRequestError, type ErrorDetail } from "../errors.js";

/** The connection settings cannot authenticate: bad_request, the details name the option. */
export class NatsAuthError extends BadRequestError {
  override name = "NatsAuthError";
  constructor(message: string, details: ErrorDetail[], options?: { cause?: unknown }) {
    super(message, details);
    if (options?.cause) this.cause = options.cause;
  }
}

const FILE_OPTIONS = [
  ["creds", "--creds (env NATS_CREDS)"],
  ["tlsCa", "--tls-ca (env NATS_TLS_CA)"],
  ["tlsCert", "--tls-cert (env NATS_TLS_CERT)"],
  ["tlsKey", "--tls-key (env NATS_TLS_KEY)"],
] as const;

/** Reads every file the settings name, so a typo fails before any network round trip. */
export function checkAuthFiles(cfg: ConnectionConfig): { creds?: Uint8Array } {
  const out: { creds?: Uint8Array } = {};
  for (const [field, flag] of FILE_OPTIONS) {
    const file = cfg[field];
    if (file === undefined) continue;
    try {
      const data = readFileSync(file);
      if (field === "creds") out.creds = data;
    } catch (err) {
      throw new NatsAuthError(`cannot read ${flag}: ${(err as Error).message}`, [
        { path: field, message: `cannot read ${file}` },
      ]);
    }
  }
  if ((cfg.tlsCert === undefined) !== (cfg.tlsKey === undefined)) {
    const missing = cfg.tlsCert === undefined ? "tlsCert" : "tlsKey";
    throw new NatsAuthError("--tls-cert and --tls-key go together: a client certificate needs its key", [
      { path: missing, message: "missing" },
    ]);
  }
  if (out.creds) {
    try {
      credsAuthenticator(out.creds);
    } catch (err) {
      throw new NatsAuthError(`${cfg.creds} is not a NATS creds file: ${(err as Error).message}`, [
        { path: "creds", message: "not a creds file (JWT and nkey seed)" },
      ]);
    }
  }
  return out;
}

const TLS_FAILURE = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|HOSTNAME|ERR_OSSL/i;

/**
 * The error of a failed connect as a non-retryable NatsAuthError when it is about credentials
 * or TLS; undefined when it may be transient. `natsUrl` is the first server, probed when a
 * timeout might be a server waiting for a client certificate we do not have.
 */
export async function authFailure(err: unknown, cfg: ConnectionConfig): Promise<NatsAuthError | undefined> {
  const e = err as { code?: unknown; message?: string; name?: string; cause?: unknown };
  if (err instanceof AuthorizationError || /authorization violation|authentication/i.test(e.message ?? "")) {
    return new NatsAuthError(`NATS refused the credentials: ${e.message}`, [credentialsDetail(cfg)], {
      cause: err,
    });
  }
  const code = typeof e.code === "string" ? e.code : "";
  if (TLS_FAILURE.test(code) || /certificate|ssl|tls/i.test(e.message ?? "")) {
    return new NatsAuthError(`TLS with the NATS server failed: ${e.message}`, [tlsDetail(cfg)], {
      cause: err,
    });
  }
  if (e.name === "TimeoutError" && cfg.tlsCert === undefined && (await demandsClientCert(cfg.natsUrl))) {
    return new NatsAuthError("the NATS server requires a TLS client certificate", [
      { path: "tlsCert", message: "pass --tls-cert and --tls-key (env NATS_TLS_CERT, NATS_TLS_KEY)" },
    ]);
  }
  return undefined;
}

function credentialsDetail(cfg: ConnectionConfig): ErrorDetail {
  if (cfg.creds) return { path: "creds", message: `the server does not accept ${cfg.creds}` };
  if (cfg.user) return { path: "password", message: `wrong user or password for user ${cfg.user}` };
  return {
    path: "user",
    message:
      "no credentials given: pass --user/--password or --creds (env NATS_USER/NATS_PASSWORD, NATS_CREDS)",
  };
}

function tlsDetail(cfg: ConnectionConfig): ErrorDetail {
  if (cfg.tlsCa === undefined) {
    return {
      path: "tlsCa",
      message: "the server's certificate is not trusted: pass --tls-ca (env NATS_TLS_CA)",
    };
  }
  return { path: "tlsCa", message: `check --tls-ca ${cfg.tlsCa} and the client certificate` };
}

/** Reads the first server's INFO line: does it verify client certificates? */
function demandsClientCert(natsUrl: string): Promise<boolean> {
  let url: URL;
  try {
    url = new URL((natsUrl.split(",")[0] ?? "").replace(/^(tls|nats)(?=:)/, "http"));
  } catch {
    return Promise.resolve(false);
  }
  return new Promise((resolve) => {
    const socket = createConnection({ host: url.hostname, port: Number(url.port || 4222) });
    let head = "";
    const done = (value: boolean) => {
      socket.destroy();
      resolve(value);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once("error", () => done(false));
    socket.on("data", (chunk: Buffer) => {
      head += chunk.toString("utf8");
      const line = head.split("\r\n")[0] ?? "";
      if (head.includes("\r\n")) done(/^INFO /.test(line) && /"tls_verify"\s*:\s*true/.test(line));
    });
  });
}
