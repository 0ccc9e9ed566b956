/**
 * Decodes host records for a replica's cache, cheaply when a write is only a heartbeat.
 *
 * Hosts of this version beat in `nadm_liveness` and write their record only when it changes
 * (docs/ARCHITECTURE.md, deviation 68); hosts of earlier versions rewrite it each heartbeat
 * (5,000 hosts at 5 s: 1,000 writes a second), and every replica watches them all. Parsing and
 * validating each one (JSON, zod) and re-indexing the host was most of an idle replica's CPU. A write whose text equals the host's
 * previous one except for the values of `updatedAt` and `heartbeatSeq` reuses the previous
 * parse, with those two fields replaced and the same `labels` and `inventory` objects (so the
 * lattice view sees nothing to re-index). Anything else — or a record laid out differently, e.g.
 * by another implementation — is parsed in full, and checked by a hand-written validator that
 * agrees with the schema (host-record-check.ts), the schema itself deciding whatever that one
 * does not pass.
 *
 * The previous text is compared, not a digest of it: a comparison of the two texts around the
 * heartbeat fields is exact and cheaper than hashing (SHA-1 of the text was a third of the
 * decoder's time), and keeping the text costs next to no memory: the `updatedAt` cut from a
 * heartbeat's text (a slice, which V8 does not copy) kept that text alive already.
 */
import type { KvEntry } from "@nats-io/kv";
import type { HostRecord } from "../streams/host-record.js";
import { parseHostRecordText } from "./host-record-check.js";

/** The heartbeat fields as a host agent writes them, in its key order (labels cannot match: their values are strings). */
const HEARTBEAT = /"updatedAt":"([^"\\]*)","heartbeatIntervalMs":(\d+),"heartbeatSeq":(\d+),/;

/** A host's last write: its text, where its heartbeat fields were in it, and its record. */
interface Last {
  text: string;
  /** Start and end of the heartbeat fields in `text`. */
  from: number;
  to: number;
  interval: string;
  record: HostRecord;
}

/** True if `text`, with its heartbeat fields at `from`..`to`, equals `last.text` outside them. */
function sameOutsideBeat(text: string, from: number, to: number, last: Last): boolean {
  return (
    from === last.from &&
    text.length - to === last.text.length - last.to &&
    text.slice(0, from) === last.text.slice(0, from) &&
    text.slice(to) === last.text.slice(last.to)
  );
}

export class HostRecordDecoder {
  /** key → the host's last write decoded with a heartbeat. */
  private readonly last = new Map<string, Last>();

  decode(entry: KvEntry): HostRecord {
    const text = entry.string();
    const beat = HEARTBEAT.exec(text);
    if (!beat) {
      this.last.delete(entry.key);
      return parseHostRecordText(text);
    }
    const from = beat.index;
    const to = from + beat[0].length;
    const interval = beat[2]!;
    const prev = this.last.get(entry.key);
    const record =
      prev !== undefined && prev.interval === interval && sameOutsideBeat(text, from, to, prev)
        ? { ...prev.record, updatedAt: beat[1]!, heartbeatSeq: Number(beat[3]) }
        : parseHostRecordText(text);
    this.last.set(entry.key, { text, from, to, interval, record });
    return record;
  }

  /** The key was deleted: its next write is parsed in full. */
  forget(key: string): void {
    this.last.delete(key);
  }
}
