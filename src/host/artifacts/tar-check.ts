/**
 * Reads the entry list of a `.tar.gz` (ustar, GNU long names, pax paths) without extracting
 * anything, to refuse an archive before the system `tar` unpacks it: absolute paths, `..`,
 * links pointing outside the archive, devices and FIFOs, and more bytes or entries than allowed.
 * GNU tar would skip some of these silently; an artifact that needs them is refused whole,
 * with the entry named.
 */
import { createReadStream } from "node:fs";
import { posix } from "node:path";
import { createGunzip } from "node:zlib";

const BLOCK = 512;

export interface TarLimits {
  maxBytes: number;
  maxEntries: number;
}

export class UnsafeArchiveError extends Error {
  override name = "UnsafeArchiveError";
}

interface Header {
  name: string;
  size: number;
  type: string;
  linkname: string;
}

function text(block: Buffer, start: number, length: number): string {
  const raw = block.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end < 0 ? raw.length : end).toString("utf8");
}

function octal(block: Buffer, start: number, length: number): number {
  // GNU base-256 for sizes ≥ 8 GiB: far beyond any limit here, so reading it as huge is enough.
  if ((block[start] ?? 0) & 0x80) return Number.MAX_SAFE_INTEGER;
  const value = Number.parseInt(text(block, start, length).trim() || "0", 8);
  return Number.isFinite(value) ? value : Number.MAX_SAFE_INTEGER;
}

function header(block: Buffer): Header {
  const prefix = text(block, 345, 155);
  const name = text(block, 0, 100);
  return {
    name: prefix && block.subarray(257, 262).toString() === "ustar" ? `${prefix}/${name}` : name,
    size: octal(block, 124, 12),
    type: String.fromCharCode(block[156] ?? 0),
    linkname: text(block, 157, 100),
  };
}

/** pax records "len key=value\n": only `path` and `linkpath` matter here. */
function paxPaths(data: Buffer): { path?: string; linkpath?: string } {
  const out: { path?: string; linkpath?: string } = {};
  for (const line of data.toString("utf8").split("\n")) {
    const record = line.slice(line.indexOf(" ") + 1);
    const eq = record.indexOf("=");
    const key = record.slice(0, eq);
    if (key === "path" || key === "linkpath") out[key] = record.slice(eq + 1);
  }
  return out;
}

/** A path inside the archive's root, normalised; throws for one that leaves it. */
export function safeInside(path: string, what: string): string {
  if (path.startsWith("/")) throw new UnsafeArchiveError(`${what} ${JSON.stringify(path)} is absolute`);
  const normal = posix.normalize(path);
  if (normal === ".." || normal.startsWith("../")) {
    throw new UnsafeArchiveError(`${what} ${JSON.stringify(path)} leaves the archive`);
  }
  return normal;
}

function checkEntry(h: Header): void {
  const name = safeInside(h.name, "entry");
  if (h.name.split("/").includes(".."))
    throw new UnsafeArchiveError(`entry ${JSON.stringify(h.name)} contains ".."`);
  if (h.type === "2") {
    safeInside(h.linkname, `symlink ${name} → target`); // absolute targets
    safeInside(posix.join(posix.dirname(name), h.linkname), `symlink ${name} → target`);
  }
  if (h.type === "1") safeInside(h.linkname, `hard link ${name} → target`);
  if (!["0", "\0", "7", "5", "2", "1"].includes(h.type)) {
    throw new UnsafeArchiveError(
      `entry ${JSON.stringify(name)} has type ${JSON.stringify(h.type)} (only files, directories and links)`,
    );
  }
}

/** Throws `UnsafeArchiveError` naming the first entry that may not be unpacked. */
export async function checkTarGz(
  file: string,
  limits: TarLimits,
): Promise<{ entries: number; bytes: number }> {
  const state = {
    entries: 0,
    bytes: 0,
    override: {} as { path?: string; linkpath?: string },
    longName: "",
    longLink: "",
  };
  let buffer = Buffer.alloc(0);
  /** Bytes of the current entry's data still to come in later chunks. */
  let pendingSkip = 0;
  for await (const chunk of createReadStream(file).pipe(createGunzip())) {
    buffer = Buffer.concat([buffer, chunk as Buffer]);
    const dropped = Math.min(pendingSkip, buffer.length);
    buffer = buffer.subarray(dropped);
    pendingSkip -= dropped;
    while (pendingSkip === 0 && buffer.length >= BLOCK) {
      const block = buffer.subarray(0, BLOCK);
      if (block.every((b) => b === 0)) return { entries: state.entries, bytes: state.bytes };
      const h = header(block);
      const total = BLOCK + Math.ceil(h.size / BLOCK) * BLOCK;
      const meta = "xLKg".includes(h.type);
      if (meta && h.size > 1024 * 1024) throw new UnsafeArchiveError("oversized metadata entry");
      if (meta && buffer.length < total) break; // wait for the whole metadata body
      onEntry(h, buffer.subarray(BLOCK, BLOCK + h.size), state, limits);
      if (buffer.length >= total) buffer = buffer.subarray(total);
      else [pendingSkip, buffer] = [total - buffer.length, Buffer.alloc(0)];
    }
  }
  return { entries: state.entries, bytes: state.bytes };
}

interface ReadState {
  entries: number;
  bytes: number;
  override: { path?: string; linkpath?: string };
  longName: string;
  longLink: string;
}

/** Metadata entries set the next entry's name; a real entry is checked and counted. */
function onEntry(h: Header, data: Buffer, state: ReadState, limits: TarLimits): void {
  if (h.type === "x") state.override = paxPaths(data);
  else if (h.type === "L") state.longName = text(data, 0, data.length);
  else if (h.type === "K") state.longLink = text(data, 0, data.length);
  else if (h.type !== "g") {
    const name = state.override.path ?? (state.longName || h.name);
    const linkname = state.override.linkpath ?? (state.longLink || h.linkname);
    const entry = { ...h, name, linkname };
    checkEntry(entry);
    state.entries++;
    state.bytes += "0\u00007".includes(entry.type) ? entry.size : 0;
    if (state.entries > limits.maxEntries)
      throw new UnsafeArchiveError(`more than ${limits.maxEntries} entries`);
    if (state.bytes > limits.maxBytes)
      throw new UnsafeArchiveError(`unpacks to more than ${limits.maxBytes} bytes`);
    [state.override, state.longName, state.longLink] = [{}, "", ""];
  }
}
