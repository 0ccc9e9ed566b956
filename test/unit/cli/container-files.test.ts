/**
 * The Dockerfile and compose.yaml against the CLI and against what the image promises
 * (issue 10, point 3). No Docker engine runs in CI: what can be checked without one is checked
 * here; `docker-compose config -q` runs when Debian's docker-compose is installed (.ci/run does).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { launcherNodeFlags } from "../../../bench/lib/launcher.js";
import {
  checkCliArgs,
  execForm,
  finalStage,
  nadmServices,
  parseCompose,
  parseDockerfile,
} from "../../support/container-files.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const dockerfile = parseDockerfile(readFileSync(join(ROOT, "Dockerfile"), "utf8"));
const runtime = finalStage(dockerfile);
const compose = parseCompose(readFileSync(join(ROOT, "compose.yaml"), "utf8"));
const HEALTH_PORT = "9090";

function only(keyword: string) {
  const found = runtime.filter((i) => i.keyword === keyword);
  assert.equal(found.length, 1, `one ${keyword} in the runtime stage`);
  return found[0]!;
}

/** What follows the CLI's main.js in ENTRYPOINT: the image's own arguments before CMD's. */
const entrypoint = execForm(only("ENTRYPOINT").args);
const cmdDefault = execForm(only("CMD").args);

/** Every `nadm` command line the two files run, named by where it comes from. */
function invocations(): Array<{ where: string; args: string[] }> {
  const out = [{ where: "Dockerfile CMD", args: cmdDefault }];
  for (const name of nadmServices(compose)) {
    const s = compose.services[name]!;
    assert.equal(s.entrypoint, undefined, `${name}: keeps the image's entrypoint (nadm)`);
    assert.ok(s.command === undefined || Array.isArray(s.command), `${name}: command in exec form`);
    out.push({ where: `compose ${name}`, args: (s.command as string[] | undefined) ?? cmdDefault });
  }
  return out;
}

function flagValue(args: readonly string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : args.find((a) => a.startsWith(`${flag}=`))?.slice(flag.length + 1);
}

describe("Dockerfile and compose.yaml ↔ the nadm CLI", () => {
  it("every nadm command line in the Dockerfile and compose.yaml parses with the real program", async () => {
    const seen = invocations();
    assert.ok(seen.length >= 8, `found ${seen.length} command lines`);
    for (const { where, args } of seen) {
      const result = await checkCliArgs(args);
      assert.ok(result.ok, `${where}: nadm ${args.join(" ")} → ${result.ok ? "" : result.error}`);
    }
  });

  // The check above is only worth something if the checker refuses what the CLI refuses.
  const refused: Array<[string, string[]]> = [
    ["unknown command", ["controler"]],
    ["unknown flag", ["host", "--zone", "east"]],
    ["flag of another command", ["controller", "--host-id", "x"]],
    ["missing argument", ["app", "deploy"]],
    ["extra argument", ["app", "deploy", "echo", "again"]],
    ["unparsable duration", ["host", "--heartbeat-interval", "soon"]],
    ["a group, not a command", ["app"]],
    ["flag without its value", ["controller", "--http-port"]],
  ];
  for (const [what, args] of refused) {
    it(`the check refuses ${what}: nadm ${args.join(" ")}`, async () => {
      const result = await checkCliArgs(args);
      assert.equal(result.ok, false, JSON.stringify(result));
    });
  }

  it("accepts global flags anywhere and reaches the named command", async () => {
    assert.deepEqual(await checkCliArgs(["app", "deploy", "echo", "--timeout", "60s"]), {
      ok: true,
      command: "app deploy",
      help: false,
    });
    assert.deepEqual(await checkCliArgs(["--lattice", "x", "hosts", "list"]), {
      ok: true,
      command: "hosts list",
      help: false,
    });
  });
});

describe("the image", () => {
  it("runs the CLI compiled from src/cli/main.ts under tini", () => {
    const build = JSON.parse(readFileSync(join(ROOT, "tsconfig.build.json"), "utf8")) as {
      compilerOptions: { rootDir: string; outDir: string };
    };
    const { rootDir, outDir } = build.compilerOptions;
    // With the node flags of the bin's launcher line, if it has any.
    const flags = launcherNodeFlags();
    assert.deepEqual(entrypoint, ["/usr/bin/tini", "--", "node", ...flags, `/app/${outDir}/cli/main.js`]);
    assert.ok(existsSync(join(ROOT, rootDir, "cli", "main.ts")));
    const installs = runtime.filter((i) => i.keyword === "RUN" && /apt-get install/.test(i.args));
    assert.ok(
      installs.some((i) => /\btini\b/.test(i.args)),
      "tini is installed by the runtime stage",
    );
  });

  it("is multi-stage and runs as a non-root user", () => {
    const stages = dockerfile.filter((i) => i.keyword === "FROM");
    assert.ok(stages.length >= 2, "a build stage and a runtime stage");
    assert.ok(
      runtime.some((i) => i.keyword === "COPY" && i.args.startsWith("--from=")),
      "the runtime stage copies build output, not sources",
    );
    assert.ok(!runtime.some((i) => i.keyword === "COPY" && /^src\b/.test(i.args)), "no sources at run time");
    const user = only("USER").args.split(":")[0];
    assert.ok(user && user !== "root" && user !== "0", `USER ${user}`);
  });

  it(`has a HEALTHCHECK that asks /livez on port ${HEALTH_PORT}`, () => {
    const check = only("HEALTHCHECK").args;
    const cmd = execForm(check.slice(check.indexOf("CMD") + 3).trim());
    assert.match(cmd.join(" "), new RegExp(`http://127\\.0\\.0\\.1:${HEALTH_PORT}/livez`));
  });

  it("carries OCI labels", () => {
    const labels = runtime
      .filter((i) => i.keyword === "LABEL")
      .map((i) => i.args)
      .join(" ");
    for (const key of ["title", "description", "licenses", "version", "revision", "created"]) {
      assert.match(labels, new RegExp(`org\\.opencontainers\\.image\\.${key}=`), key);
    }
  });

  it("has a .dockerignore that keeps local state and dependencies out of the context", () => {
    const ignored = readFileSync(join(ROOT, ".dockerignore"), "utf8")
      .split("\n")
      .map((l) => l.trim());
    for (const entry of [".git", "node_modules", "dist", ".nadm"]) assert.ok(ignored.includes(entry), entry);
  });
});

describe("compose.yaml", () => {
  const services = compose.services;
  const nadm = nadmServices(compose);
  const commandOf = (name: string) => (services[name]!.command as string[] | undefined) ?? [];

  it("runs NATS with JetStream storing on a volume", () => {
    const nats = services.nats!;
    const args = (nats.command as string[]) ?? [];
    assert.ok(args.includes("-js"), "JetStream enabled");
    const storeDir = flagValue(args, "-sd");
    assert.ok(storeDir, "a store dir");
    assert.ok(
      (nats.volumes ?? []).some(
        (v) => v.endsWith(`:${storeDir}`) && !v.startsWith("/") && !v.startsWith("."),
      ),
      `a named volume on ${storeDir}`,
    );
  });

  it("runs 2+ controllers, and hosts, with health checks on the port the image's HEALTHCHECK asks", () => {
    const controllers = nadm.filter((n) => commandOf(n)[0] === "controller");
    assert.ok(controllers.length >= 2, controllers.join(","));
    for (const name of [...controllers, ...nadm.filter((n) => commandOf(n)[0] === "host")]) {
      assert.notEqual(services[name]!.healthcheck?.disable, true, `${name} is health-checked`);
    }
  });

  it("serves probes on that port in every nadm service whose health is checked", () => {
    for (const name of nadm.filter((n) => services[n]!.healthcheck?.disable !== true)) {
      assert.equal(flagValue(commandOf(name), "--http-port"), HEALTH_PORT, name);
    }
  });

  it("runs 2+ hosts in different zones", () => {
    const zones = nadm
      .filter((n) => commandOf(n)[0] === "host")
      .map((n) => commandOf(n).find((a, i, all) => all[i - 1] === "--label" && a.startsWith("zone=")));
    assert.ok(zones.length >= 2, "two or more hosts");
    assert.ok(new Set(zones.filter(Boolean)).size >= 2, `zones: ${zones.join(",")}`);
  });

  it("deploys manifests/echo.yaml once, with one-shot services in order", () => {
    const oneShots = nadm.filter((n) => services[n]!.restart === "no" && !services[n]!.profiles);
    const put = oneShots.find((n) => commandOf(n).join(" ").startsWith("app put manifests/echo.yaml"));
    const deploy = oneShots.find((n) => commandOf(n).join(" ").startsWith("app deploy echo"));
    assert.ok(put && deploy, `one-shots: ${oneShots.join(",")}`);
    assert.ok(existsSync(join(ROOT, "manifests/echo.yaml")));
    const after = services[deploy]!.depends_on as Record<string, { condition: string }>;
    assert.equal(after[put]?.condition, "service_completed_successfully");
  });

  it("is valid for docker-compose (`docker-compose config -q`)", (t) => {
    const probe = spawnSync("docker-compose", ["version"], { encoding: "utf8" });
    if (probe.error) {
      t.skip("docker-compose is not installed: compose.yaml not validated by it");
      return;
    }
    const result = spawnSync("docker-compose", ["-f", join(ROOT, "compose.yaml"), "config", "-q"], {
      encoding: "utf8",
      cwd: ROOT,
    });
    assert.equal(result.status, 0, result.stderr);
  });
});
