/**
 * The host side of `type: process` properties: parsing them at the control boundary and the
 * environment of an instance. The schema itself is the workload type's (components/process.ts),
 * the one definition `app put` also validates with.
 */
import { parseWorkloadProperties } from "../../components/parse.js";
import { type ProcessProperties, processPropertiesSchema } from "../../components/process-properties.js";
import type { WorkloadRef } from "./types.js";

export {
  envKeySchema,
  type HttpProbe,
  PROBE_DEFAULTS,
  type ProcessProperties,
  processPropertiesSchema,
} from "../../components/process-properties.js";

/** The process type as far as validation goes (its driver is this folder's `process.ts`). */
const PROCESS_HOST_TYPE = { type: "process", properties: processPropertiesSchema } as const;

/** The process driver's check of a workload (any other type is refused, naming `workload.type`). */
export function parseProcessProperties(workload: WorkloadRef): ProcessProperties {
  return parseWorkloadProperties<ProcessProperties, typeof PROCESS_HOST_TYPE>(workload, [PROCESS_HOST_TYPE])
    .properties;
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
