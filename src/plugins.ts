/**
 * Loads custom scaler modules (`nadm controller --scaler PATH`). Kept out of src/scalers because
 * `import()` is I/O. Each module is imported here once, for its type, version and properties
 * schema (put-time validation, `nadm schema`), and checked, so a bad module fails start-up with
 * its path in the message; its `reconcile` then runs in a worker thread of its own
 * (sandbox/worker-scaler.ts), where a runaway call can be stopped at its deadline.
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { ErrorCode, NadmError } from "./errors.js";
import { WorkerScaler } from "./sandbox/worker-scaler.js";
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
    const url = pathToFileURL(resolve(path)).href;
    let mod: { default?: unknown };
    try {
      mod = (await import(url)) as { default?: unknown };
    } catch (err) {
      throw new ScalerLoadError(`cannot load scaler ${path}: ${(err as Error).message}`, { cause: err });
    }
    try {
      const scaler = assertScaler(mod.default, path);
      registry.registerExternal(new WorkerScaler(scaler.type, scaler.version ?? "", scaler.properties, url));
    } catch (err) {
      throw new ScalerLoadError(`${path}: ${(err as Error).message}`, { cause: err });
    }
  }
  return registry;
}
