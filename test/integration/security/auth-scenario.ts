/**
 * The two claims every authentication test makes, for one way of authenticating (ARCHITECTURE
 * §10's --creds, --user/--password, --tls-*): with the settings, a controller process, a host
 * process and the CLI converge an app over the authenticated connection; without them, each
 * fails at once with a structured error naming the option, and exit code 1.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after } from "node:test";
import { runCli } from "../../support/cli.js";
import { spreadApp } from "../../support/manifests.js";
import type { TestNats } from "../../support/nats.js";
import { placementOf, spawnNadm } from "../../support/processes.js";
import { waitFor } from "../../support/wait.js";

/** How one process is given the connection settings: flags, environment, or both. */
export interface AuthSettings {
  args: string[];
  env: Record<string, string>;
}

/** Every NATS variable nadm reads, blanked so a developer's own shell cannot leak into a test. */
const CLEAN_ENV = {
  NATS_CREDS: "",
  NATS_USER: "",
  NATS_PASSWORD: "",
  NATS_TLS_CA: "",
  NATS_TLS_CERT: "",
  NATS_TLS_KEY: "",
};

export async function convergesWith(
  nats: TestNats,
  app: string,
  who: { controller: AuthSettings; host: AuthSettings; cli: AuthSettings },
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "nadm-auth-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const env = (s: AuthSettings) => ({ ...CLEAN_ENV, NATS_URL: nats.url, ...s.env });
  const controller = spawnNadm("controller", ["controller", ...who.controller.args], env(who.controller));
  const host = spawnNadm(
    "host",
    ["host", "--host-id", `${app}-host`, "--data-dir", dir, "--heartbeat-interval", "1s", ...who.host.args],
    env(who.host),
  );
  const cli = async (args: string[], input?: string) => {
    const r = await runCli([...args, ...who.cli.args, "--json", "--timeout", "20s"], {
      env: env(who.cli),
      input,
    });
    assert.equal(r.code, 0, `nadm ${args.join(" ")} failed: ${r.stdout}${r.stderr}`);
    return r.json as { phase?: string };
  };
  try {
    await cli(
      ["app", "put", "-"],
      spreadApp(app, { instances: 1, properties: { command: "sleep", args: ["600"] } }),
    );
    await cli(["app", "deploy", app]);
    await waitFor(async () => (await cli(["app", "status", app])).phase === "deployed", {
      timeoutMs: 30_000,
      what: `${app} deployed`,
    });
    assert.deepEqual(placementOf(app), { [`${app}-host`]: 1 });
    await cli(["app", "undeploy", app]);
    await waitFor(() => Object.keys(placementOf(app)).length === 0, {
      timeoutMs: 15_000,
      what: "instances gone",
    });
  } catch (err) {
    throw new Error(
      `${(err as Error).message}\n--- controller:\n${controller.output()}\n--- host:\n${host.output()}`,
    );
  } finally {
    await Promise.all([controller.stop(), host.stop()]);
  }
}

/**
 * With `settings` (missing or wrong credentials) the CLI exits 1 with a bad_request error whose
 * detail names `path`, and a controller and a host exit 1 printing the same, instead of waiting.
 */
export async function refusedWith(nats: TestNats, settings: AuthSettings, path: string, message: RegExp) {
  const env = { ...CLEAN_ENV, NATS_URL: nats.url, ...settings.env };
  const r = await runCli(["app", "list", "--json", ...settings.args], { env });
  assert.equal(r.code, 1, `CLI: ${r.stdout}${r.stderr}`);
  const error = (r.json as { error: { code: string; message: string; details: Array<{ path: string }> } })
    .error;
  assert.equal(error.code, "bad_request");
  assert.match(error.message, message);
  assert.deepEqual(
    error.details.map((d) => d.path),
    [path],
  );
  for (const verb of [["controller"], ["host", "--host-id", "refused", "--driver", "sim"]]) {
    const p = spawnNadm(verb[0]!, [...verb, ...settings.args], env);
    const code = await waitFor(() => p.child.exitCode ?? undefined, {
      timeoutMs: 20_000,
      what: `${verb[0]} to exit`,
    }).catch((err: Error) => {
      throw new Error(`${err.message}: ${p.output()}`);
    });
    assert.equal(code, 1, p.output());
    assert.match(p.output(), /error \(bad_request\)/);
    assert.match(p.output(), message);
    assert.match(p.output(), new RegExp(`^  ${path}: `, "m"));
  }
}
