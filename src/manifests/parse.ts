/**
 * From the bytes a user sent (`app put`, `app validate`) to a validated manifest. YAML and JSON
 * are both accepted; every failure is an `InvalidManifestError` whose details say where.
 */
import { type Document, isScalar, LineCounter, parseAllDocuments } from "yaml";
import { type ErrorDetail, errorMessage, InvalidManifestError } from "../errors.js";
import type { TraitCatalog } from "./catalog.js";
import type { Manifest } from "./schema.js";
import { validateManifest } from "./validate.js";

/** Checked before parsing, so an oversized body costs no parse time (ARCHITECTURE §9). */
export const MAX_MANIFEST_BYTES = 1024 * 1024;

/** How many problems the error's one-line message lists; the details carry all of them. */
const SUMMARY_DETAILS = 3;

export function parseManifestText(text: string | Uint8Array, catalog: TraitCatalog): Manifest {
  const result = validateManifest(parseDocument(decode(text)), catalog);
  if (!result.ok) throw new InvalidManifestError(summarize(result.details), result.details);
  return result.manifest;
}

function decode(input: string | Uint8Array): string {
  const size = typeof input === "string" ? Buffer.byteLength(input, "utf8") : input.byteLength;
  if (size > MAX_MANIFEST_BYTES) {
    fail(`manifest is ${size} bytes; the limit is ${MAX_MANIFEST_BYTES} bytes (1 MiB)`);
  }
  if (typeof input === "string") return input;
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(input);
  } catch {
    return fail("manifest is not valid UTF-8 text");
  }
}

/** The one document in `text`, as plain data. JSON is YAML, so one parser reads both. */
export function parseDocument(text: string): unknown {
  if (text.trim() === "") fail("manifest is empty");
  const lines = new LineCounter();
  // A trailing `---` leaves an empty document behind; only documents with content count.
  const documents = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false }).filter(
    (doc) =>
      doc.errors.length > 0 ||
      !(isScalar(doc.contents) && doc.contents.range?.[0] === doc.contents.range?.[1]),
  );
  const broken = documents.find((doc) => doc.errors.length > 0);
  if (broken) {
    // Someone writing JSON is better served by JSON's own account of the mistake.
    if (/^\s*[{[]/.test(text)) checkJsonSyntax(text);
    const details = broken.errors.map((error) => {
      const { line, col } = lines.linePos(error.pos[0]);
      return { path: "", message: `YAML syntax error at line ${line}, column ${col}: ${error.message}` };
    });
    throw new InvalidManifestError(summarize(details), details);
  }
  if (documents.length > 1) fail(`expected one YAML document, found ${documents.length}`);
  const value = documents[0] ? toData(documents[0]) : null;
  if (value === null || value === undefined) fail("manifest is empty");
  return value;
}

function toData(document: Document.Parsed): unknown {
  try {
    // Bounds alias expansion, so a "billion laughs" document cannot exhaust memory.
    return document.toJS({ maxAliasCount: 100 });
  } catch (err) {
    return fail(`YAML error: ${errorMessage(err)}`);
  }
}

function checkJsonSyntax(text: string): void {
  try {
    JSON.parse(text);
  } catch (err) {
    const reason = errorMessage(err).replace(/ in JSON at position \d+.*$/, "");
    const at = /at position (\d+)/.exec(errorMessage(err));
    const { line, column } = lineAndColumn(text, at ? Number(at[1]) : text.length);
    fail(`JSON syntax error at line ${line}, column ${column}: ${reason}`);
  }
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  return { line, column: offset - before.lastIndexOf("\n") };
}

/** A problem with the text as a whole, before there is any structure to point into. */
function fail(message: string): never {
  const details = [{ path: "", message }];
  throw new InvalidManifestError(summarize(details), details);
}

function summarize(details: readonly ErrorDetail[]): string {
  const shown = details
    .slice(0, SUMMARY_DETAILS)
    .map((d) => (d.path ? `${d.path}: ${d.message}` : d.message));
  const more = details.length > SUMMARY_DETAILS ? `; and ${details.length - SUMMARY_DETAILS} more` : "";
  const count = details.length === 1 ? "1 problem" : `${details.length} problems`;
  return `invalid manifest (${count}): ${shown.join("; ")}${more}`;
}

/**
 * Fills in `metadata.annotations.version` from the time of `put` when the user gave none. The
 * format (`v20261123T103000123Z`, UTC, ms) sorts lexicographically in time order.
 */
export function assignVersion(manifest: Manifest, now: Date): Manifest {
  if (manifest.metadata.annotations?.version !== undefined) return manifest;
  const annotations = { ...manifest.metadata.annotations, version: versionAt(now) };
  return { ...manifest, metadata: { ...manifest.metadata, annotations } };
}

export function versionAt(now: Date): string {
  return `v${now.toISOString().replace(/[-:.]/g, "")}`;
}
