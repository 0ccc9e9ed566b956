/**
 * The `plan` op (ARCHITECTURE §8, §9): what deploying a manifest (or a stored version) would do
 * from the live state, wave by wave. It writes nothing: no KV write, no event, no command.
 */
import { UnavailableError } from "../errors.js";
import { parseManifestText } from "../manifests/index.js";
import { catalogFor, type Handler } from "./handlers.js";
import { planRequestSchema } from "./protocol.js";
import { parseRequest } from "./request.js";

export const plan: Handler = async (lattice, body, deps) => {
  const req = parseRequest(planRequestSchema, body);
  const forecast = deps.forecast;
  if (!forecast) throw new UnavailableError("plan is answered by controller replicas only");
  if ("manifest" in req) {
    const manifest = parseManifestText(req.manifest, catalogFor(deps, lattice));
    const name = manifest.metadata.name;
    const version = manifest.metadata.annotations?.version ?? "(new)";
    return forecast(lattice, name, { version, manifest }, (await deps.store.get(lattice, name))?.value);
  }
  const { name } = req;
  const { value: app } = await deps.store.require(lattice, name);
  const version = req.version ?? app.versions.at(-1)?.version ?? "";
  const manifest = await deps.store.getVersion(lattice, name, version);
  return forecast(lattice, name, { version, manifest }, app);
};
