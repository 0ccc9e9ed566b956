/**
 * Properties of a `type: process` component: the ONE definition, used by the manifest schema
 * (validated at `app put`, errors by path) and by hosts (validated again at the control
 * boundary, a problem reported with its path inside the command: `workload.spec.readiness.type`).
 * A manifest accepted at `put` is therefore accepted by every host that runs it.
 *
 * Output shape is part of the contract: the component revision is a hash of it, so a field
 * added here has no default (an existing manifest put again must hash the same).
 */
import { z } from "zod";
import { UnsupportedWorkloadError, type WorkloadRef } from "./types.js";

/** Environment variable names; `NADM_*` belong to the host, which sets them for every instance. */
export const envKeySchema = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, {
    error: "must be an environment variable name ([A-Za-z_][A-Za-z0-9_]*)",
  })
  .refine((key) => !key.startsWith("NADM_"), { error: "NADM_* variables are reserved: the host sets them" });

const portNumberSchema = z.int().min(1).max(65535);
const portSchema = z.union([z.literal("auto"), portNumberSchema], {
  error: 'must be "auto" or an integer port 1..65535',
});

const readinessSchema = z
  .strictObject({
    /** `alive`: ready once started; `tcp`: ready once the instance accepts connections on its port. */
    type: z.enum(["alive", "tcp"]).default("alive"),
    minReadySeconds: z.number().min(0).max(86_400).default(0),
  })
  .default({ type: "alive", minReadySeconds: 0 });

export const processPropertiesSchema = z
  .strictObject({
    command: z.string().min(1),
    args: z.array(z.string()).optional(),
    env: z.record(envKeySchema, z.string()).optional(),
    cwd: z.string().min(1).optional(),
    /** `auto`: the host picks a free port and passes it as `PORT`; a number: `PORT` set to it. */
    port: portSchema.optional(),
    readiness: readinessSchema,
  })
  .superRefine(
    (props, ctx) => {
      if (props.readiness?.type === "tcp" && props.port === undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["readiness", "type"],
          message: "tcp readiness requires a port",
        });
      }
    },
    // Runs even when other properties are wrong, so that every problem is reported at once.
    { when: (payload) => isRecord(payload.value) },
  );
export type ProcessProperties = z.output<typeof processPropertiesSchema>;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

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

/** The environment of one instance: inherited, then the spec's, then the host's extras, then nadm's own facts. */
export function instanceEnv(
  base: NodeJS.ProcessEnv,
  props: ProcessProperties,
  ids: { app: string; component: string; index: number; hostId: string; workloadKey: string },
  port: number | undefined,
  extra: Readonly<Record<string, string>> = {},
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...base,
    ...props.env,
    ...extra,
    NADM_APP: ids.app,
    NADM_COMPONENT: ids.component,
    NADM_INSTANCE: String(ids.index),
    NADM_HOST_ID: ids.hostId,
    NADM_WORKLOAD: ids.workloadKey,
  };
  if (port !== undefined) env.PORT = String(port);
  return env;
}
