/**
 * User/password authentication (--user/--password, env NATS_USER/NATS_PASSWORD) for the
 * controller, the host agent and the CLI, against a nats-server that requires it.
 */
import { test } from "node:test";
import { testNats } from "../../support/nats.js";
import { convergesWith, refusedWith } from "./auth-scenario.js";

const nats = await testNats({
  config: `authorization { users = [ { user: nadm, password: "s3cret pass" } ] }\n`,
  auth: { user: "nadm", password: "s3cret pass" },
});
const flags = { args: ["--user", "nadm", "--password", "s3cret pass"], env: {} };
const vars = { args: [], env: { NATS_USER: "nadm", NATS_PASSWORD: "s3cret pass" } };

test("controller (env), host (flags) and CLI (flags) converge an app with user/password", async () => {
  await convergesWith(nats, "userpass", { controller: vars, host: flags, cli: flags });
});

test("without credentials the CLI, a controller and a host fail at once naming the option", async () => {
  await refusedWith(nats, { args: [], env: {} }, "user", /NATS refused the credentials/);
});

test("with a wrong password they fail naming the password", async () => {
  await refusedWith(
    nats,
    { args: ["--user", "nadm", "--password", "wrong"], env: {} },
    "password",
    /refused/,
  );
});
