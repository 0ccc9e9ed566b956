/**
 * The dashboard's routes on a real controller (in-process, real nats-server), without a browser:
 * cache headers of the page and its files, the live stream's first events, and every write route
 * answering 403 while actions are off (and changing nothing).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { request } from "node:http";
import { test } from "node:test";
import { ApiClient } from "../../../src/api/client.js";
import { startController } from "../../support/controller.js";
import { spreadApp } from "../../support/manifests.js";
import { testNats } from "../../support/nats.js";
import { ROOT } from "../../support/processes.js";

execFileSync("npm", ["run", "build:ui"], { cwd: ROOT, stdio: "ignore" });
const nats = await testNats();
const nc = await nats.connect();
const controller = await startController(nc, { httpPort: 0 });
const base = `http://127.0.0.1:${controller.httpPort}`;
const api = new ApiClient(nc, "default");

test("the page is no-cache with an ETag (304 when unchanged); its files are immutable under a build prefix", async () => {
  const page = await fetch(`${base}/`);
  assert.equal(page.status, 200);
  assert.equal(page.headers.get("cache-control"), "no-cache");
  const etag = page.headers.get("etag");
  assert.ok(etag);
  assert.match(page.headers.get("content-security-policy") ?? "", /default-src 'self'/);
  const html = await page.text();
  const main = /src="(\/assets\/[0-9a-f]{16}\/main\.js)"/.exec(html)?.[1];
  assert.ok(main, "the page loads main.js from a build prefix");
  assert.equal((await fetch(`${base}/`, { headers: { "if-none-match": etag } })).status, 304);
  const js = await fetch(`${base}${main}`);
  assert.equal(js.status, 200);
  assert.equal(js.headers.get("cache-control"), "public, max-age=31536000, immutable");
  assert.match(js.headers.get("content-type") ?? "", /javascript/);
  const vendor = main.replace("main.js", "vendor/preact.module.js");
  assert.equal(
    (await fetch(`${base}${vendor}`)).status,
    200,
    "the view library is served from here, not a CDN",
  );
  assert.equal((await fetch(`${base}/assets/0000000000000000/main.js`)).status, 404);
  assert.equal((await fetch(`${base}/metrics`)).status, 200, "metrics still served beside it");
});

test("read-only: every write route answers 403 and nothing changes", async () => {
  await api.put(spreadApp("ro", { instances: 1 }));
  for (const action of ["deploy", "undeploy", "pause", "resume", "rollback"]) {
    const r = await fetch(`${base}/api/apps/default/ro/${action}`, { method: "POST", body: "{}" });
    assert.equal(r.status, 403, action);
    const body = (await r.json()) as { ok: boolean; error: { code: string; message: string } };
    assert.equal(body.error.code, "forbidden");
    assert.match(body.error.message, /--dashboard-actions/);
  }
  assert.equal((await api.versions("ro")).deployedVersion, null);
  const bad = await fetch(`${base}/api/apps/default/no.such/history`);
  assert.equal(bad.status, 400);
  assert.deepEqual(((await bad.json()) as { error: { details: unknown } }).error.details, [
    { path: "name", message: "must be an app name" },
  ]);
});

test("the live stream starts with a snapshot of this replica's caches", async () => {
  const first = await new Promise<string>((resolve, reject) => {
    const req = request(`${base}/api/live`, (res) => {
      assert.equal(res.headers["content-type"], "text/event-stream; charset=utf-8");
      let text = "";
      res.on("data", (d: Buffer) => {
        text += d.toString("utf8");
        const m = /event: snapshot\ndata: (.*)\n\n/.exec(text);
        if (m) {
          req.destroy();
          resolve(m[1]!);
        }
      });
    });
    req.on("error", reject);
    req.end();
  });
  const snapshot = JSON.parse(first) as { actions: boolean; apps: Array<{ name: string; phase: string }> };
  assert.equal(snapshot.actions, false);
  assert.ok(snapshot.apps.some((a) => a.name === "ro" && a.phase === "undeployed"));
});
