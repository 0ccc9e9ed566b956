/**
 * The API's access to the artifact store, for pinning artifact digests at `put`
 * (`artifacts/pin.ts`). Opened once per API instance; the bucket is provisioned at start.
 */
import type { JetStreamClient } from "@nats-io/jetstream";
import { pinArtifacts } from "../artifacts/pin.js";
import { ArtifactStore } from "../artifacts/store.js";
import type { Manifest } from "../manifests/schema.js";

const stores = new WeakMap<object, Promise<ArtifactStore>>();

/** `manifest` with every artifact's digest filled in; refuses names and digests not stored. */
export async function withPinnedArtifacts(
  manifest: Manifest,
  deps: { js: JetStreamClient },
): Promise<Manifest> {
  if (!manifest.spec.components.some((c) => c.properties.artifact)) return manifest;
  let store = stores.get(deps);
  if (!store) {
    store = ArtifactStore.connect(deps.js);
    stores.set(deps, store);
    store.catch(() => stores.delete(deps));
  }
  return pinArtifacts(manifest, await store);
}
