/**
 * What a workload type is: the one definition of a component `type` that the manifest schema,
 * `nadm schema`, the host's validation and the host's driver all read (docs/ARCHITECTURE.md,
 * "Adding a workload type"). One module per type, registered in `catalog.ts`.
 */
import type { z } from "zod";
import type { RunAsUser } from "../host/drivers/process-policy.js";
import type { Driver } from "../host/drivers/types.js";
import type { Logger } from "../log.js";

/** What a host hands a type's driver factory: the host-wide settings of `nadm host`. */
export interface DriverContext {
  /** The host's data directory (logs, pid files). */
  dataDir: string;
  logger: Logger;
  /** `--allow-command` globs; undefined: any command. */
  allowCommands?: readonly string[] | undefined;
  /** `--run-as USER`, resolved by the host at start (so a bad user fails before anything runs). */
  runAs?: RunAsUser | undefined;
  /** `--keep-instances`: instances outlive the agent, for the next one to adopt (upgrades). */
  keepInstances?: boolean | undefined;
}

export interface ComponentType<P = unknown, T extends string = string> {
  /** The manifest's `spec.components[].type`, and `workload.type` in commands. */
  readonly type: T;
  /** One line for `nadm schema` and the docs. */
  readonly description: string;
  /**
   * The properties: validated at `app put` (errors by path) and again by every host at the
   * control boundary. Its output is what is stored, hashed into the revision and sent to hosts,
   * so parsing an output again must give the same value (the catalog's property test checks it).
   */
  readonly properties: z.ZodType<P>;
  /**
   * Creates the host-side driver. Loaded lazily (`import()`) so that the manifest validator,
   * the CLI and the controller never load a driver's I/O modules.
   */
  readonly driver: (ctx: DriverContext) => Promise<Driver<P>>;
}

/** Freezes a definition; otherwise the identity (it infers `P` and keeps `type` a literal). */
export function defineComponentType<P, const T extends string>(
  definition: ComponentType<P, T>,
): ComponentType<P, T> {
  return Object.freeze({ ...definition });
}
