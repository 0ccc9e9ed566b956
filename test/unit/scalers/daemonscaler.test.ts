import assert from "node:assert/strict";
import { test } from "node:test";
import { daemonScaler, daemonScalerProperties, type HostView } from "../../../src/scalers/index.js";
import { host, input, placed } from "./fixtures.js";

interface Row {
  name: string;
  props: unknown;
  hosts: HostView[];
  want: Record<string, number>;
  phase: "ok" | "waiting" | "failed";
  message: string;
  desired: number;
}

const lattice = [host("e1", "zone=east"), host("e2", "zone=east", 3), host("w1", "zone=west,gpu=true")];

const rows: Row[] = [
  {
    name: "every host, 1 instance by default",
    props: {},
    hosts: lattice,
    want: { e1: 1, e2: 1, w1: 1 },
    phase: "ok",
    message: "1 instance on each of 3 hosts",
    desired: 3,
  },
  {
    name: "instances > 1 on every host",
    props: { instances: 2 },
    hosts: lattice,
    want: { e1: 2, e2: 2, w1: 2 },
    phase: "ok",
    message: "2 instances on each of 3 hosts",
    desired: 6,
  },
  {
    name: "filtered by spread; weights ignored",
    props: { spread: [{ name: "east", requirements: { zone: "east" }, weight: 0 }] },
    hosts: lattice,
    want: { e1: 1, e2: 1 },
    phase: "ok",
    message: "1 instance on each of 2 hosts",
    desired: 2,
  },
  {
    name: "a host matching any group is eligible, once",
    props: {
      spread: [
        { name: "east", requirements: { zone: "east" } },
        { name: "gpu", requirements: { gpu: "true" } },
        { name: "w", requirements: { zone: "west" } },
      ],
    },
    hosts: lattice,
    want: { e1: 1, e2: 1, w1: 1 },
    phase: "ok",
    message: "1 instance on each of 3 hosts",
    desired: 3,
  },
  {
    name: "none eligible: waiting, not failed",
    props: {
      spread: [
        { name: "n", requirements: { zone: "north" } },
        { name: "s", requirements: { zone: "south", arch: "arm64" } },
      ],
    },
    hosts: lattice,
    want: {},
    phase: "waiting",
    message: "no host matches zone=north or zone=south,arch=arm64",
    desired: 0,
  },
  {
    name: "no hosts",
    props: { instances: 2 },
    hosts: [],
    want: {},
    phase: "waiting",
    message: "no hosts in lattice",
    desired: 0,
  },
];

for (const row of rows) {
  test(row.name, () => {
    const props = daemonScalerProperties.parse(row.props);
    const result = daemonScaler.reconcile(input(props, row.hosts));
    assert.deepEqual(placed(result), row.want);
    assert.deepEqual(result.status, { phase: row.phase, message: row.message });
    assert.equal(daemonScaler.desiredTotal?.(props, row.hosts), row.desired);
  });
}
