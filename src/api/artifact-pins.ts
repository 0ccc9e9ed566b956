/**
 * The API's access to the artifact store, for pinning artifact digests at `put`
 * (`artifacts/pin.ts`). Opened once per API instance; the bucket is provisioned at start.
 */
import type { JetStreamClient } from "@nats-io/jetstream";
import { pinArtifacts } from "../artifacts/pin.js";
import { ArtifactStore } from "../artifacts/store.js";
import { errorMessage, UnavailableError } from "../errors.js";
import type { Manifest } from "../manifests/schema.js";
import { BUCKETS } from "../streams/subjects.js";

const stores = new WeakMap<object, Promise<ArtifactStore>>();

/** `manifest` with every artifact's digest filled in; refuses names and digests not stored. */
export async function withPinnedArtifacts(
  manifest: Manifest,
  deps: { js: JetStreamClient },
): Promise<Manifest> {
  if (!manifest.spec.components.some((c) => c.properties.artifact)) return manifest;
  let store = stores.get(deps);
  if (!store) {
    store = ArtifactStore.connect(deps.js).catch((err: unknown) => {
      stores.delete(deps); // try again at the next put
      throw new UnavailableError(
        `the artifact store ${BUCKETS.artifacts} is not available: ${errorMessage(err)}`,
      );
    });
    stores.set(deps, store);
  }
  return pinArtifacts(manifest, await store);
}
