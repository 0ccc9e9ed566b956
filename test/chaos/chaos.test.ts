/**
 * The chaos scenarios of `npm run chaos` (chaos/), small: seconds each, so they run in every
 * `npm test`. Same faults, same invariants.
 */
import { chaosSuite } from "../../chaos/suite.js";

const converge = 60_000;
chaosSuite({
  replicas: { hosts: 12, apps: 12, undeploy: 2, chaosMs: 4_000, convergeTimeoutMs: converge },
  natsRestart: { hosts: 10, apps: 10, undeploy: 2, chaosMs: 0, convergeTimeoutMs: converge },
  cluster: { hosts: 6, apps: 6, undeploy: 1, chaosMs: 0, convergeTimeoutMs: converge },
  hosts: { hosts: 12, groups: 3, apps: 10, undeploy: 2, chaosMs: 5_000, convergeTimeoutMs: converge },
});
