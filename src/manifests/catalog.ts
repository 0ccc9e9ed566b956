/**
 * The trait types a manifest may use. They are not hard-coded in the manifest schema because
 * custom scalers are loaded at runtime (`--scaler PATH`, ARCHITECTURE §6): the scaler registry
 * builds a catalog from the scalers it loaded plus the built-in policies, and validation asks it.
 */
import type { z } from "zod";

export const TraitKind = {
  /** Decides where a component's instances run; at most one per component. */
  Scaler: "scaler",
  /** Tunes how the core acts (e.g. `rollout`); at most one of each type per component. */
  Policy: "policy",
} as const;
export type TraitKind = (typeof TraitKind)[keyof typeof TraitKind];

export interface TraitDefinition {
  kind: TraitKind;
  /** Validates (and fills defaults of) the trait's `properties`; errors point at the field. */
  properties: z.ZodType;
}

/** Read-only view of the known trait types. A catalog does not change once built. */
export interface TraitCatalog {
  get(type: string): TraitDefinition | undefined;
  /** Known trait types, sorted, for error messages and the JSON Schema. */
  types(): string[];
}

/** A catalog backed by a `ReadonlyMap`; a type listed twice is a programming error. */
export function traitCatalog(entries: Iterable<readonly [string, TraitDefinition]>): TraitCatalog {
  const map = new Map<string, TraitDefinition>();
  for (const [type, definition] of entries) {
    if (map.has(type)) throw new Error(`trait type "${type}" is defined twice`);
    map.set(type, definition);
  }
  const byType: ReadonlyMap<string, TraitDefinition> = map;
  const sorted = [...byType.keys()].sort();
  return {
    get: (type) => byType.get(type),
    types: () => [...sorted],
  };
}
