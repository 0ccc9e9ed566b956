/**
 * Creds-file authentication (--creds, env NATS_CREDS): decentralised JWT auth. The operator,
 * account and user JWTs and nkey seeds are made in the test with @nats-io/jwt + @nats-io/nkeys;
 * nats-server trusts the operator and has the account JWT preloaded (`resolver: MEMORY`).
 */
import { test } from "node:test";
import { testOperator } from "../../support/creds.js";
import { testNats } from "../../support/nats.js";
import { convergesWith, refusedWith } from "./auth-scenario.js";

const operator = await testOperator();
const admin = await operator.userCreds("admin");
const nats = await testNats({ config: operator.serverConfig, auth: { creds: admin } });
const flag = async (name: string) => ({ args: ["--creds", await operator.userCreds(name)], env: {} });

test("controller (env), host (flag) and CLI (flag) converge an app with creds files", async () => {
  await convergesWith(nats, "creds", {
    controller: { args: [], env: { NATS_CREDS: await operator.userCreds("controller") } },
    host: await flag("host"),
    cli: await flag("operator"),
  });
});

test("without a creds file the CLI, a controller and a host fail at once naming the option", async () => {
  await refusedWith(nats, { args: [], env: {} }, "user", /NATS refused the credentials/);
});

test("a creds file of an account the server does not trust is refused naming --creds", async () => {
  await refusedWith(nats, { args: ["--creds", await operator.strangerCreds()], env: {} }, "creds", /refused/);
});

test("a creds file that does not exist is refused before connecting", async () => {
  await refusedWith(
    nats,
    { args: ["--creds", "/nonexistent/nadm.creds"], env: {} },
    "creds",
    /cannot read --creds/,
  );
});
