/**
 * Remote scaler registrations (`nadm_scalers`, key `{lattice}.{type}`): a replica's copy of the
 * bucket, with each registration's properties JSON Schema turned into a zod schema once, so a
 * manifest naming a remote trait is checked at put exactly like one naming an in-process trait.
 *
 * A registration whose type an in-process scaler already has is ignored (and logged): which of
 * the two placed the component would depend on which replica reconciled it.
 */
import type { KvEntry } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { z } from "zod";
import { KvCache } from "../lattice/kv-cache.js";
import type { Logger } from "../log.js";
import { type TraitCatalog, TraitKind } from "../manifests/index.js";
import type { ExternalScaler, ScalerLookup } from "../scalers/index.js";
import { type ScalerRegistration, scalerRegistrationSchema } from "../scalers/wire.js";
import { keys } from "../streams/subjects.js";
import { remoteExternal } from "./external.js";

export interface RemoteScaler {
  lattice: string;
  type: string;
  version: string;
  /** Checks a trait's properties; built from the registration's JSON Schema. */
  properties: z.ZodType;
  registration: ScalerRegistration;
}

/** The registration, or a reason it is unusable (kept, so status can say why). */
type Decoded = { ok: true; scaler: Omit<RemoteScaler, "lattice"> } | { ok: false; reason: string };

export function decodeRegistration(raw: unknown): Decoded {
  const parsed = scalerRegistrationSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return {
      ok: false,
      reason: `invalid registration at ${issue.path.join(".") || "(root)"}: ${issue.message}`,
    };
  }
  let properties: z.ZodType;
  try {
    properties = z.fromJSONSchema(parsed.data.properties as Parameters<typeof z.fromJSONSchema>[0]);
  } catch (err) {
    return { ok: false, reason: `its properties JSON Schema is not usable: ${(err as Error).message}` };
  }
  const { type, version } = parsed.data;
  return { ok: true, scaler: { type, version, properties, registration: parsed.data } };
}

function decodeEntry(entry: KvEntry): Decoded {
  try {
    return decodeRegistration(entry.json());
  } catch {
    return { ok: false, reason: "the registration is not JSON" };
  }
}

export interface RemoteScalersOptions {
  nc: NatsConnection;
  /** Trait types handled in-process (built-in and `--scaler`): remote registrations cannot take them. */
  inProcess: (type: string) => boolean;
  /** How long a remote scaler may take to answer one call. */
  timeoutMs: number;
  log: Logger;
}

/** Composite catalogs kept per base catalog (lattices; the oldest goes first). */
const CATALOGS_KEPT = 256;

export class RemoteScalers {
  readonly #cache: KvCache<Decoded>;
  /** One ExternalScaler per registration entry, rebuilt when the entry changes. */
  readonly #external = new Map<string, ExternalScaler>();
  /** Per base catalog, lattice → its composite catalog (see `catalog`). */
  readonly #catalogs = new WeakMap<TraitCatalog, Map<string, TraitCatalog>>();
  private readonly inProcess: (type: string) => boolean;
  private readonly log: Logger;

  constructor(
    kv: ConstructorParameters<typeof KvCache<Decoded>>[0],
    private readonly opts: RemoteScalersOptions,
  ) {
    this.inProcess = opts.inProcess;
    this.log = opts.log;
    this.#cache = new KvCache(kv, decodeEntry, opts.log);
    this.#cache.onChange((key, next) => {
      this.#external.delete(key);
      this.report(key, next?.value);
    });
  }

  start(): Promise<void> {
    return this.#cache.start();
  }

  stop(): void {
    this.#cache.stop();
  }

  /** After a reconnect: catch up with registrations written meanwhile (ReconnectResync). */
  resume(timeoutMs: number): Promise<boolean> {
    return this.#cache.resume(timeoutMs);
  }

  private report(key: string, decoded: Decoded | undefined): void {
    if (!decoded) this.log.info({ key }, "remote scaler unregistered");
    else if (!decoded.ok)
      this.log.warn({ key, reason: decoded.reason }, "remote scaler registration ignored");
    else if (this.inProcess(decoded.scaler.type)) {
      this.log.warn({ key }, "remote scaler registration ignored: an in-process scaler has this type");
    } else this.log.info({ key, version: decoded.scaler.version }, "remote scaler registered");
  }

  /** The usable registration of `type` in `lattice`, if any. */
  get(lattice: string, type: string): RemoteScaler | undefined {
    const decoded = this.#cache.get(keys.scaler(lattice, type))?.value;
    if (!decoded?.ok || this.inProcess(type) || decoded.scaler.type !== type) return undefined;
    return { lattice, ...decoded.scaler };
  }

  /** Why `type` has no usable registration in `lattice` (for a component's status). */
  whyNot(lattice: string, type: string): string {
    const decoded = this.#cache.get(keys.scaler(lattice, type))?.value;
    if (!decoded) return `no scaler "${type}" is loaded or registered in lattice "${lattice}"`;
    if (!decoded.ok) return `the registration of remote scaler "${type}" is unusable: ${decoded.reason}`;
    return `remote scaler "${type}" is registered under another type name (${decoded.scaler.type})`;
  }

  /** Usable remote types of `lattice`, sorted. */
  types(lattice: string): string[] {
    const prefix = `${lattice}.`;
    const out: string[] = [];
    for (const { key, value } of this.#cache.values()) {
      if (!key.startsWith(prefix) || !value.ok) continue;
      const type = key.slice(prefix.length);
      if (value.scaler.type === type && !this.inProcess(type)) out.push(type);
    }
    return out.sort();
  }

  /** The planner's view of `lattice`: `base` (in-process scalers) plus its remote scalers. */
  lookup(lattice: string, base: ScalerLookup): ScalerLookup {
    const external = (type: string) => base.getExternal(type) ?? this.external(lattice, type);
    return {
      get: (type) => base.get(type),
      getExternal: external,
      has: (type) => base.has(type) || this.get(lattice, type) !== undefined,
      types: () => [...new Set([...base.types(), ...this.types(lattice)])].sort(),
    };
  }

  private external(lattice: string, type: string): ExternalScaler | undefined {
    const key = keys.scaler(lattice, type);
    const cached = this.#external.get(key);
    if (cached) return cached;
    const remote = this.get(lattice, type);
    if (!remote) return undefined;
    const built = remoteExternal(this.opts.nc, remote, this.opts.timeoutMs);
    this.#external.set(key, built);
    return built;
  }

  /**
   * `base` (in-process scalers and policies) plus this lattice's remote scalers, read live. The
   * same object for the same lattice and base: the manifest schema is built once per catalog
   * object (manifests/validate.ts), and a new object per API request rebuilt and recompiled it
   * for every put (2.7 % of a replica's CPU in the placement burst). Bounded: API requests may
   * name any number of lattices.
   */
  catalog(lattice: string, base: TraitCatalog): TraitCatalog {
    let perLattice = this.#catalogs.get(base);
    if (!perLattice) {
      perLattice = new Map();
      this.#catalogs.set(base, perLattice);
    }
    let catalog = perLattice.get(lattice);
    if (!catalog) {
      if (perLattice.size >= CATALOGS_KEPT) perLattice.delete(perLattice.keys().next().value!);
      catalog = {
        get: (type) => {
          const own = base.get(type);
          if (own) return own;
          const remote = this.get(lattice, type);
          return remote && { kind: TraitKind.Scaler, properties: remote.properties };
        },
        types: () => [...new Set([...base.types(), ...this.types(lattice)])].sort(),
      };
      perLattice.set(lattice, catalog);
    }
    return catalog;
  }
}
