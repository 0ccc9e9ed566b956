/**
 * The component-type catalog: every workload type nadm knows, by `type`. The manifest schema
 * (`manifests/schema.ts`), `nadm schema`, the host's validation (`parseWorkload`)
 * and the host's drivers (`host/drivers/typed.ts`) all read this list, so adding a type is its
 * module plus one line here.
 */
import type { z } from "zod";
import type { WorkloadRef } from "../host/drivers/types.js";
import { parseWorkloadProperties } from "./parse.js";
import { processComponent } from "./process.js";
import type { ComponentType } from "./types.js";

/** Registration: one entry per workload type. */
export const componentTypes = Object.freeze([processComponent] as const);

/** What a stored component's `properties` is: one of the catalog types' parsed properties. */
export type ComponentProperties = z.output<(typeof componentTypes)[number]["properties"]>;

/** The `type` names, for messages and the manifest schema's discriminator. */
export type ComponentTypeName = (typeof componentTypes)[number]["type"];
export const COMPONENT_TYPE_NAMES: readonly ComponentTypeName[] = Object.freeze(
  componentTypes.map((t) => t.type),
);

export function componentType(type: string): ComponentType | undefined {
  return (componentTypes as readonly ComponentType[]).find((t) => t.type === type);
}

/** The host's validation against every catalog type (see `./parse.ts`). */
export function parseWorkload(workload: Pick<WorkloadRef, "type" | "spec">): {
  type: ComponentType;
  properties: unknown;
} {
  return parseWorkloadProperties<unknown, ComponentType>(workload, componentTypes);
}
