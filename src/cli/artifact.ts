/**
 * `nadm artifact put|list|get|delete`: code shipped through NATS (the Object Store bucket
 * `nadm_artifacts`, see artifacts/store.ts). `delete` refuses content a stored app version
 * still uses (found through the API), unless `--force`.
 */
import { createWriteStream, existsSync, statSync } from "node:fs";
import { Writable } from "node:stream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Command } from "commander";
import type { ApiClient } from "../api/client.js";
import { shortDigest } from "../artifacts/ref.js";
import { type ArtifactInfo, ArtifactStore } from "../artifacts/store.js";
import { ConflictError, NotFoundError, UnavailableError } from "../errors.js";
import { BUCKETS } from "../streams/subjects.js";
import { fail, globals, UsageError, withApi } from "./context.js";
import { age, table } from "./output.js";

async function store(nc: NatsConnection): Promise<ArtifactStore> {
  try {
    return await ArtifactStore.connect(nc);
  } catch (err) {
    throw new UnavailableError(
      `cannot open the ${BUCKETS.artifacts} bucket (${(err as Error).message}): a controller creates it when it starts`,
    );
  }
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function formatList(list: ArtifactInfo[]): string {
  if (list.length === 0) return "no artifacts stored";
  const rows = list.map((a) => [
    a.names.join(",") || "-",
    shortDigest(a.digest),
    formatSize(a.size),
    a.kind,
    a.filename,
    age(a.storedAt),
  ]);
  return table(["NAMES", "DIGEST", "SIZE", "KIND", "FILE", "AGE"], rows);
}

/** `app@version (component)` of every stored version whose manifest uses `digest`. */
export async function usersOf(client: ApiClient, digest: string): Promise<string[]> {
  const users: string[] = [];
  for (const app of (await client.list()).apps) {
    for (const v of (await client.versions(app.name)).versions) {
      const { manifest } = await client.get(app.name, v.version);
      const components = (manifest as { spec?: { components?: unknown[] } }).spec?.components ?? [];
      for (const c of components as Array<{
        name: string;
        properties?: { artifact?: { digest?: string } };
      }>) {
        if (c.properties?.artifact?.digest === digest) users.push(`${app.name}@${v.version} (${c.name})`);
      }
    }
  }
  return users;
}

async function remove(client: ApiClient, nc: NatsConnection, target: string, force: boolean) {
  const s = await store(nc);
  const info = await s.info(target);
  if (!info) throw new NotFoundError(`artifact "${target}" not found in ${BUCKETS.artifacts}`);
  // Deleting a name that other names share removes no bytes: nothing stored can break.
  const removesBytes = target === info.digest || info.names.every((n) => n === target);
  if (removesBytes && !force) {
    const users = await usersOf(client, info.digest);
    if (users.length > 0) {
      throw new ConflictError(
        `${target} (${shortDigest(info.digest)}) is used by ${users.join(", ")}; delete those versions first, or --force`,
      );
    }
  }
  return s.delete(target);
}

async function download(nc: NatsConnection, target: string, output: string | undefined) {
  const s = await store(nc);
  const info = await s.info(target);
  const result = info && (await s.get(info.digest));
  if (!info || !result) throw new NotFoundError(`artifact "${target}" not found in ${BUCKETS.artifacts}`);
  const path = output ?? info.filename;
  if (path !== "-" && existsSync(path)) throw new UsageError(`${path} exists; choose another --output`);
  const sink = path === "-" ? process.stdout : createWriteStream(path);
  await result.data.pipeTo(Writable.toWeb(sink) as WritableStream<Uint8Array>);
  const err = await result.error;
  if (err) throw err;
  return { digest: info.digest, size: info.size, path };
}

export function registerArtifact(program: Command): void {
  const artifact = program.command("artifact").description("code shipped through NATS (Object Store)");

  artifact
    .command("put <file>")
    .description("store a file or .tar.gz, addressed by sha256 (default name: the file name without .tar.gz)")
    .option("--name <name>", "the name manifests use (artifact: {name})")
    .action(async (file: string, o: { name?: string }, cmd: Command) => {
      if (!existsSync(file) || !statSync(file).isFile())
        fail(new UsageError(`${file} is not a file`), globals(cmd).json === true);
      await withApi(
        cmd,
        async (_c, nc) => (await store(nc)).put(file, o.name),
        (r) =>
          `${r.uploaded ? "stored" : "already stored"} ${r.name} → ${r.digest} (${formatSize(r.size)}, ${r.kind})`,
      );
    });

  artifact
    .command("list")
    .description("stored artifacts with their names")
    .action(async (_o, cmd: Command) => {
      await withApi(cmd, async (_c, nc) => (await store(nc)).list(), formatList);
    });

  artifact
    .command("get <nameOrDigest>")
    .description("download an artifact (verified against its digest)")
    .option("-o, --output <file>", "where to write it (- for stdout; default: its stored file name)")
    .action(async (target: string, o: { output?: string }, cmd: Command) => {
      await withApi(
        cmd,
        (_c, nc) => download(nc, target, o.output),
        (r) => (r.path === "-" ? "" : `wrote ${r.path} (${formatSize(r.size)}, ${r.digest})`),
      );
    });

  artifact
    .command("delete <nameOrDigest>")
    .description(
      "delete a name (and its bytes once no name is left); refused while a stored version uses them",
    )
    .option("--force", "delete even if stored versions use it (their instances will fail to start)")
    .action(async (target: string, o: { force?: boolean }, cmd: Command) => {
      await withApi(
        cmd,
        (client, nc) => remove(client, nc, target, o.force === true),
        (r) => `deleted ${[...r.names, ...(r.digest ? [shortDigest(r.digest)] : [])].join(", ")}`,
      );
    });
}
