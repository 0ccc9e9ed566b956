/**
 * The driver of a real (`--driver process`) host: each workload runs on the driver of its
 * component type, from the component-type catalog (components/catalog.ts). A type's driver is
 * loaded when the host starts (`load()`, the first thing `HostAgent.start()` does), because
 * the catalog loads drivers lazily so that the manifest validator never imports them.
 */
import { parseWorkloadProperties } from "../../components/parse.js";
import type { ComponentType, DriverContext } from "../../components/types.js";
import type {
  Driver,
  HandedInstance,
  InstanceEvents,
  InstanceHandle,
  InstanceSpec,
  WorkloadNeeds,
  WorkloadRef,
} from "./types.js";

/** A workload prepared by its type's driver, tagged with that type. */
export interface TypedProperties {
  type: string;
  properties: unknown;
}

export class DriverNotLoadedError extends Error {
  override name = "DriverNotLoadedError";
}

export class TypedDriver implements Driver<TypedProperties> {
  readonly name = "process" as const;
  readonly #drivers = new Map<string, Driver<unknown>>();

  constructor(
    private readonly types: readonly ComponentType[],
    private readonly ctx: DriverContext,
  ) {}

  /** Loads each type's driver once (the catalog loads them lazily; `prepare` needs them). */
  async load(): Promise<void> {
    for (const t of this.types) {
      if (!this.#drivers.has(t.type)) this.#drivers.set(t.type, await t.driver(this.ctx));
    }
  }

  /**
   * Lets each type's driver clean up after a previous life of this host, keeping the
   * handed-over instances in `keep` for `adopt`.
   */
  async recover(keep?: ReadonlySet<number>): Promise<void> {
    await this.load();
    for (const driver of this.#drivers.values()) await driver.recover?.(keep);
  }

  /** The catalog's check first (type, then properties), then the type driver's own (host policy). */
  prepare(workload: WorkloadRef): TypedProperties {
    const { type } = parseWorkloadProperties(workload, this.types);
    return { type: type.type, properties: this.driverOf(type.type).prepare(workload) };
  }

  needs(prepared: TypedProperties): WorkloadNeeds {
    return this.driverOf(prepared.type).needs?.(prepared.properties) ?? {};
  }

  start(spec: InstanceSpec<TypedProperties>, events: InstanceEvents): Promise<InstanceHandle> {
    const { type, properties } = spec.properties;
    return this.driverOf(type).start({ ...spec, properties }, events);
  }

  adopt(
    spec: InstanceSpec<TypedProperties>,
    instance: HandedInstance,
    events: InstanceEvents,
  ): InstanceHandle | undefined {
    const { type, properties } = spec.properties;
    return this.driverOf(type).adopt?.({ ...spec, properties }, instance, events);
  }

  async close(opts?: { keepInstances?: boolean }): Promise<void> {
    for (const driver of this.#drivers.values()) await driver.close?.(opts);
  }

  private driverOf(type: string): Driver<unknown> {
    const driver = this.#drivers.get(type);
    if (!driver) throw new DriverNotLoadedError(`the ${type} driver is not loaded: start the host first`);
    return driver;
  }
}
