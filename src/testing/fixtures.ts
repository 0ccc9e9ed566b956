/**
 * Fixtures for scaler authors' tests (`import { … } from "nadm/testing"`): hosts, components and
 * inputs as plain data, plus fleets generated from a seed so property checks are repeatable.
 */
import { seededRandom } from "../random.js";
import type { HostView, ScalerInput } from "../scalers/types.js";

/** `host("a", "zone=east,arch=arm64", 2)`: labels as a selector string, current instances last. */
export function host(hostId: string, labels = "", instances = 0): HostView {
  const entries = labels === "" ? [] : labels.split(",").map((pair) => pair.split("=") as [string, string]);
  return { hostId, labels: Object.fromEntries(entries), instances };
}

/** A small mixed fleet: two zones, two architectures, one canary-tracked host, nothing running. */
export const sampleHosts: readonly HostView[] = Object.freeze([
  host("east-1", "zone=east,arch=amd64"),
  host("east-2", "zone=east,arch=arm64"),
  host("east-3", "zone=east,arch=amd64,track=canary"),
  host("west-1", "zone=west,arch=amd64"),
  host("west-2", "zone=west,arch=arm64"),
]);

/** The component a scaler is asked to place, as the reconciler describes it. */
export function component(
  name = "web",
  properties: Record<string, unknown> = {},
): ScalerInput<unknown>["component"] {
  return { name, type: "process", rev: "r1", properties };
}

/** A full scaler input with defaults: app `shop` v1 in lattice `default`, component `web`, now 0. */
export function scalerInput<P>(
  properties: P,
  hosts: readonly HostView[] = sampleHosts,
  over: Partial<Omit<ScalerInput<P>, "properties" | "hosts">> = {},
): ScalerInput<P> {
  return {
    app: { lattice: "default", name: "shop", version: "v1" },
    component: component(),
    now: 0,
    ...over,
    properties,
    hosts,
  };
}

const LABEL_VALUES: Record<string, readonly string[]> = {
  zone: ["east", "west", "north"],
  arch: ["amd64", "arm64"],
  track: ["stable", "canary"],
};

/** `count` fleets of 0–8 hosts with labels from a small pool (so groups overlap) and 0–4 instances each. */
export function generatedFleets(count: number, seed = 1): HostView[][] {
  const next = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  const fleets: HostView[][] = [];
  for (let f = 0; f < count; f++) {
    const size = Math.floor(next() * 9);
    const fleet: HostView[] = [];
    for (let i = 0; i < size; i++) {
      const labels: Record<string, string> = {};
      for (const [key, values] of Object.entries(LABEL_VALUES)) if (next() < 0.8) labels[key] = pick(values);
      fleet.push({ hostId: `h${f}-${i}`, labels, instances: next() < 0.5 ? 0 : Math.floor(next() * 5) });
    }
    fleets.push(fleet);
  }
  return fleets;
}
