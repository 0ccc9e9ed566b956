/**
 * A replica's API stops within its grace even when a request in flight never ends (a NATS call
 * that hangs): shutdown is never held by a client's request.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { jetstream } from "@nats-io/jetstream";
import { ApiResponder } from "../../../src/api/responder.js";
import { resolve, resourcesSchema } from "../../../src/config.js";
import { silentLogger } from "../../../src/log.js";
import { ManifestStore } from "../../../src/manifests/store.js";
import { provision } from "../../../src/streams/provision.js";
import { subjects } from "../../../src/streams/subjects.js";
import { testNats } from "../../support/nats.js";
import { waitFor } from "../../support/wait.js";
import { catalog } from "./helpers.js";

const nats = await testNats();
const nc = await nats.connect();

test("stop answers within its grace while a request hangs", async () => {
  const buckets = await provision(nc, { resources: resolve(resourcesSchema, {}) });
  const store = new ManifestStore(buckets.manifests);
  let asked = false;
  store.list = () => {
    asked = true;
    return new Promise(() => undefined); // never settles
  };
  const responder = new ApiResponder(nc, {
    store,
    statusKv: buckets.status,
    js: jetstream(nc),
    catalog,
    hostReports: () => [],
    log: silentLogger(),
    now: () => new Date(),
  });
  responder.start();
  void nc.request(subjects.api("default", "list"), "", { timeout: 5_000 }).catch(() => undefined);
  await waitFor(() => asked || undefined, { timeoutMs: 5_000, what: "the list request in flight" });
  const started = Date.now();
  await responder.stop(300);
  const took = Date.now() - started;
  assert.ok(took >= 250 && took < 3_000, `stopped after ${took} ms`);
});
