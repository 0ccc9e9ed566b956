/**
 * nadm's public API: what users need to write a custom scaler or talk to the API from code.
 * Everything else is internal.
 */

/**
 * The zod nadm validates trait properties with (v4): a custom scaler declares its properties
 * with this `z`, so its schema always matches the controller's zod major (the JSON Schema of
 * `nadm schema --scaler` is generated from it).
 */
export { z } from "zod";
export { ApiClient } from "./api/client.js";
export type * from "./api/protocol.js";
export { ErrorCode, NadmError } from "./errors.js";
export type {
  AppRef,
  ComponentRef,
  HostView,
  Placement,
  Scaler,
  ScalerInput,
  ScalerPhase,
  ScalerResult,
  ScalerStatus,
} from "./scalers/types.js";
export { defineScaler } from "./scalers/types.js";
export type { AppStatus, ComponentStatus, Phase } from "./streams/app-status.js";
export type { Command } from "./streams/commands.js";
export type { HostRecord, WorkloadInventory } from "./streams/host-record.js";
