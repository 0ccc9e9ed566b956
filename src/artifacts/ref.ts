/**
 * How manifests and commands name an artifact: `{name, digest}`. A leaf module (zod only), shared
 * by the process properties, the artifact store, the CLI and the host cache.
 */
import { z } from "zod";

/** `sha256:` and 64 lowercase hex digits: the address of an artifact's bytes. */
export const DIGEST_PATTERN = /^sha256:[0-9a-f]{64}$/;

export const digestSchema = z.string().regex(DIGEST_PATTERN, {
  error: 'must be "sha256:" followed by 64 lowercase hex digits',
});

/** A human name for an artifact, e.g. `web-1.4.2`; one name points at one digest at a time. */
export const artifactNameSchema = z
  .string()
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, {
    error: "must be letters, digits, '.', '_' or '-', starting with a letter or digit (at most 128)",
  });

export const artifactRefSchema = z.strictObject({
  name: artifactNameSchema,
  /** Filled in by `app put` from the name when absent, so a stored version means fixed bytes. */
  digest: digestSchema.optional(),
});
export type ArtifactRef = z.output<typeof artifactRefSchema>;

/** An artifact reference whose digest is known (what hosts fetch). */
export interface PinnedArtifact {
  name: string;
  digest: string;
}

export function shortDigest(digest: string): string {
  return digest.slice(0, "sha256:".length + 12);
}
