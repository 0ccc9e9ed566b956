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
