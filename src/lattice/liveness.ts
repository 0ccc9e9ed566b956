/**
 * The liveness sweep run by whichever replica consumes a lattice tick: a host not seen (no
 * heartbeat in `nadm_liveness`, no record write in `nadm_hosts`) for 3 × its own heartbeat
 * interval is declared lost once the buckets agree — its heartbeat key and then its record are
 * deleted, each compare-and-set, so a host that just reported survives — and `host_lost` is
 * published.
 */
import type { JetStreamClient } from "@nats-io/jetstream";
import type { KV } from "@nats-io/kv";
import type { Logger } from "../log.js";
import { eventSource, publishEvent } from "../streams/events.js";
import { deleteAt, isWrongLastSequence } from "../streams/kv-cas.js";
import { BUCKETS, dedupeIds, keys } from "../streams/subjects.js";
import type { HostState, LatticeView } from "./view.js";

export const MISSED_HEARTBEATS = 3;

/**
 * Silence after which a host is *suspect*: it missed a heartbeat (plus slack for a slow write),
 * so nothing new is placed on it, while what it runs still counts until it is declared lost.
 * In a zone failure the hosts' last heartbeats are spread over one interval, so they are
 * declared lost over that interval; without this, instances re-placed after the first losses
 * would land on hosts about to be declared lost too (docs/ARCHITECTURE.md, deviation 42).
 */
export function suspectAfterMs(heartbeatIntervalMs: number): number {
  return heartbeatIntervalMs + Math.max(heartbeatIntervalMs / 2, 1_000);
}

/**
 * Pure: the hosts of a lattice that missed too many heartbeats at `now`. Silence before
 * `notBefore` (when this replica last reconnected to NATS) does not count: during a NATS outage
 * no host could report, and declaring them all lost would move every instance for nothing.
 */
export function expiredHosts(hosts: readonly HostState[], now: number, notBefore = 0): HostState[] {
  return hosts.filter((h) => now > expiresAt(h, notBefore));
}

/** The last moment `h` is not yet expired, unless it reports again (`notBefore` as above). */
function expiresAt(h: HostState, notBefore: number): number {
  return Math.max(h.seenAt.getTime(), notBefore) + MISSED_HEARTBEATS * h.record.heartbeatIntervalMs;
}

/**
 * Pure: the first moment after `now` at which a host that is suspect now (see suspectHosts) will
 * be expired if it stays silent; undefined when no suspect host is still short of expiry. Hosts
 * that report are never suspect, so a healthy lattice has none, and neither has one that is
 * mostly silent at once (massSilence: the sweep would hold off anyway).
 */
export function nextExpiry(hosts: readonly HostState[], now: number, notBefore = 0): number | undefined {
  const suspect = suspectHosts(hosts, now, notBefore);
  if (suspect.size === 0) return undefined;
  let next: number | undefined;
  for (const h of hosts) {
    if (!suspect.has(h.hostId)) continue;
    const at = expiresAt(h, notBefore) + 1;
    if (at > now && (next === undefined || at < next)) next = at;
  }
  return next;
}

/**
 * Pure: ids of the hosts that are suspect at `now` (see suspectAfterMs; `notBefore` as above).
 * None while most of a big lattice is silent at once (massSilence): that says more about NATS
 * than about the hosts — a JetStream leader election stops every host's writes a few seconds
 * before the controller's own publishes fail — and holding new instances off most hosts would
 * place them on the few that reported, to be moved back once the rest report again.
 */
export function suspectHosts(hosts: readonly HostState[], now: number, notBefore = 0): Set<string> {
  const out = new Set<string>();
  for (const h of hosts) if (silentTooLong(h, now, notBefore)) out.add(h.hostId);
  return massSilence(out.size, hosts.length) ? new Set() : out;
}

/** Pure: whether this one host has been silent long enough to be suspect (see suspectHosts). */
export function silentTooLong(h: HostState, now: number, notBefore = 0): boolean {
  return now - Math.max(h.seenAt.getTime(), notBefore) > suspectAfterMs(h.record.heartbeatIntervalMs);
}

/** Lattices at least this big hold the sweep when most of their hosts fall silent at once. */
export const MASS_SILENCE_MIN_HOSTS = 10;
/** "Most": more than this share of the lattice's hosts. */
export const MASS_SILENCE_SHARE = 0.55;

/**
 * Pure: whether the silence of `expired` out of `total` hosts says more about NATS than about
 * the hosts (Kubernetes' node controller stops evicting in a "full disruption" for the same
 * reason). A JetStream leader election in a NATS cluster stops every host's writes for seconds
 * without dropping any controller's connection, so no reconnect marks it; declaring most of a
 * fleet lost would move nearly every instance for nothing. Small lattices are swept as always.
 */
export function massSilence(expired: number, total: number): boolean {
  return total >= MASS_SILENCE_MIN_HOSTS && expired > MASS_SILENCE_SHARE * total;
}

export async function sweepLattice(
  view: LatticeView,
  liveness: KV,
  js: JetStreamClient,
  lattice: string,
  now: number,
  log: Logger,
  notBefore = 0,
): Promise<string[]> {
  const hosts = view.hosts(lattice);
  const expired = expiredHosts(hosts, now, notBefore);
  if (massSilence(expired.length, hosts.length)) {
    log.warn(
      { lattice, silent: expired.length, hosts: hosts.length },
      "most hosts silent at once: not sweeping",
    );
    return [];
  }
  // All at once: in a zone failure hundreds expire in one tick, and one by one each costs four
  // round trips before the next host's replacement can even start.
  const lost = await Promise.all(expired.map((host) => declareLost(host, view, liveness, js, log, now)));
  return lost.filter((id): id is string => id !== undefined);
}

/**
 * Declares the host lost if the bucket agrees: its heartbeat key holds the beat this replica
 * last had of it (or, if it never had one, a beat older than the expiry), and its record is
 * still the silent one. The heartbeat key is deleted first, compare-and-set: that is the
 * verdict's point of no return, and a host that beats after it finds the key gone and writes
 * its record again. Then the record (compare-and-set on its revision), then `host_lost`.
 */
async function declareLost(
  host: HostState,
  view: LatticeView,
  liveness: KV,
  js: JetStreamClient,
  log: Logger,
  now: number,
) {
  const { lattice, hostId } = host;
  const key = keys.host(lattice, hostId);
  if (!(await silentInBucket(host, view, liveness, key, now))) return undefined;
  let tombstone: number;
  try {
    tombstone = await deleteAt(js, BUCKETS.hosts, key, host.revision);
  } catch (err) {
    if (isWrongLastSequence(err)) return undefined; // it reported meanwhile: alive
    throw err;
  }
  const lastSeen = host.seenAt.toISOString();
  log.warn({ lattice, hostId, lastSeen }, "host lost: no heartbeat");
  await publishEvent(
    js,
    lattice,
    "host_lost",
    eventSource(lattice, "controller"),
    { hostId, lastSeen, stateRevision: tombstone },
    dedupeIds.hostLost(lattice, hostId, host.revision),
  );
  return hostId;
}

/**
 * Whether the host's heartbeat key confirms its silence, and if so deletes it (compare-and-set).
 * A beat this replica missed (a newer text than the one it has) makes the host seen again.
 * No key at all (a host that never beat, or one of a version that beat by rewriting its
 * record) leaves the verdict to the record alone.
 */
async function silentInBucket(host: HostState, view: LatticeView, kv: KV, key: string, now: number) {
  const entry = await kv.get(key);
  if (entry?.operation !== "PUT") return true;
  const text = entry.string();
  const newer =
    host.beat !== undefined
      ? text !== host.beat
      : now - entry.created.getTime() <= MISSED_HEARTBEATS * host.record.heartbeatIntervalMs;
  if (newer) {
    view.readBeat(key, text, entry.created);
    return false;
  }
  try {
    await kv.delete(key, { previousSeq: entry.revision });
    return true;
  } catch (err) {
    if (isWrongLastSequence(err)) return false; // it beat meanwhile: alive
    throw err;
  }
}
