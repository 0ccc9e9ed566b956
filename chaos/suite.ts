/**
 * The chaos scenarios as node:test tests, at the sizes given: `chaos/full.chaos.ts` (`npm run
 * chaos`) and `test/chaos/chaos.test.ts` (a short variant in `npm test`) both call this. Each
 * test gets its own nats-server (or cluster), stopped when it ends; the report is printed
 * whether the invariants hold or not.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { testCluster } from "../test/support/cluster.js";
import { testNats } from "../test/support/nats.js";
import { type ChaosReport, formatReport } from "./lib/report.js";
import {
  clusterChaos,
  type HostChaosSizes,
  hostChaos,
  natsRestartChaos,
  replicaChaos,
  type Sizes,
} from "./scenarios.js";

export interface SuiteSizes {
  replicas: Sizes;
  natsRestart: Sizes;
  cluster: Sizes;
  hosts: HostChaosSizes;
}

function check(r: ChaosReport): void {
  console.log(formatReport(r));
  assert.deepEqual(
    r.invariants.filter((i) => !i.ok).map((i) => `${i.name}: ${i.detail}`),
    [],
    `${r.scenario}: invariants`,
  );
}

export function chaosSuite(sizes: SuiteSizes): void {
  test("replica chaos: a random controller SIGKILLed and restarted every second", async () => {
    check(await replicaChaos(await testNats(), sizes.replicas));
  });
  test("NATS restart mid-burst: nats-server SIGKILLed, back 2 s later on its store", async () => {
    check(await natsRestartChaos(await testNats(), sizes.natsRestart));
  });
  test("NATS cluster: the stream leader of 3 R3 nodes killed mid-burst and restarted", async () => {
    const cluster = await testCluster(3);
    check(
      await clusterChaos(
        { ...cluster, url: cluster.urls(), connect: () => cluster.connect() },
        sizes.cluster,
      ),
    );
  });
  test("host chaos: sim-host processes SIGKILLed and restarted with the same ids", async () => {
    check(await hostChaos(await testNats(), sizes.hosts));
  });
}
