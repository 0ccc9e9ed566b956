/**
 * `nadm app ...`: store, version, deploy and inspect applications through the API.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { Kvm } from "@nats-io/kv";
import { type Command, Option } from "commander";
import { stringify } from "yaml";
import { traitCatalogFor } from "../catalog.js";
import { MAX_MANIFEST_BYTES, parseManifestText } from "../manifests/index.js";
import { loadScalers } from "../plugins.js";
import { appStatusSchema } from "../streams/app-status.js";
import { BUCKETS, keys } from "../streams/subjects.js";
import { fail, globals, UsageError, withApi } from "./context.js";
import { registerEndpoints } from "./endpoints.js";
import { formatHistory, formatList, formatStatus, formatVersions } from "./format.js";
import { formatPlanMermaid, formatPlanText } from "./format-plan.js";
import { collect } from "./options.js";
import { printJson } from "./output.js";
import { shutdownSignal } from "./signals.js";

/** Reads a manifest from a file or stdin ("-"), refusing oversized input before reading it all. */
export function readManifestInput(file: string): string {
  if (file !== "-") {
    let size: number;
    try {
      size = statSync(file).size;
    } catch (err) {
      throw new UsageError(
        `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      );
    }
    if (size > MAX_MANIFEST_BYTES) {
      throw new UsageError(`${file} is ${size} bytes; a manifest may be at most ${MAX_MANIFEST_BYTES} bytes`);
    }
  }
  const text = readFileSync(file === "-" ? 0 : file, "utf8");
  if (Buffer.byteLength(text) > MAX_MANIFEST_BYTES) {
    throw new UsageError(`the manifest is larger than ${MAX_MANIFEST_BYTES} bytes`);
  }
  return text;
}

export function registerApp(program: Command): void {
  const app = program.command("app").description("store, deploy and inspect applications");

  app
    .command("put <file>")
    .description("store a manifest version (FILE or - for stdin; YAML or JSON)")
    .action(async (file: string, _o, cmd: Command) => {
      // Read (and size-check) the input before connecting: a bad file needs no server.
      let text: string;
      try {
        text = readManifestInput(file);
      } catch (err) {
        fail(err, globals(cmd).json === true);
      }
      await withApi(
        cmd,
        (c) => c.put(text),
        (r) =>
          r.created
            ? `stored ${r.name} version ${r.version} (${r.versions} version${r.versions === 1 ? "" : "s"} kept)`
            : `${r.name} version ${r.version} is already stored with this content (unchanged)`,
      );
    });

  app
    .command("deploy <name>")
    .description("deploy a stored version (default: the latest)")
    .option("--version <version>", "version to deploy")
    .action(async (name: string, o: { version?: string }, cmd: Command) => {
      await withApi(
        cmd,
        (c) => c.deploy(name, o.version),
        (r) =>
          r.changed
            ? `deploying ${r.name} version ${r.version}`
            : `${r.name} ${r.version} is already deployed`,
      );
    });

  app
    .command("undeploy <name>")
    .description("stop running an app (its versions stay stored)")
    .action(async (name: string, _o, cmd: Command) => {
      await withApi(
        cmd,
        (c) => c.undeploy(name),
        (r) => (r.changed ? `undeploying ${r.name}` : `${r.name} was not deployed`),
      );
    });

  app
    .command("delete <name>")
    .description("delete one version, or the whole app (deleting the deployed version undeploys it)")
    .option("--version <version>", "delete only this version")
    .action(async (name: string, o: { version?: string }, cmd: Command) => {
      await withApi(
        cmd,
        (c) => c.delete(name, o.version),
        (r) =>
          `deleted ${r.name}${r.version ? ` version ${r.version}` : ""}${r.undeployed ? " (it was deployed: undeploying)" : ""}`,
      );
    });

  app
    .command("list")
    .description("list stored apps with their deployed version and phase")
    .action(async (_o, cmd: Command) => {
      await withApi(cmd, (c) => c.list(), formatList);
    });

  app
    .command("get <name>")
    .description("print a stored manifest (default: the deployed version, else the latest)")
    .option("--version <version>", "version to print")
    .action(async (name: string, o: { version?: string }, cmd: Command) => {
      await withApi(
        cmd,
        (c) => c.get(name, o.version),
        (r) => stringify(r.manifest).trimEnd(),
      );
    });

  app
    .command("versions <name>")
    .description("list the stored versions of an app")
    .action(async (name: string, _o, cmd: Command) => {
      await withApi(cmd, (c) => c.versions(name), formatVersions);
    });

  app
    .command("status <name>")
    .description("phase of an app and of each component, with the reason")
    .option("--watch", "keep printing the status whenever it changes (Ctrl-C to stop)")
    .action(async (name: string, o: { watch?: boolean }, cmd: Command) => {
      if (o.watch) await watchStatus(cmd, name);
      else await withApi(cmd, (c) => c.status(name), formatStatus);
    });

  registerEndpoints(app);

  app
    .command("history <name>")
    .description("status transitions and API actions (put, deploy, revert, pause...) of an app, oldest first")
    .option("--commands", "also list the commands issued for the app (host, workload, count, reason)")
    .action(async (name: string, o: { commands?: boolean }, cmd: Command) => {
      await withApi(cmd, (c) => c.history(name, { commands: o.commands === true }), formatHistory);
    });

  app
    .command("plan <fileOrName>")
    .description(
      "dry run: the waves of commands deploying a manifest file (or a stored app) would take; changes nothing",
    )
    .option("--version <version>", "with a stored app's name: the version to plan (default: the latest)")
    .addOption(
      new Option("--format <format>", "text, json or mermaid (a flowchart)")
        .choices(["text", "json", "mermaid"])
        .default("text"),
    )
    .action(async (target: string, o: { version?: string; format: string }, cmd: Command) => {
      const isFile = target === "-" || existsSync(target) || /[/\\]|\.(ya?ml|json)$/.test(target);
      const request = isFile
        ? { manifest: readManifestInput(target) }
        : { name: target, ...(o.version ? { version: o.version } : {}) };
      const format = globals(cmd).json === true ? "json" : o.format;
      await withApi(
        cmd,
        (c) => c.plan(request),
        (p) =>
          format === "json"
            ? JSON.stringify(p, null, 2)
            : format === "mermaid"
              ? formatPlanMermaid(p)
              : formatPlanText(p),
      );
    });

  for (const [verb, paused] of [
    ["pause", true],
    ["resume", false],
  ] as const) {
    app
      .command(`${verb} <name>`)
      .description(
        paused ? "stop reconciling an app (instances keep running)" : "reconcile a paused app again",
      )
      .action(async (name: string, _o, cmd: Command) => {
        await withApi(
          cmd,
          (c) => (paused ? c.pause(name) : c.resume(name)),
          (r) => `${r.name} ${r.paused ? "paused" : "resumed"}${r.changed ? "" : " (unchanged)"}`,
        );
      });
  }

  app
    .command("validate <file>")
    .description("validate a manifest offline (no NATS needed)")
    .option(
      "--scaler <path>",
      "also accept the traits of this custom scaler module (repeatable)",
      collect,
      [],
    )
    .action(async (file: string, o: { scaler: string[] }, cmd: Command) => {
      const json = globals(cmd).json === true;
      try {
        const catalog = traitCatalogFor(await loadScalers(o.scaler));
        const m = parseManifestText(readManifestInput(file), catalog);
        const result = {
          valid: true,
          name: m.metadata.name,
          version: m.metadata.annotations?.version ?? null,
          components: m.spec.components.map((c) => c.name),
        };
        if (json) printJson(result);
        else
          process.stdout.write(
            `${file}: valid (${result.name}, components: ${result.components.join(", ")})\n`,
          );
      } catch (err) {
        fail(err, json);
      }
    });
}

async function watchStatus(cmd: Command, name: string): Promise<void> {
  await withApi(
    cmd,
    async (client, nc) => {
      const json = globals(cmd).json === true;
      const print = (s: unknown) =>
        json
          ? process.stdout.write(`${JSON.stringify(s)}\n`)
          : process.stdout.write(`${formatStatus(appStatusSchema.parse(s))}\n\n`);
      print(await client.status(name));
      const kv = await new Kvm(nc).open(BUCKETS.status);
      const watch = await kv.watch({ key: keys.status(client.lattice, name), include: "updates" });
      void shutdownSignal().then(() => watch.stop());
      for await (const e of watch) if (e.operation === "PUT") print(e.json());
      return undefined;
    },
    () => "",
  );
}
