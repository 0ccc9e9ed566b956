/**
 * `nadm/testing`: what a custom scaler's author needs in their own tests — fixtures and the one
 * function that checks the properties every scaler must have (docs/custom-scalers.md).
 */
export { type CheckOptions, checkScaler, ScalerCheckError } from "./check.js";
export { component, generatedFleets, host, sampleHosts, scalerInput } from "./fixtures.js";
