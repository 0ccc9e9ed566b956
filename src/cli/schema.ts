/**
 * `nadm schema`: the JSON Schema of the manifest (generated from the zod schema), for editors.
 */
import type { Command } from "commander";
import { builtinTraitCatalog } from "../catalog.js";
import { manifestJsonSchema } from "../manifests/index.js";

export function registerSchema(program: Command): void {
  program
    .command("schema")
    .description("print the JSON Schema of application manifests (for editors and CI)")
    .action(() => {
      process.stdout.write(`${JSON.stringify(manifestJsonSchema(builtinTraitCatalog()), null, 2)}\n`);
    });
}
