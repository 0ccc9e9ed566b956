/**
 * The host's artifact cache: `{dataDir}/artifacts/{hex}/tree` holds an artifact unpacked (or
 * its single file), `{hex}/files.json` the sha256 of every file in it as unpacked.
 *
 * - Fetched streamed from the Object Store into a staging directory, counted against the
 *   object's size and `maxBytes`, hashed as it arrives and compared with the pinned digest;
 *   archives are checked entry by entry (tar-check.ts) and unpacked with the system `tar`;
 *   the staging directory is renamed into place only when all of that succeeded.
 * - Verified on every use (each instance start): a file whose bytes changed on disk makes the
 *   entry corrupt, and it is fetched again. Bytes a running app adds are not checked.
 * - One fetch per digest at a time, whatever the number of instances or workloads asking.
 * - `collect` removes entries no workload uses that have not been used for `keepMs`.
 */
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import {
  chmodSync,
  createReadStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { open } from "node:fs/promises";
import { join, relative } from "node:path";
import type { ObjectResult } from "@nats-io/obj";
import { type PinnedArtifact, shortDigest } from "../../artifacts/ref.js";
import { errorMessage } from "../../errors.js";
import type { Logger } from "../../log.js";
import { BUCKETS } from "../../streams/subjects.js";
import { checkTarGz } from "./tar-check.js";

/** What the cache needs of the artifact store (`ArtifactStore` has it). */
export interface ArtifactSource {
  info(digest: string): Promise<{ size: number; kind: "tar.gz" | "file"; filename: string } | null>;
  get(digest: string): Promise<ObjectResult | null>;
}

export type ArtifactProblem = "missing" | "corrupt" | "too_large" | "unsafe" | "fetch";

/** Why an artifact could not be provided; the message names the artifact. */
export class ArtifactError extends Error {
  override name = "ArtifactError";
  constructor(
    readonly problem: ArtifactProblem,
    message: string,
  ) {
    super(message);
  }
}

export interface CacheOptions {
  /** `{dataDir}/artifacts` */
  root: string;
  source: () => Promise<ArtifactSource>;
  /** Largest artifact, downloaded or unpacked. */
  maxBytes: number;
  logger: Logger;
}

export type Progress = (bytes: number, size: number) => void;

const PROGRESS_EVERY_MS = 250;

export class ArtifactCache {
  /** digest → the fetch under way and everyone following its progress */
  private readonly inflight = new Map<string, { done: Promise<string>; listeners: Set<Progress> }>();

  constructor(private readonly opts: CacheOptions) {}

  /** True when an entry for `digest` is on disk (not yet verified). */
  isCached(digest: string): boolean {
    return existsSync(this.entry(digest));
  }

  /** The directory holding the artifact, fetched and unpacked first when needed. */
  ensure(ref: PinnedArtifact, onProgress: Progress): Promise<string> {
    let pending = this.inflight.get(ref.digest);
    if (!pending) {
      const listeners = new Set<Progress>();
      const fanOut: Progress = (bytes, size) => {
        for (const listener of listeners) listener(bytes, size);
      };
      const done = this.ensureOnce(ref, fanOut).finally(() => this.inflight.delete(ref.digest));
      pending = { done, listeners };
      this.inflight.set(ref.digest, pending);
    }
    pending.listeners.add(onProgress);
    return pending.done;
  }

  /** Removes entries not in `inUse` and unused for `keepMs`, and leftover staging directories. */
  collect(inUse: ReadonlySet<string>, keepMs: number, now = Date.now()): string[] {
    if (!existsSync(this.opts.root)) return [];
    const removed: string[] = [];
    for (const name of readdirSync(this.opts.root)) {
      const path = join(this.opts.root, name);
      const digest = `sha256:${name}`;
      const staging = name.startsWith(".staging-");
      if ((!staging && inUse.has(digest)) || this.inflight.has(digest) || (staging && this.inflight.size > 0))
        continue;
      if (now - statSync(path).mtimeMs < keepMs) continue;
      rmSync(path, { recursive: true, force: true });
      removed.push(staging ? name : digest);
    }
    if (removed.length > 0) this.opts.logger.info({ removed }, "collected unused artifacts");
    return removed;
  }

  private entry(digest: string): string {
    return join(this.opts.root, digest.slice("sha256:".length));
  }

  private async ensureOnce(ref: PinnedArtifact, onProgress: Progress): Promise<string> {
    const dir = this.entry(ref.digest);
    if (existsSync(dir)) {
      const problem = await verifyTree(dir);
      if (!problem) {
        const now = new Date();
        utimesSync(dir, now, now);
        return join(dir, "tree");
      }
      this.opts.logger.warn(
        { artifact: ref.name, digest: ref.digest, problem },
        "cached artifact is corrupt: fetching it again",
      );
      rmSync(dir, { recursive: true, force: true });
    }
    const staging = join(
      this.opts.root,
      `.staging-${ref.digest.slice(7, 19)}-${randomBytes(4).toString("hex")}`,
    );
    try {
      mkdirSync(join(staging, "tree"), { recursive: true });
      const sums = await this.fetchInto(ref, staging, onProgress);
      writeFileSync(
        join(staging, "files.json"),
        JSON.stringify(sums ?? (await listTree(join(staging, "tree")))),
      );
      if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
      renameSync(staging, dir);
      return join(dir, "tree");
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
  }

  /** Downloads and unpacks; returns the file sums when it knows them already (a single file). */
  private async fetchInto(
    ref: PinnedArtifact,
    staging: string,
    onProgress: Progress,
  ): Promise<FileSum[] | undefined> {
    const what = `artifact ${ref.name} (${shortDigest(ref.digest)})`;
    let source: ArtifactSource;
    try {
      source = await this.opts.source();
    } catch (err) {
      throw new ArtifactError("fetch", `${what}: cannot open ${BUCKETS.artifacts}: ${errorMessage(err)}`);
    }
    const info = await source.info(ref.digest);
    const result = info && (await source.get(ref.digest));
    if (!info || !result) throw new ArtifactError("missing", `${what} is missing from ${BUCKETS.artifacts}`);
    if (info.size > this.opts.maxBytes) {
      throw new ArtifactError(
        "too_large",
        `${what} is ${info.size} bytes, more than the ${this.opts.maxBytes} allowed`,
      );
    }
    const blob = join(staging, "blob");
    const hex = await download(result, blob, Math.min(info.size, this.opts.maxBytes), what, onProgress);
    if (`sha256:${hex}` !== ref.digest) {
      throw new ArtifactError("corrupt", `${what} is corrupt: its bytes hash to sha256:${hex.slice(0, 12)}…`);
    }
    const tree = join(staging, "tree");
    if (info.kind === "tar.gz") {
      await checkTarGz(blob, { maxBytes: this.opts.maxBytes, maxEntries: 100_000 }).catch((err: Error) => {
        throw new ArtifactError("unsafe", `${what} cannot be unpacked: ${err.message}`);
      });
      await untar(blob, tree).catch((err: Error) => {
        throw new ArtifactError("unsafe", `${what} cannot be unpacked: ${err.message}`);
      });
      rmSync(blob);
      return undefined;
    }
    const filename = info.filename.replace(/[/\\]/g, "_");
    renameSync(blob, join(tree, filename));
    chmodSync(join(tree, filename), 0o755); // a single file is usually the program itself
    return [{ path: filename, sha256: hex }];
  }
}

/** Streams the object into `path`, hashing it; at most `limit` bytes. Returns the hex sha256. */
async function download(
  result: ObjectResult,
  path: string,
  limit: number,
  what: string,
  onProgress: Progress,
): Promise<string> {
  const hash = createHash("sha256");
  const file = await open(path, "w");
  const reader = result.data.getReader();
  let bytes = 0;
  let reported = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.length;
      if (bytes > limit) throw new ArtifactError("too_large", `${what} sent more than its ${limit} bytes`);
      hash.update(value);
      await file.write(value);
      if (Date.now() - reported >= PROGRESS_EVERY_MS) {
        reported = Date.now();
        onProgress(bytes, limit);
      }
    }
    const err = await result.error;
    if (err) throw new ArtifactError("corrupt", `${what}: ${errorMessage(err)}`);
  } catch (err) {
    await reader.cancel().catch(() => undefined);
    throw err instanceof ArtifactError ? err : new ArtifactError("fetch", `${what}: ${errorMessage(err)}`);
  } finally {
    await file.close();
  }
  onProgress(bytes, limit);
  return hash.digest("hex");
}

/** The system tar, told not to restore owners or permissions beyond the umask. */
function untar(archive: string, into: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("tar", ["-xzf", archive, "-C", into, "--no-same-owner", "--no-same-permissions"], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString("utf8");
    });
    child.once("error", reject);
    child.once("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`tar exited with ${code}: ${stderr.trim()}`)),
    );
  });
}

interface FileSum {
  path: string;
  sha256: string;
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** Every regular file under `root` with its sha256 (links and directories are not hashed). */
async function listTree(root: string): Promise<FileSum[]> {
  const out: FileSum[] = [];
  for (const entry of readdirSync(root, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    out.push({ path: relative(root, path), sha256: await sha256Of(path) });
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : 1));
}

/** undefined when every file is as unpacked; else what differs. */
async function verifyTree(dir: string): Promise<string | undefined> {
  let sums: FileSum[];
  try {
    sums = JSON.parse(readFileSync(join(dir, "files.json"), "utf8")) as FileSum[];
  } catch {
    return "its file list is missing or unreadable";
  }
  for (const { path, sha256 } of sums) {
    const full = join(dir, "tree", path);
    if (!existsSync(full)) return `${path} is missing`;
    if ((await sha256Of(full)) !== sha256) return `${path} has changed`;
  }
  return undefined;
}
