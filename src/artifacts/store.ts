/**
 * Artifacts in NATS: the bytes of a file or `.tar.gz` in the Object Store bucket
 * `nadm_artifacts`, stored once per content under the name `sha256:{hex}` (the same content
 * twice is stored once), and human names (`web-1.4.2`) as Object Store *links* to them — so
 * `nats obj get nadm_artifacts web-1.4.2` works too. A name points at one digest at a time;
 * manifests pin the digest at `put`, so re-pointing a name never changes a stored version.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { basename } from "node:path";
import { Readable } from "node:stream";
import type { JetStreamClient } from "@nats-io/jetstream";
import { type ObjectInfo, type ObjectResult, type ObjectStore, Objm, setSha256Backend } from "@nats-io/obj";
import type { NatsConnection } from "@nats-io/transport-node";
import { BadRequestError, NotFoundError } from "../errors.js";
import { BUCKETS } from "../streams/subjects.js";
import { artifactNameSchema, DIGEST_PATTERN } from "./ref.js";

// The client hashes every object it puts or gets; its default is pure JS (for browsers), several
// times slower than node:crypto on the tens of megabytes artifacts weigh. Process-wide, once.
setSha256Backend("native");

export const ARTIFACT_KINDS = ["tar.gz", "file"] as const;
export type ArtifactKind = (typeof ARTIFACT_KINDS)[number];

/** One stored content, and the names that point at it. */
export interface ArtifactInfo {
  digest: string;
  size: number;
  kind: ArtifactKind;
  /** The file name it was stored from: where a single-file artifact is placed on hosts. */
  filename: string;
  storedAt: string;
  names: string[];
}

export interface PutResult {
  name: string;
  digest: string;
  size: number;
  kind: ArtifactKind;
  /** false: these bytes were stored already (only the name was pointed at them). */
  uploaded: boolean;
}

/** `web-1.4.2.tar.gz` → `web-1.4.2`; `server.mjs` → `server.mjs`. */
export function defaultName(file: string): string {
  return basename(file).replace(/\.(tar\.gz|tgz)$/, "");
}

export function kindOf(file: string): ArtifactKind {
  return /\.(tar\.gz|tgz)$/.test(file) ? "tar.gz" : "file";
}

/** sha256 of a file, streamed, as `sha256:{hex}`, with its size and first two bytes. */
export async function digestFile(file: string): Promise<{ digest: string; size: number; magic: Buffer }> {
  const hash = createHash("sha256");
  let size = 0;
  let magic = Buffer.alloc(0);
  for await (const chunk of createReadStream(file)) {
    const buf = chunk as Buffer;
    if (magic.length < 2) magic = Buffer.concat([magic, buf.subarray(0, 2 - magic.length)]);
    hash.update(buf);
    size += buf.length;
  }
  return { digest: `sha256:${hash.digest("hex")}`, size, magic };
}

export class ArtifactStore {
  constructor(private readonly os: ObjectStore) {}

  /** Opens `nadm_artifacts`, creating it (with `replicas`) when missing. */
  static async open(nc: NatsConnection | JetStreamClient, replicas = 1): Promise<ArtifactStore> {
    return new ArtifactStore(await new Objm(nc).create(BUCKETS.artifacts, { replicas }));
  }

  /** Opens the provisioned `nadm_artifacts` without creating it. */
  static async connect(nc: NatsConnection | JetStreamClient): Promise<ArtifactStore> {
    return new ArtifactStore(await new Objm(nc).open(BUCKETS.artifacts));
  }

  /** Stores `file` (once per content) and points `name` at it. */
  async put(file: string, name = defaultName(file)): Promise<PutResult> {
    const parsedName = artifactNameSchema.safeParse(name);
    if (!parsedName.success) {
      throw new BadRequestError(`invalid artifact name "${name}"`, [
        { path: "name", message: parsedName.error.issues[0]?.message ?? "invalid" },
      ]);
    }
    const kind = kindOf(file);
    const { digest, size, magic } = await digestFile(file);
    if (kind === "tar.gz" && !(magic[0] === 0x1f && magic[1] === 0x8b)) {
      throw new BadRequestError(`${file} is named like a .tar.gz but is not gzip data`);
    }
    const existing = await this.os.info(digest);
    const uploaded = !existing || existing.deleted;
    if (uploaded) {
      const meta = { kind, filename: basename(file), storedAt: new Date().toISOString() };
      const data = Readable.toWeb(createReadStream(file)) as unknown as ReadableStream<Uint8Array>;
      await this.os.put({ name: digest, metadata: meta }, data);
    }
    await this.pointName(name, digest);
    return { name, digest, size, kind, uploaded };
  }

  /** The content a name or digest designates; null when there is none. */
  async info(nameOrDigest: string): Promise<ArtifactInfo | null> {
    const digest = DIGEST_PATTERN.test(nameOrDigest) ? nameOrDigest : await this.digestOf(nameOrDigest);
    if (!digest) return null;
    const info = await this.os.info(digest);
    if (!info || info.deleted) return null;
    return toInfo(info, await this.namesOf(digest));
  }

  /** The digest a name points at now; null for an unknown name. */
  async digestOf(name: string): Promise<string | null> {
    const link = await this.os.info(name);
    if (!link || link.deleted) return null;
    return link.options?.link?.name ?? null;
  }

  /** Every stored content with its names, newest first. */
  async list(): Promise<ArtifactInfo[]> {
    const all = (await this.os.list()).filter((i) => !i.deleted);
    const names = new Map<string, string[]>();
    for (const i of all) {
      const target = i.options?.link?.name;
      if (target) names.set(target, [...(names.get(target) ?? []), i.name].sort());
    }
    return all
      .filter((i) => DIGEST_PATTERN.test(i.name))
      .map((i) => toInfo(i, names.get(i.name) ?? []))
      .sort((a, b) => (a.storedAt < b.storedAt ? 1 : a.storedAt > b.storedAt ? -1 : 0));
  }

  /** A stream of the bytes of `digest` (verified by the client as they arrive); null if absent. */
  get(digest: string): Promise<ObjectResult | null> {
    return this.os.get(digest);
  }

  /**
   * Deletes a name, and the content it pointed at once no other name does; deleting by digest
   * removes the content and every name pointing at it. Returns what was removed.
   */
  async delete(nameOrDigest: string): Promise<{ names: string[]; digest: string | null }> {
    if (DIGEST_PATTERN.test(nameOrDigest)) {
      const info = await this.info(nameOrDigest);
      if (!info) throw new NotFoundError(`artifact ${nameOrDigest} not found`);
      for (const name of info.names) await this.os.delete(name);
      await this.os.delete(nameOrDigest);
      return { names: info.names, digest: nameOrDigest };
    }
    const digest = await this.digestOf(nameOrDigest);
    if (!digest) throw new NotFoundError(`artifact "${nameOrDigest}" not found`);
    await this.os.delete(nameOrDigest);
    const others = (await this.namesOf(digest)).filter((n) => n !== nameOrDigest);
    if (others.length > 0) return { names: [nameOrDigest], digest: null };
    await this.os.delete(digest);
    return { names: [nameOrDigest], digest };
  }

  private async namesOf(digest: string): Promise<string[]> {
    const all = await this.os.list();
    return all
      .filter((i) => !i.deleted && i.options?.link?.name === digest)
      .map((i) => i.name)
      .sort();
  }

  private async pointName(name: string, digest: string): Promise<void> {
    const current = await this.os.info(name);
    if (current && !current.deleted) {
      if (current.options?.link?.name === digest) return;
      if (!current.options?.link) {
        throw new BadRequestError(`"${name}" is not an artifact name in ${BUCKETS.artifacts}`);
      }
      // Object Store links cannot be updated in place: a reader in between sees no name.
      await this.os.delete(name);
    }
    const target = await this.os.info(digest);
    if (!target) throw new NotFoundError(`artifact ${digest} vanished while its name was being set`);
    await this.os.link(name, target);
  }
}

function toInfo(info: ObjectInfo, names: string[]): ArtifactInfo {
  const meta = info.metadata ?? {};
  return {
    digest: info.name,
    size: info.size,
    kind: meta.kind === "tar.gz" ? "tar.gz" : "file",
    filename: meta.filename ?? "artifact",
    storedAt: meta.storedAt ?? info.mtime,
    names,
  };
}
