/**
 * A hand-written check of the host record's shape, for the controller's hot path: every
 * replica decodes every changed host record, and zod validating a record of 10–50 workloads
 * cost about as much as `JSON.parse` itself (bench/README.md, M2).
 *
 * `hostRecordSchema` stays the contract. This check accepts only what the schema accepts *and*
 * returns unchanged (no key the schema does not know, since zod strips those); for such a value
 * the parsed JSON is the record. Anything else goes to the schema, which strips, or rejects with
 * its own error. test/unit/lattice/host-record-check.test.ts holds the two to the same verdicts
 * and outputs (fast-check), and the field tables below are typed by the schema's keys, so a
 * field added to the schema does not compile until it is checked here.
 */
import {
  type ArtifactState,
  DRIVERS,
  type HostRecord,
  hostRecordSchema,
  type WorkloadInventory,
} from "../streams/host-record.js";

type Check = (v: unknown) => boolean;
/** A field's check, and whether the key may be absent. */
type Field = { check: Check; optional?: true };

const string: Check = (v) => typeof v === "string";
const int: Check = (v) => Number.isSafeInteger(v);
const count: Check = (v) => Number.isSafeInteger(v) && (v as number) >= 0;
const oneOf =
  (values: readonly string[]): Check =>
  (v) =>
    typeof v === "string" && values.includes(v);
const nullable =
  (check: Check): Check =>
  (v) =>
    v === null || check(v);
const arrayOf =
  (check: Check): Check =>
  (v) =>
    Array.isArray(v) && v.every(check);
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
/** zod's record: an object whose every value passes (a "__proto__" key: the schema decides). */
const recordOf =
  (check: Check): Check =>
  (v) => {
    if (!isObject(v)) return false;
    for (const key in v) if (key === "__proto__" || !check(v[key])) return false;
    return true;
  };
const optional = (check: Check): Field => ({ check, optional: true });
const required = (check: Check): Field => ({ check });

/** zod's object: the fields' checks, and no key the schema would strip. */
function objectOf<T>(fields: { [K in keyof Required<T>]: Field }): Check {
  const table: Record<string, Field> = fields;
  const names = Object.keys(table);
  return (v) => {
    if (!isObject(v)) return false;
    let present = 0;
    for (const key in v) {
      if (!Object.hasOwn(table, key)) return false;
      present++;
    }
    let seen = 0;
    for (const name of names) {
      if (!Object.hasOwn(v, name)) {
        if (!table[name]!.optional) return false;
        continue;
      }
      seen++;
      if (!table[name]!.check(v[name])) return false;
    }
    return seen === present;
  };
}

const artifact = objectOf<ArtifactState>({
  name: required(string),
  digest: required(string),
  state: required(oneOf(["fetching", "ready", "failed"])),
  bytes: required(count),
  size: required(count),
  error: optional(string),
});

const inventoryEntry = objectOf<WorkloadInventory>({
  app: required(string),
  component: required(string),
  rev: required(string),
  desired: required(count),
  running: required(count),
  ready: required(count),
  failed: required(count),
  restarts: required(count),
  lastError: required(nullable(string)),
  lastCommandId: optional(nullable(string)),
  readyAt: optional(arrayOf(count)),
  pids: optional(arrayOf(int)),
  probe: optional(string),
  endpoints: optional(arrayOf(string)),
  artifact: optional(artifact),
});

const hostRecord = objectOf<HostRecord>({
  hostId: required(string),
  lattice: required(string),
  labels: required(recordOf(string)),
  driver: required(oneOf(DRIVERS)),
  version: required(string),
  startedAt: required(string),
  updatedAt: required(string),
  heartbeatIntervalMs: required((v) => Number.isSafeInteger(v) && (v as number) > 0),
  heartbeatSeq: required(count),
  incarnation: optional(count),
  retired: optional(recordOf(nullable(string))),
  address: optional(string),
  inventory: required(recordOf(inventoryEntry)),
});

/** True when `raw` is a host record the schema would return unchanged. */
export function isPlainHostRecord(raw: unknown): raw is HostRecord {
  return hostRecord(raw);
}

/** JSON text → host record: the parsed value itself when it passes the check, else the schema's verdict. */
export function parseHostRecordText(text: string): HostRecord {
  const raw: unknown = JSON.parse(text);
  return isPlainHostRecord(raw) ? raw : hostRecordSchema.parse(raw);
}
