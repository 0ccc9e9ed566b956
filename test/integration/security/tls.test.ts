/**
 * TLS with client certificates (--tls-ca/--tls-cert/--tls-key, env NATS_TLS_CA/_CERT/_KEY):
 * a CA, a server and a client certificate made with openssl; nats-server requires TLS and
 * verifies client certificates against the CA.
 */
import { test } from "node:test";
import { testNats } from "../../support/nats.js";
import { testCerts, tlsServerConfig } from "../../support/tls.js";
import { convergesWith, refusedWith } from "./auth-scenario.js";

const certs = testCerts();
const nats = await testNats({
  config: tlsServerConfig(certs),
  auth: { tlsCa: certs.ca, tlsCert: certs.clientCert, tlsKey: certs.clientKey },
});
const flags = {
  args: ["--tls-ca", certs.ca, "--tls-cert", certs.clientCert, "--tls-key", certs.clientKey],
  env: {},
};
const vars = {
  args: [],
  env: { NATS_TLS_CA: certs.ca, NATS_TLS_CERT: certs.clientCert, NATS_TLS_KEY: certs.clientKey },
};

test("controller (env), host (flags) and CLI (env) converge an app over TLS with client certificates", async () => {
  await convergesWith(nats, "tls", { controller: vars, host: flags, cli: vars });
});

test("without TLS settings the server's certificate is not trusted: fails at once naming --tls-ca", async () => {
  await refusedWith(nats, { args: [], env: {} }, "tlsCa", /TLS with the NATS server failed/);
});

test("a CA that did not sign the server's certificate is refused naming --tls-ca", async () => {
  const wrongCa = {
    ...flags,
    args: ["--tls-ca", certs.otherCa, "--tls-cert", certs.clientCert, "--tls-key", certs.clientKey],
  };
  await refusedWith(nats, wrongCa, "tlsCa", /TLS with the NATS server failed/);
});

test("without a client certificate the server's demand for one is named", async () => {
  await refusedWith(
    nats,
    { args: ["--tls-ca", certs.ca], env: {} },
    "tlsCert",
    /requires a TLS client certificate/,
  );
});

test("a certificate without its key is refused before connecting", async () => {
  await refusedWith(
    nats,
    { args: ["--tls-ca", certs.ca, "--tls-cert", certs.clientCert], env: {} },
    "tlsKey",
    /go together/,
  );
});
