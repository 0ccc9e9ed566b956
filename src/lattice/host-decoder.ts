/**
 * Decodes host records for a replica's cache, cheaply when a write is only a heartbeat.
 *
 * Every host rewrites its record each heartbeat (5,000 hosts at 5 s: 1,000 writes a second),
 * and every replica watches them all. Parsing and validating each one (JSON, zod) and
 * re-indexing the host was most of an idle replica's CPU. A write whose bytes differ from the
 * host's previous one only in `updatedAt` and `heartbeatSeq` reuses the previous parse, with
 * those two fields replaced and the same `labels` and `inventory` objects (so the lattice view
 * sees nothing to re-index). Anything else — or a record laid out differently, e.g. by another
 * implementation — is parsed in full, and checked by a hand-written validator that agrees with
 * the schema (host-record-check.ts), the schema itself deciding whatever that one does not pass.
 */
import * as crypto from "node:crypto";
import type { KvEntry } from "@nats-io/kv";
import type { HostRecord } from "../streams/host-record.js";
import { parseHostRecordText } from "./host-record-check.js";

/** The heartbeat fields as a host agent writes them, in its key order (labels cannot match: their values are strings). */
const HEARTBEAT = /"updatedAt":"([^"\\]*)","heartbeatIntervalMs":(\d+),"heartbeatSeq":(\d+),/;

/**
 * A fingerprint of a record's text without its heartbeat fields: SHA-1, not for security but
 * because it is the cheapest collision-safe digest at hand (about half MD5's time on 2.8 KB
 * records here), one-shot where Node has `crypto.hash` (20.12+).
 */
const fingerprint: (text: string) => string =
  typeof crypto.hash === "function"
    ? (text) => crypto.hash("sha1", text, "base64")
    : (text) => crypto.createHash("sha1").update(text).digest("base64");

export class HostRecordDecoder {
  /** key → digest of the record without its heartbeat fields, and the record last decoded. */
  private readonly last = new Map<string, { digest: string; record: HostRecord }>();

  decode(entry: KvEntry): HostRecord {
    const text = entry.string();
    const beat = HEARTBEAT.exec(text);
    if (!beat) {
      this.last.delete(entry.key);
      return parseHostRecordText(text);
    }
    const rest = text.slice(0, beat.index) + beat[2] + text.slice(beat.index + beat[0].length);
    const digest = fingerprint(rest);
    const prev = this.last.get(entry.key);
    const record =
      prev?.digest === digest
        ? { ...prev.record, updatedAt: beat[1]!, heartbeatSeq: Number(beat[3]) }
        : parseHostRecordText(text);
    this.last.set(entry.key, { digest, record });
    return record;
  }

  /** The key was deleted: its next write is parsed in full. */
  forget(key: string): void {
    this.last.delete(key);
  }
}
