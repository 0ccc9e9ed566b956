/**
 * The host's validation of a workload against the component types it runs. Apart from the
 * catalog so that drivers can use it without importing the catalog (which loads drivers).
 */
import { UnsupportedWorkloadError, type WorkloadRef } from "../host/drivers/types.js";
import type { ComponentType } from "./types.js";

/**
 * Before anything changes, a workload's type must be one of `types` (those the host runs) and
 * its properties must parse. Pure: the accepted-at-put ⇒ accepted-by-host property test calls
 * it. Throws `UnsupportedWorkloadError` naming the field inside the command
 * (`workload.spec.readiness.type`).
 */
export function parseWorkloadProperties<P, C extends Pick<ComponentType<P>, "type" | "properties">>(
  workload: Pick<WorkloadRef, "type" | "spec">,
  types: readonly C[],
): { type: C; properties: P } {
  const type = types.find((t) => t.type === workload.type);
  if (!type) {
    const runs = types.map((t) => t.type).join(", ");
    throw new UnsupportedWorkloadError(
      "workload.type",
      `unsupported workload type ${JSON.stringify(workload.type)} (this host runs: ${runs})`,
    );
  }
  const parsed = type.properties.safeParse(workload.spec);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = ["workload", "spec", ...(issue?.path ?? [])].join(".");
    throw new UnsupportedWorkloadError(path, issue?.message ?? "invalid");
  }
  return { type, properties: parsed.data as P };
}
