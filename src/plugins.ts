/**
 * Loads custom scaler modules (`nadm controller --scaler PATH`). Kept out of src/scalers because
 * `import()` is I/O; each module's default export is checked before it is registered, so a bad
 * module fails start-up with its path in the message.
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { ErrorCode, NadmError } from "./errors.js";
import { assertScaler, builtinScalers, ScalerRegistry } from "./scalers/index.js";

export class ScalerLoadError extends NadmError {
  override name = "ScalerLoadError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.BadRequest, message, [], options);
  }
}

export async function loadScalers(paths: readonly string[]): Promise<ScalerRegistry> {
  const registry = new ScalerRegistry(builtinScalers);
  for (const path of paths) {
    let mod: { default?: unknown };
    try {
      mod = (await import(pathToFileURL(resolve(path)).href)) as { default?: unknown };
    } catch (err) {
      throw new ScalerLoadError(`cannot load scaler ${path}: ${(err as Error).message}`, { cause: err });
    }
    try {
      registry.register(assertScaler(mod.default, path));
    } catch (err) {
      throw new ScalerLoadError(`${path}: ${(err as Error).message}`, { cause: err });
    }
  }
  return registry;
}
