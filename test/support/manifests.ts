/**
 * Manifests as data for integration tests and benchmarks: one app, one component `web`, one
 * spreadscaler, as JSON text ready for `app put`.
 */
export interface SpreadGroup {
  name: string;
  requirements?: Record<string, string>;
  weight?: number;
}

export function spreadApp(
  name: string,
  opts: {
    instances: number;
    spread?: SpreadGroup[];
    properties?: Record<string, unknown>;
    version?: string;
    /** Properties of a `rollout` trait, when the app has one. */
    rollout?: Record<string, unknown>;
  },
): string {
  return JSON.stringify({
    apiVersion: "nadm.dev/v1",
    kind: "Application",
    metadata: { name, annotations: { version: opts.version ?? "v1" } },
    spec: {
      components: [
        {
          name: "web",
          type: "process",
          properties: opts.properties ?? { command: "sim" },
          traits: [
            {
              type: "spreadscaler",
              properties: opts.spread
                ? { instances: opts.instances, spread: opts.spread }
                : { instances: opts.instances },
            },
            ...(opts.rollout ? [{ type: "rollout", properties: opts.rollout }] : []),
          ],
        },
      ],
    },
  });
}

/** Six instances spread evenly over zones `a` and `b`, with a `rollout` trait: the rollout tests' app. */
export function twoZoneApp(name: string, version: string, rollout: Record<string, unknown>): string {
  const spread = ["a", "b"].map((zone) => ({ name: zone, requirements: { zone }, weight: 1 }));
  return spreadApp(name, {
    instances: 6,
    spread,
    version,
    rollout,
    properties: { command: "sim", args: [version] },
  });
}

/** Instances of `zonedApp(i)`: 1 to 6. */
export function zonedInstances(i: number): number {
  return 1 + (i % 6);
}

/** App `app-{i}`: 1–6 instances spread 2:1 over zones a and b (the HA and chaos runs' app). */
export function zonedApp(i: number): string {
  return spreadApp(`app-${i}`, {
    instances: zonedInstances(i),
    properties: { command: "sim", args: [String(i)] },
    spread: [
      { name: "a", requirements: { zone: "a" }, weight: 2 },
      { name: "b", requirements: { zone: "b" }, weight: 1 },
    ],
  });
}
