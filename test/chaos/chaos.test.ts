/**
 * The chaos scenarios of `npm run chaos` (chaos/), small: seconds each, so they run in every
 * `npm test`. Same faults, same invariants.
 */
import { chaosSuite } from "../../chaos/suite.js";

const converge = 60_000;
chaosSuite({
  replicas: { hosts: 12, apps: 12, undeploy: 2, chaosMs: 4_000, convergeTimeoutMs: converge },
  natsRestart: { hosts: 10, apps: 10, undeploy: 2, chaosMs: 0, convergeTimeoutMs: converge },
  // Not smaller: one command repeated by a replica whose in-flight view lagged through the
  // leader election is within 1.05 × the minimum only from ~20 commands up.
  cluster: { hosts: 12, apps: 14, undeploy: 2, chaosMs: 0, convergeTimeoutMs: converge },
  hosts: {
    hosts: 12,
    groups: 3,
    apps: 10,
    undeploy: 2,
    chaosMs: 8_000,
    convergeTimeoutMs: converge,
    heartbeat: "2s",
  },
});
