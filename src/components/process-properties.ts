/**
 * Properties of the `process` workload type (`./process.ts`), apart from it so that the process
 * driver can import them without an import cycle. The ONE definition: validated at `app put` (errors by
 * path) and again by every host at the control boundary (`workload.spec.readiness.type`), so a
 * manifest accepted at `put` is accepted by every host that runs it.
 *
 * Output shape is part of the contract: the component revision is a hash of it, so a field
 * added here has no default (an existing manifest put again must hash the same).
 */
import { z } from "zod";
import { artifactRefSchema } from "../artifacts/ref.js";
import { nameSchema } from "../manifests/names.js";

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

/** Defaults of the HTTP probe timings (not written into the manifest: see the module comment). */
export const PROBE_DEFAULTS = Object.freeze({ intervalSeconds: 2, failureThreshold: 3, timeoutSeconds: 1 });

/** What an HTTP probe asks: `GET http://127.0.0.1:{port ?? PORT}{path}`. */
const httpProbeFields = {
  path: z.string().startsWith("/", { error: 'must start with "/"' }).max(1024).optional(),
  /** Default: the instance's own port (`PORT`). */
  port: portNumberSchema.optional(),
  /** Default: any 2xx or 3xx answer passes. */
  expectStatus: z.int().min(100).max(599).optional(),
  intervalSeconds: z.number().min(0.1).max(3600).optional(),
  /** Consecutive failures that make a ready instance not ready (readiness) or restart it (liveness). */
  failureThreshold: z.int().min(1).max(100).optional(),
  timeoutSeconds: z.number().min(0.1).max(60).optional(),
};
const HTTP_ONLY = Object.keys(httpProbeFields);

const readinessSchema = z
  .strictObject({
    /**
     * `alive`: ready once started; `tcp`: once the instance accepts connections on its port;
     * `http`: once `GET path` answers as expected (probed for the instance's whole life).
     */
    type: z.enum(["alive", "tcp", "http"]).default("alive"),
    minReadySeconds: z.number().min(0).max(86_400).default(0),
    ...httpProbeFields,
  })
  .default({ type: "alive", minReadySeconds: 0 });

/** An instance failing it `failureThreshold` times in a row is restarted (with the crash backoff). */
const livenessSchema = z.strictObject({
  type: z.literal("http"),
  ...httpProbeFields,
  path: httpProbeFields.path.unwrap(),
});
export type HttpProbe = Omit<z.output<typeof livenessSchema>, "type">;

export const processPropertiesSchema = z
  .strictObject({
    /**
     * Relative to the artifact's directory when there is one (and found there), else looked up
     * on PATH: `./bin/server`, `server`, or `node` with `args: [server.mjs]`.
     */
    command: z.string().min(1),
    args: z.array(z.string()).optional(),
    env: z.record(envKeySchema, z.string()).optional(),
    cwd: z.string().min(1).optional(),
    /** Code shipped through NATS: fetched, verified and unpacked by the host before instances start. */
    artifact: artifactRefSchema.optional(),
    /** `auto`: the host picks a free port and passes it as `PORT`; a number: `PORT` set to it. */
    port: portSchema.optional(),
    readiness: readinessSchema,
    liveness: livenessSchema.optional(),
    /**
     * Other components of the app whose ready instances this one needs: `env` gets their
     * `host:port` list at start, and `NADM_ENDPOINTS_FILE` names a file the host keeps current.
     */
    links: z
      .array(z.strictObject({ component: nameSchema, env: envKeySchema }))
      .max(32)
      .optional(),
  })
  .superRefine(
    (props, ctx) => {
      for (const issue of probeIssues(props)) ctx.addIssue({ code: "custom", ...issue });
    },
    // Runs even when other properties are wrong, so that every problem is reported at once.
    { when: (payload) => isRecord(payload.value) },
  );
export type ProcessProperties = z.output<typeof processPropertiesSchema>;

/** Cross-field rules of the probes: what a probe needs that its own object cannot say. */
function probeIssues(props: {
  port?: unknown;
  readiness?: { type?: string; path?: string; port?: number } & Record<string, unknown>;
  liveness?: { port?: number };
}): Array<{ path: PropertyKey[]; message: string }> {
  const issues: Array<{ path: PropertyKey[]; message: string }> = [];
  // Called on raw input too (when other fields are wrong): only look inside real objects.
  const r = isRecord(props.readiness) ? props.readiness : undefined;
  if (r?.type === "tcp" && props.port === undefined) {
    issues.push({ path: ["readiness", "type"], message: "tcp readiness requires a port" });
  }
  if (r?.type === "http") {
    if (r.path === undefined)
      issues.push({ path: ["readiness", "path"], message: "http readiness requires a path" });
    if (r.port === undefined && props.port === undefined) {
      issues.push({
        path: ["readiness", "port"],
        message: 'http readiness requires a port (here or the component\'s "port")',
      });
    }
  } else if (r) {
    for (const key of HTTP_ONLY.filter((k) => r[k] !== undefined)) {
      issues.push({ path: ["readiness", key], message: "only for http readiness" });
    }
  }
  if (isRecord(props.liveness) && props.liveness.port === undefined && props.port === undefined) {
    issues.push({
      path: ["liveness", "port"],
      message: 'http liveness requires a port (here or the component\'s "port")',
    });
  }
  return issues;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
