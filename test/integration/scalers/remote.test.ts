/**
 * Remote scalers over NATS (ARCHITECTURE "Remote scalers"): the example programs in
 * examples/remote-scalers register in `nadm_scalers` and answer on `nadm.scaler.{lattice}.{type}`;
 * two controller replicas validate manifests against the registered properties schema at put,
 * call the scaler, and place exactly what the example's own rule says. A remote scaler that
 * never answers or answers garbage fails only its component.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { Kvm } from "@nats-io/kv";
import { firstFit, properties as firstFitProperties } from "../../../examples/remote-scalers/node/rule.js";
import { ApiClient } from "../../../src/api/client.js";
import { builtinTraitCatalog } from "../../../src/catalog.js";
import { NadmError } from "../../../src/errors.js";
import { runSimFleet } from "../../../src/host/index.js";
import { silentLogger } from "../../../src/log.js";
import { RemoteScalers } from "../../../src/remote-scalers/registrations.js";
import { BUCKETS, keys, subjects } from "../../../src/streams/subjects.js";
import { startController } from "../../support/controller.js";
import { hostRecords, openHostsKv, runningByApp } from "../../support/lattice.js";
import { testNats } from "../../support/nats.js";
import { spawnProgram } from "../../support/processes.js";
import { waitFor } from "../../support/wait.js";

const nats = await testNats();
const nc = await nats.connect();
for (let i = 0; i < 2; i++) await startController(await nats.connect(), { tickIntervalMs: 500 });
const fleet = await runSimFleet({ nc: await nats.connect(), count: 5, hostIdPrefix: "rs" });
after(() => fleet.stop());
const api = new ApiClient(nc, "default", 10_000);
const scalers = await new Kvm(nc).open(BUCKETS.scalers);

function appWith(name: string, trait: { type: string; properties: Record<string, unknown> }): string {
  return JSON.stringify({
    apiVersion: "nadm.dev/v1",
    kind: "Application",
    metadata: { name, annotations: { version: "v1" } },
    spec: { components: [{ name: "web", type: "process", properties: { command: "sim" }, traits: [trait] }] },
  });
}

async function registered(type: string): Promise<void> {
  await waitFor(async () => (await scalers.get(keys.scaler("default", type)))?.operation === "PUT", {
    timeoutMs: 30_000,
    what: `registration of ${type}`,
  });
}

/** Puts and deploys, then waits for the component's phase (through the API, as a user would). */
async function deployAndWait(name: string, manifest: string, phase: string) {
  const put = await waitFor(() => api.put(manifest).catch(() => undefined), {
    timeoutMs: 15_000,
    what: "put",
  });
  await api.deploy(name, put.version);
  return waitFor(
    async () => {
      const s = await api.status(name);
      return s.components[0]?.phase === phase ? s : undefined;
    },
    { timeoutMs: 30_000, what: `${name} ${phase}` },
  );
}

/**
 * What the manifests store holds, per app. Not the live phase: the first test's scaler has
 * stopped by now, so a tick or resync may mark its app failed at any moment (truthfully).
 */
async function stored() {
  const { apps } = await api.list();
  return apps.map(({ name, latestVersion, deployedVersion, versions }) => ({
    name,
    latestVersion,
    deployedVersion,
    versions,
  }));
}

/** What the example's own rule places on the live hosts, as hostId → count. */
async function expectedFirstFit(props: Record<string, unknown>): Promise<Map<string, number>> {
  const hosts = (await hostRecords(await openHostsKv(nc))).map((r) => ({
    hostId: r.hostId,
    labels: r.labels,
    instances: 0,
  }));
  const { placements } = firstFit(firstFitProperties.parse(props), hosts);
  return new Map(placements.map((p) => [p.hostId, p.count]));
}

async function placedFor(app: string, want: Map<string, number>): Promise<Map<string, number>> {
  const kv = await openHostsKv(nc);
  return waitFor(
    async () => {
      const got = runningByApp(await hostRecords(kv)).get(app) ?? new Map<string, number>();
      const same = got.size === want.size && [...want].every(([h, n]) => got.get(h) === n);
      return same ? got : undefined;
    },
    { timeoutMs: 30_000, what: `${app} placed as ${JSON.stringify([...want])}` },
  );
}

test("the Node example remote scaler places an app on 2 replicas exactly as its rule says", async () => {
  const scaler = spawnProgram(
    "first-fit",
    process.execPath,
    ["--import", "tsx", "examples/remote-scalers/node/main.ts"],
    {
      NATS_URL: nats.url,
    },
  );
  after(() => scaler.stop());
  await registered("first-fit");
  const props = { instances: 5, perHost: 2 };
  const status = await deployAndWait(
    "packed",
    appWith("packed", { type: "first-fit", properties: props }),
    "deployed",
  );
  assert.equal(status.phase, "deployed");
  assert.equal(status.components[0]!.scaler, "first-fit");
  const want = await expectedFirstFit(props);
  assert.deepEqual([...want.values()], [2, 2, 1], "the rule packs 5 onto 3 hosts");
  await placedFor("packed", want);
});

test("manifests naming a remote trait are checked against its registered properties schema at put", async () => {
  await registered("first-fit");
  const before = await stored();
  for (const [props, field] of [
    [{ instances: 2, perHost: 0 }, "perHost"],
    [{ instances: 2, colour: "red" }, "colour"],
    [{ perHost: 1 }, "instances"],
  ] as const) {
    const err = await api.put(appWith("badprops", { type: "first-fit", properties: props })).then(
      () => assert.fail(`accepted ${JSON.stringify(props)}`),
      (e: unknown) => e,
    );
    assert.ok(err instanceof NadmError && err.code === "invalid_manifest", String(err));
    assert.match(
      JSON.stringify(err.details),
      new RegExp(`traits\\.0\\.properties.*${field}|${field}`),
      `names ${field}`,
    );
  }
  const unknown = await api
    .put(appWith("badtype", { type: "not-registered", properties: {} }))
    .catch((e) => e);
  assert.ok(unknown instanceof NadmError && /first-fit/.test(unknown.message), "lists the known types");
  assert.deepEqual(await stored(), before, "nothing stored");
});

test("a remote scaler that never answers, or answers garbage, fails only its own component", async () => {
  const silent = nc.subscribe(subjects.scaler("default", "silent"), { callback: () => undefined });
  const garbage = nc.subscribe(subjects.scaler("default", "garbage"), {
    callback: (_e, m) => {
      m.respond(
        JSON.stringify({
          placements: [{ hostId: "rs-0", count: 1.5 }],
          status: { phase: "ok", message: "" },
        }),
      );
    },
  });
  after(() => {
    silent.unsubscribe();
    garbage.unsubscribe();
  });
  for (const type of ["silent", "garbage"]) {
    await scalers.put(
      keys.scaler("default", type),
      JSON.stringify({ type, version: "1", properties: { type: "object" } }),
    );
  }
  await registered("silent");
  await registered("garbage");
  const quiet = await deployAndWait("quiet", appWith("quiet", { type: "silent", properties: {} }), "failed");
  assert.match(
    quiet.components[0]!.message,
    /did not answer on nadm\.scaler\.default\.silent within 1000 ms/,
  );
  const junk = await deployAndWait("junk", appWith("junk", { type: "garbage", properties: {} }), "failed");
  assert.match(junk.components[0]!.message, /malformed at placements\.0\.count/);
  const fine = await deployAndWait(
    "fine",
    appWith("fine", { type: "spreadscaler", properties: { instances: 2 } }),
    "deployed",
  );
  assert.equal(fine.phase, "deployed", "other apps are not held up");
});

test("the Go example remote scaler places an app exactly as its rule says", async (t) => {
  if (!hasGo()) {
    t.skip(
      "go is not installed: the Go example is not built (apt-get install golang-go golang-github-nats-io-go-nats-dev)",
    );
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), "nadm-go-scaler-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const binary = join(dir, "first-fit-go");
  execFileSync("go", ["build", "-o", binary, "./examples/remote-scalers/go"], {
    env: { ...process.env, GO111MODULE: "off", GOPATH: "/usr/share/gocode", GOCACHE: join(dir, "cache") },
    stdio: "pipe",
  });
  const scaler = spawnProgram("first-fit-go", binary, [], { NATS_URL: nats.url });
  after(() => scaler.stop());
  await registered("first-fit-go");
  const props = { instances: 4, perHost: 3, requirements: { zone: "a" } };
  await deployAndWait(
    "gopacked",
    appWith("gopacked", { type: "first-fit-go", properties: props }),
    "deployed",
  );
  const want = await expectedFirstFit(props);
  assert.deepEqual([...want.values()], [3, 1], "zone a's two hosts: 3 then 1");
  await placedFor("gopacked", want);
});

function hasGo(): boolean {
  try {
    execFileSync("go", ["version"], { stdio: "pipe" });
    return true;
  } catch {
    return false;
  }
}

test("one catalog object per lattice, still reading registrations live", async () => {
  const remote = new RemoteScalers(scalers, {
    nc,
    inProcess: () => false,
    timeoutMs: 1_000,
    log: silentLogger(),
  });
  await remote.start();
  try {
    const base = builtinTraitCatalog();
    const catalog = remote.catalog("default", base);
    // The manifest schema is cached per catalog object: a new object per request rebuilt it.
    assert.equal(remote.catalog("default", base), catalog);
    assert.notEqual(remote.catalog("other", base), catalog);
    assert.equal(catalog.get("late-type"), undefined);
    const registration = (await scalers.get(keys.scaler("default", "first-fit")))!.json<object>();
    await scalers.put(
      keys.scaler("default", "late-type"),
      JSON.stringify({ ...registration, type: "late-type" }),
    );
    await waitFor(() => catalog.get("late-type"), { what: "the new registration through the same catalog" });
    assert.ok(catalog.types().includes("late-type"));
  } finally {
    remote.stop();
    await scalers.delete(keys.scaler("default", "late-type"));
  }
});
