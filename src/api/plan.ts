/**
 * The `plan` op (ARCHITECTURE §8, §9): what deploying a manifest (or a stored version) would do
 * from the live state, wave by wave. It writes nothing: no KV write, no event, no command.
 */
import { z } from "zod";
import { BadRequestError, NotFoundError, UnavailableError } from "../errors.js";
import { parseManifestText } from "../manifests/index.js";
import type { Handler } from "./handlers.js";
import { parseRequest } from "./handlers.js";
import { nameSchema } from "./protocol.js";

export const planRequestSchema = z.strictObject({
  /** A stored app (with `version`, a stored version; default: the latest). */
  name: nameSchema.optional(),
  version: z.string().min(1).max(128).optional(),
  /** Or a manifest (YAML or JSON text) not stored yet. */
  manifest: z.string().optional(),
});

export const plan: Handler = async (lattice, body, deps) => {
  if (!deps.forecast) throw new UnavailableError("plan is answered by controller replicas only");
  const req = parseRequest(planRequestSchema, body);
  if ((req.manifest === undefined) === (req.name === undefined)) {
    throw new BadRequestError("give either name (a stored app) or manifest (a manifest's text)", [
      { path: req.manifest === undefined ? "name" : "manifest", message: "exactly one of name and manifest" },
    ]);
  }
  if (req.manifest !== undefined) {
    const manifest = parseManifestText(req.manifest, deps.catalog);
    const name = manifest.metadata.name;
    const version = manifest.metadata.annotations?.version ?? "(new)";
    return deps.forecast(lattice, name, { version, manifest }, (await deps.store.get(lattice, name))?.value);
  }
  const name = req.name ?? "";
  const { value: app } = await deps.store.require(lattice, name);
  const version = req.version ?? app.versions.at(-1)?.version;
  const found = app.versions.find((v) => v.version === version);
  if (!found) throw new NotFoundError(`version "${version}" of "${name}" not found`);
  return deps.forecast(lattice, name, { version: found.version, manifest: found.manifest }, app);
};
