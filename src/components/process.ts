/**
 * The `process` workload type: each instance is an OS process a host runs, supervised (restarts
 * with backoff, probes, logs); the `sim` driver simulates it. Properties: ./process-properties.ts.
 */
import { processPropertiesSchema } from "./process-properties.js";
import { defineComponentType } from "./types.js";

export type { ProcessProperties } from "./process-properties.js";

export const processComponent = defineComponentType({
  type: "process",
  description: "an OS process per instance, supervised by the host (command, args, env, port, probes)",
  properties: processPropertiesSchema,
  // Lazy: the manifest validator imports this module and must not load child_process & co.
  driver: async (ctx) => {
    const { ProcessDriver } = await import("../host/drivers/process.js");
    return new ProcessDriver(ctx);
  },
});
