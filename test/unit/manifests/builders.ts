/**
 * Manifests as data for the tests: one valid app, and edits that break it at one path.
 */

/** A valid two-component app; every call returns a fresh copy. */
export function validApp(): Record<string, unknown> {
  return {
    apiVersion: "nadm.dev/v1",
    kind: "Application",
    metadata: { name: "shop", annotations: { version: "v1", description: "a shop" } },
    spec: {
      components: [
        {
          name: "web",
          type: "process",
          properties: { command: "node", args: ["server.js"], port: "auto" },
          traits: [{ type: "spreadscaler", properties: { instances: 2 } }],
        },
        {
          name: "worker",
          type: "process",
          properties: { command: "node", args: ["worker.js"], env: { LOG_LEVEL: "debug" } },
          traits: [
            {
              type: "spreadscaler",
              properties: {
                instances: 1,
                spread: [{ name: "east", requirements: { zone: "east" }, weight: 1 }],
              },
            },
          ],
        },
      ],
    },
  };
}

/** Marks a key to delete in an `Edit`. */
export const DELETE = Symbol("delete");

/** Sets (or deletes) the value at `path`, e.g. `["spec", "components", 0, "name"]`. */
export type Edit = readonly [path: readonly (string | number)[], value: unknown];

export function edited(doc: Record<string, unknown>, edits: readonly Edit[]): Record<string, unknown> {
  for (const [path, value] of edits) {
    let parent = doc as Record<string | number, unknown>;
    for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
    const last = path.at(-1)!;
    if (value === DELETE) delete parent[last];
    else parent[last] = value;
  }
  return doc;
}

/** Shorthand for the path of component `i`. */
export function component(i: number, ...rest: (string | number)[]): (string | number)[] {
  return ["spec", "components", i, ...rest];
}

/** Shorthand for the path of trait `j` of component `i`. */
export function trait(i: number, j: number, ...rest: (string | number)[]): (string | number)[] {
  return component(i, "traits", j, ...rest);
}
