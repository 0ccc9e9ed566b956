/**
 * Properties of a `type: process` component, validated once at the control boundary; a
 * problem is reported with its path inside the command (`workload.spec.readiness.type`).
 */
import { z } from "zod";
import { UnsupportedWorkloadError, type WorkloadRef } from "./types.js";

export const processPropertiesSchema = z
  .object({
    command: z.string().min(1),
    args: z.array(z.string()).default([]),
    env: z.record(z.string(), z.string()).default({}),
    cwd: z.string().min(1).optional(),
    /** `auto`: a free port per instance, passed as `PORT`; a number: `PORT` set to it. */
    port: z.union([z.literal("auto"), z.number().int().min(1).max(65_535)]).optional(),
    readiness: z
      .object({
        /** `alive`: ready once up for minReadySeconds; `tcp`: once `PORT` accepts connections. */
        type: z.enum(["alive", "tcp"]).default("alive"),
        minReadySeconds: z.number().min(0).max(86_400).default(0),
      })
      .prefault({}),
  })
  .refine((p) => p.readiness.type !== "tcp" || p.port !== undefined, {
    path: ["readiness", "type"],
    message: 'tcp readiness needs "port" ("auto" or a number)',
  });
export type ProcessProperties = z.output<typeof processPropertiesSchema>;

export function parseProcessProperties(workload: WorkloadRef): ProcessProperties {
  if (workload.type !== "process") {
    throw new UnsupportedWorkloadError(
      "workload.type",
      `unsupported workload type ${JSON.stringify(workload.type)} (this host runs: process)`,
    );
  }
  const parsed = processPropertiesSchema.safeParse(workload.spec);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = ["workload", "spec", ...(issue?.path ?? [])].join(".");
    throw new UnsupportedWorkloadError(path, issue?.message ?? "invalid");
  }
  return parsed.data;
}

/** The environment of one instance: inherited, then the spec's, then nadm's own facts. */
export function instanceEnv(
  base: NodeJS.ProcessEnv,
  props: ProcessProperties,
  ids: { app: string; component: string; index: number; hostId: string; workloadKey: string },
  port: number | undefined,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...base,
    ...props.env,
    NADM_APP: ids.app,
    NADM_COMPONENT: ids.component,
    NADM_INSTANCE: String(ids.index),
    NADM_HOST_ID: ids.hostId,
    NADM_WORKLOAD: ids.workloadKey,
  };
  if (port !== undefined) env.PORT = String(port);
  return env;
}
