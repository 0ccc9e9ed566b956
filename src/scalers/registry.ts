/**
 * The set of scalers a replica knows, by trait type, plus the checks the core applies to
 * anything a scaler hands back (custom scalers are untrusted code).
 *
 * Loading custom scalers (`nadm controller --scaler PATH`) is not here: it needs `import()`,
 * which is I/O and is banned in this folder. The loader belongs with the controller wiring; it
 * should pass each module's default export through {@link assertScaler} and then
 * {@link ScalerRegistry.register}, so a bad module fails at start with its path in the message.
 */
import type { z } from "zod";
import { daemonScaler } from "./daemonscaler.js";
import { ScalerError } from "./errors.js";
import { spreadScaler } from "./spreadscaler.js";
import type { ExternalScaler, Scaler, ScalerPhase, ScalerResult, ScalerStatus } from "./types.js";

export const builtinScalers: readonly Scaler[] = Object.freeze([spreadScaler, daemonScaler]);

export class ScalerRegistry {
  readonly #byType = new Map<string, Scaler>();
  readonly #external = new Map<string, ExternalScaler>();

  constructor(scalers: Iterable<Scaler> = builtinScalers) {
    for (const scaler of scalers) this.register(scaler);
  }

  /** `undefined` for an unknown type: a replica may lack a custom scaler another replica has. */
  get(type: string): Scaler | undefined {
    return this.#byType.get(type);
  }

  /** A scaler the planner may not call itself: its results come in `Plan` input (`external`). */
  getExternal(type: string): ExternalScaler | undefined {
    return this.#external.get(type);
  }

  has(type: string): boolean {
    return this.#byType.has(type) || this.#external.has(type);
  }

  /** Sorted, so "unknown trait type" messages list the known types in a stable order. */
  types(): string[] {
    return [...this.#byType.keys(), ...this.#external.keys()].sort();
  }

  /** Throws on a duplicate type: two scalers for one trait would make placements ambiguous. */
  register(scaler: Scaler): void {
    this.#unique(scaler.type);
    this.#byType.set(scaler.type, scaler);
  }

  registerExternal(scaler: ExternalScaler): void {
    this.#unique(scaler.type);
    this.#external.set(scaler.type, scaler);
  }

  /** The custom scalers and their versions (built-ins are versioned with nadm itself). */
  externalVersions(): Record<string, string> {
    return Object.fromEntries([...this.#external.values()].map((s) => [s.type, s.version]).sort());
  }

  /** Closes every external scaler (worker threads): for whoever created the registry, at shutdown. */
  async close(): Promise<void> {
    await Promise.all([...this.#external.values()].map((s) => s.close?.()));
  }

  #unique(type: string): void {
    if (this.has(type)) throw new ScalerError(type, "a scaler with this type is already registered");
  }
}

/**
 * What the planner asks of the scalers it may use: a registry, or a registry plus the remote
 * scalers registered in one lattice (remote-scalers/registrations.ts).
 */
export type ScalerLookup = Pick<ScalerRegistry, "get" | "getExternal" | "has" | "types">;

export interface ScalerTraitEntry {
  kind: "scaler";
  properties: z.ZodType;
}

/** What the manifest validator needs to check a trait of each scaler type, sorted by type. */
export function traitCatalogEntries(registry: ScalerRegistry): Array<[string, ScalerTraitEntry]> {
  return registry.types().map((type) => {
    const scaler = registry.get(type) ?? registry.getExternal(type)!;
    return [type, { kind: "scaler", properties: scaler.properties }];
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

/** Checks a loaded module's default export looks like a {@link Scaler}; `source` names it in errors. */
export function assertScaler(value: unknown, source: string): Scaler {
  if (!isObject(value)) throw new ScalerError(source, "the module's default export is not an object");
  const type = value.type;
  if (typeof type !== "string" || type.length === 0) {
    throw new ScalerError(source, "`type` must be a non-empty string");
  }
  const properties = value.properties;
  if (!isObject(properties) || typeof properties.safeParse !== "function") {
    throw new ScalerError(type, "`properties` must be a zod schema");
  }
  if (typeof value.reconcile !== "function") throw new ScalerError(type, "`reconcile` must be a function");
  if (typeof value.version !== "string" || value.version.length === 0) {
    throw new ScalerError(type, '`version` must be a non-empty string (e.g. "1.0.0")');
  }
  if (value.desiredTotal !== undefined && typeof value.desiredTotal !== "function") {
    throw new ScalerError(type, "`desiredTotal` must be a function when given");
  }
  return value as unknown as Scaler;
}

function placementEntries(placements: unknown, scalerType: string): Iterable<[unknown, unknown]> {
  if (placements instanceof Map) return placements;
  if (!Array.isArray(placements)) {
    throw new ScalerError(scalerType, "placements must be an array of {hostId, count} or a Map");
  }
  return placements.map((p): [unknown, unknown] =>
    isObject(p) ? [p.hostId, p.count] : [undefined, undefined],
  );
}

/**
 * The one form the reconciler works with: hostId → count, sorted by hostId, zero counts dropped.
 * Rejects what would make the diff meaningless: a missing hostId, a negative, fractional or
 * non-finite count, or one host listed twice (which of the two counts would be meant?).
 */
export function normalizePlacements(
  placements: ScalerResult["placements"],
  scalerType: string,
): Map<string, number> {
  const seen = new Map<string, number>();
  for (const [hostId, count] of placementEntries(placements, scalerType)) {
    if (typeof hostId !== "string" || hostId.length === 0) {
      throw new ScalerError(scalerType, `placement has no hostId: ${JSON.stringify(hostId) ?? "undefined"}`);
    }
    if (typeof count !== "number" || !Number.isSafeInteger(count) || count < 0) {
      throw new ScalerError(scalerType, `placement on host "${hostId}" has invalid count ${String(count)}`);
    }
    if (seen.has(hostId)) throw new ScalerError(scalerType, `host "${hostId}" is placed more than once`);
    seen.set(hostId, count);
  }
  const sorted = [...seen].filter(([, count]) => count > 0).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return new Map(sorted);
}

const PHASES: ReadonlySet<ScalerPhase> = new Set<ScalerPhase>(["ok", "waiting", "failed"]);

/** Checks an untrusted status so the status writer never stores an unknown phase. */
export function normalizeStatus(status: unknown, scalerType: string): ScalerStatus {
  if (!isObject(status) || !PHASES.has(status.phase as ScalerPhase) || typeof status.message !== "string") {
    throw new ScalerError(scalerType, "status must be {phase: ok|waiting|failed, message: string}");
  }
  return { phase: status.phase as ScalerPhase, message: status.message };
}

/** Both checks at once, for the reconciler to call on every `reconcile()` return value. */
export function normalizeResult(
  result: unknown,
  scalerType: string,
): { placements: Map<string, number>; status: ScalerStatus } {
  if (!isObject(result)) throw new ScalerError(scalerType, "reconcile() must return {placements, status}");
  return {
    placements: normalizePlacements(result.placements as ScalerResult["placements"], scalerType),
    status: normalizeStatus(result.status, scalerType),
  };
}
