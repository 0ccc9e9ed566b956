/**
 * `npm run chaos`: every scenario at the size issue 8 asks for (100 hosts, 100 apps; replica
 * chaos for 30 s). Prints a report per scenario; fails when an invariant does not hold.
 */
import { chaosSuite } from "./suite.js";

const converge = 180_000;
chaosSuite({
  replicas: { hosts: 100, apps: 100, undeploy: 10, chaosMs: 30_000, convergeTimeoutMs: converge },
  natsRestart: { hosts: 100, apps: 100, undeploy: 10, chaosMs: 0, convergeTimeoutMs: converge },
  cluster: { hosts: 100, apps: 100, undeploy: 10, chaosMs: 0, convergeTimeoutMs: converge },
  hosts: { hosts: 100, groups: 5, apps: 100, undeploy: 10, chaosMs: 20_000, convergeTimeoutMs: converge },
});
