/** The scalers room: the pure placement functions and the registry the reconciler looks them up in. */
export {
  type DaemonScalerProperties,
  daemonHosts,
  daemonScaler,
  daemonScalerProperties,
} from "./daemonscaler.js";
export { ScalerError } from "./errors.js";
export { deepFreeze } from "./freeze.js";
export {
  assertScaler,
  builtinScalers,
  normalizePlacements,
  normalizeResult,
  normalizeStatus,
  type ScalerLookup,
  ScalerRegistry,
  type ScalerTraitEntry,
  traitCatalogEntries,
} from "./registry.js";
export { type SpreadGroup, spreadSchema } from "./spread.js";
export { type SpreadScalerProperties, spreadScaler, spreadScalerProperties } from "./spreadscaler.js";
export * from "./types.js";
