/**
 * The trait catalog manifests are validated against: every registered scaler plus the
 * built-in policy traits. Lives at the top because it joins two rooms (scalers, manifests).
 */
import { rolloutPropertiesSchema, type TraitCatalog, traitCatalog } from "./manifests/index.js";
import { builtinScalers, ScalerRegistry, traitCatalogEntries } from "./scalers/index.js";

export function traitCatalogFor(registry: ScalerRegistry): TraitCatalog {
  return traitCatalog([
    ...traitCatalogEntries(registry),
    ["rollout", { kind: "policy", properties: rolloutPropertiesSchema }],
  ]);
}

export function builtinTraitCatalog(): TraitCatalog {
  return traitCatalogFor(new ScalerRegistry(builtinScalers));
}
