/**
 * `nadm schema`: the JSON Schema of the manifest (generated from the zod schema), for editors;
 * `nadm schema --api`: the JSON Schemas of every API request and reply (docs/api.schema.json);
 * `nadm schema --scaler-io`: the messages of remote scalers (docs/scaler-io.schema.json).
 */
import type { Command } from "commander";
import { apiJsonSchemas } from "../api/contract.js";
import { traitCatalogFor } from "../catalog.js";
import { manifestJsonSchema } from "../manifests/index.js";
import { loadScalers } from "../plugins.js";
import { scalerIoJsonSchemas } from "../scalers/wire.js";
import { collect } from "./options.js";

export function registerSchema(program: Command): void {
  program
    .command("schema")
    .description("print the JSON Schema of application manifests (for editors and CI)")
    .option("--api", "print the JSON Schemas of every API request and reply instead")
    .option("--scaler-io", "print the JSON Schemas of what remote scalers receive, answer and register")
    .option("--scaler <path>", "include the traits of this custom scaler module (repeatable)", collect, [])
    .action(async (o: { api?: boolean; scalerIo?: boolean; scaler: string[] }) => {
      const catalog = traitCatalogFor(await loadScalers(o.scaler));
      const schema = o.scalerIo
        ? scalerIoJsonSchemas()
        : o.api
          ? apiJsonSchemas(catalog)
          : manifestJsonSchema(catalog);
      process.stdout.write(`${JSON.stringify(schema, null, 2)}\n`);
    });
}
