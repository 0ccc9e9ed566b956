/**
 * The properties every scaler must have, checked in one call from an author's own test:
 * deterministic (the same input, hosts in any order, gives the same placement: replicas compute
 * placements independently and must agree), a fixed point (once hosts run what it asked for, it
 * asks for the same again: otherwise placements flap), and counts respected (valid counts on
 * hosts it was given; with `desiredTotal`, an `ok` status places exactly that many).
 */
import { normalizeResult } from "../scalers/registry.js";
import type { HostView, Scaler, ScalerInput } from "../scalers/types.js";
import { generatedFleets, sampleHosts, scalerInput } from "./fixtures.js";

export interface CheckOptions<P> {
  /** Trait properties to check, as written in a manifest (they are parsed with the scaler's schema). */
  properties: readonly unknown[];
  /** Fleets to check each properties object on (default: the sample fleet plus 50 seeded ones). */
  fleets?: readonly (readonly HostView[])[];
  /** Extra input fields (app, component, now). */
  input?: Partial<Omit<ScalerInput<P>, "properties" | "hosts">>;
}

export class ScalerCheckError extends Error {
  override name = "ScalerCheckError";
}

/** Runs every check on every (properties, fleet) pair; throws a ScalerCheckError naming the first failure. */
export function checkScaler<P>(scaler: Scaler<P>, options: CheckOptions<P>): void {
  const fleets = options.fleets ?? [sampleHosts, ...generatedFleets(50)];
  for (const raw of options.properties) {
    const parsed = scaler.properties.safeParse(raw);
    if (!parsed.success) {
      throw new ScalerCheckError(
        `${scaler.type}: properties ${JSON.stringify(raw)} do not parse: ${parsed.error.message}`,
      );
    }
    const properties = parsed.data;
    for (const hosts of fleets) {
      const input = scalerInput(properties, hosts, options.input);
      const where = `properties ${JSON.stringify(raw)}, hosts ${JSON.stringify(hosts)}`;
      try {
        checkOne(scaler, input);
      } catch (err) {
        throw new ScalerCheckError(`${scaler.type}: ${(err as Error).message} (${where})`, { cause: err });
      }
    }
  }
}

function place<P>(scaler: Scaler<P>, input: ScalerInput<P>) {
  return normalizeResult(scaler.reconcile(input), scaler.type);
}

function same(a: Map<string, number>, b: Map<string, number>): boolean {
  return JSON.stringify([...a]) === JSON.stringify([...b]);
}

const show = (m: Map<string, number>) => JSON.stringify(Object.fromEntries(m));

function checkOne<P>(scaler: Scaler<P>, input: ScalerInput<P>): void {
  const first = place(scaler, input);
  const again = place(scaler, { ...input, hosts: [...input.hosts].reverse() });
  if (!same(first.placements, again.placements)) {
    throw new Error(
      `not deterministic: ${show(first.placements)}, then ${show(again.placements)} with hosts reversed`,
    );
  }
  const known = new Set(input.hosts.map((h) => h.hostId));
  for (const hostId of first.placements.keys()) {
    if (!known.has(hostId)) throw new Error(`placed on "${hostId}", which is not among its hosts`);
  }
  const total = scaler.desiredTotal?.(input.properties, input.hosts);
  const placed = [...first.placements.values()].reduce((a, b) => a + b, 0);
  if (first.status.phase === "ok" && total !== undefined && placed !== total) {
    throw new Error(`status ok but placed ${placed} of desiredTotal ${total}`);
  }
  const converged = input.hosts.map((h) => ({ ...h, instances: first.placements.get(h.hostId) ?? 0 }));
  const next = place(scaler, { ...input, hosts: converged });
  if (!same(first.placements, next.placements)) {
    throw new Error(
      `not a fixed point: ${show(first.placements)}, then ${show(next.placements)} once hosts ran it`,
    );
  }
}
