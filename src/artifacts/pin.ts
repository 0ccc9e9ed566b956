/**
 * Pinning at `app put`: a component's `artifact: {name}` gets the digest the name points at now,
 * so a stored version always means the same bytes (re-pointing the name later changes nothing
 * already stored; a new digest is a new revision, which rolls out). A digest given by the user
 * must exist. Every problem is reported at its path.
 */
import { type ErrorDetail, InvalidManifestError } from "../errors.js";
import type { Manifest } from "../manifests/schema.js";
import { BUCKETS } from "../streams/subjects.js";

export interface ArtifactLookup {
  digestOf(name: string): Promise<string | null>;
  info(digest: string): Promise<unknown | null>;
}

export async function pinArtifacts(manifest: Manifest, lookup: ArtifactLookup): Promise<Manifest> {
  const details: ErrorDetail[] = [];
  const components = await Promise.all(
    manifest.spec.components.map(async (component, i) => {
      const artifact = component.properties.artifact;
      if (!artifact) return component;
      const path = `spec.components[${i}].properties.artifact`;
      if (artifact.digest) {
        if (!(await lookup.info(artifact.digest))) {
          details.push({
            path: `${path}.digest`,
            message: `no artifact with this digest in ${BUCKETS.artifacts}`,
          });
        }
        return component;
      }
      const digest = await lookup.digestOf(artifact.name);
      if (!digest) {
        details.push({
          path: `${path}.name`,
          message: `no artifact named "${artifact.name}" in ${BUCKETS.artifacts} (store it first: nadm artifact put FILE --name ${artifact.name})`,
        });
        return component;
      }
      return {
        ...component,
        properties: { ...component.properties, artifact: { name: artifact.name, digest } },
      };
    }),
  );
  if (details.length > 0)
    throw new InvalidManifestError("the manifest names artifacts that are not stored", details);
  return { ...manifest, spec: { ...manifest.spec, components } };
}
