/**
 * Deep-freezes a scaler's input so a scaler that writes to it throws (its component is marked
 * failed) instead of corrupting what the planner shares between calls: host views and labels
 * come from the host cache, component properties from the stored manifest. Objects frozen once
 * stay frozen, so the shared parts cost one check per call after the first.
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== "object" || value === null || Object.isFrozen(value)) return value;
  for (const key of Reflect.ownKeys(value)) deepFreeze((value as Record<PropertyKey, unknown>)[key]);
  return Object.freeze(value);
}
