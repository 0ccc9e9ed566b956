/**
 * The host room's public surface, used by the CLI (`nadm host`, `nadm hosts list`, `nadm up`).
 */
export { HostAgent } from "./agent.js";
export { ProcessDriver, type ProcessDriverOptions } from "./drivers/process.js";
export { SimDriver, type SimDriverOptions } from "./drivers/sim.js";
export type {
  Driver,
  InstanceEvents,
  InstanceExit,
  InstanceHandle,
  InstanceSpec,
  WorkloadRef,
} from "./drivers/types.js";
export {
  AgentLifecycleError,
  HostRecordConflictError,
  InvalidHostIdError,
  InvalidHostOptionsError,
} from "./errors.js";
export { generateHostId, resolveHostId } from "./identity.js";
export { formatHostsTable, type ListedHost, listHosts } from "./list.js";
export type { HostAgentOptions, ResolvedHostAgentOptions } from "./options.js";
export { runSimFleet, type SimFleet, type SimFleetOptions } from "./sim-fleet.js";
export { type BackoffPolicy, DEFAULT_BACKOFF } from "./supervisor.js";
