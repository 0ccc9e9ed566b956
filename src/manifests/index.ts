/** The manifest language: schema, parsing, validation with paths, revisions, JSON Schema. */

export { type TraitCatalog, type TraitDefinition, TraitKind, traitCatalog } from "./catalog.js";
export { formatPath } from "./issues.js";
export { manifestJsonSchema } from "./json-schema.js";
export { assignVersion, MAX_MANIFEST_BYTES, parseDocument, parseManifestText, versionAt } from "./parse.js";
export { canonicalJson, componentRevision } from "./revision.js";
export {
  ROLLOUT_TRAIT,
  type RolloutAmount,
  type RolloutProperties,
  resolveAmount,
  rolloutPropertiesSchema,
  rolloutTrait,
} from "./rollout.js";
export {
  API_VERSIONS,
  COMPONENT_TYPES,
  type ComponentSpec,
  type ComponentType,
  MAX_COMPONENTS,
  type Manifest,
  nameSchema,
  type ProcessProperties,
  processPropertiesSchema,
  type TraitSpec,
} from "./schema.js";
export { manifestSchemaFor, type ValidationResult, validateManifest } from "./validate.js";
