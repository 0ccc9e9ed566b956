/**
 * Deploying through the API path, for the API's `deploy` op and for code that deploys on its own
 * (an auto-revert): the compare-and-set write of the index, then `app_deployed` carrying that
 * write's revision. `eventId` makes the event's id deterministic (e.g.
 * `revert:{lattice}:{app}:{from}`), so two replicas doing the same deploy publish one event;
 * `ifDeployed` makes the write conditional on what is deployed now, so they deploy once.
 */
import type { JetStreamClient } from "@nats-io/jetstream";
import { UnavailableError } from "../errors.js";
import { type EventData, eventSource, publishEvent } from "../streams/events.js";
import { dedupeIds, type EventType } from "../streams/subjects.js";
import type { RevertRecord } from "./app-index.js";
import type { ManifestStore, WriteResult } from "./store.js";

export interface DeployOptions {
  eventId?: string;
  /** Deploy only while this version (null: nothing) is the deployed one. */
  ifDeployed?: string | null;
  /** An auto-revert: recorded in the index, its reason carried by the event, sent by the controller. */
  revert?: RevertRecord;
}

export async function deployAndAnnounce(
  store: ManifestStore,
  js: JetStreamClient,
  lattice: string,
  name: string,
  version: string | undefined,
  opts: DeployOptions = {},
): Promise<WriteResult> {
  const { ifDeployed, revert } = opts;
  const res = await store.deploy(lattice, name, version, { ifDeployed, revert });
  // Nothing to change, but an earlier try may have written and lost its event (its reply never
  // came back, so the client retried): announce it again under the id of that write, which the
  // stream keeps once. Not for a revert: its deterministic id is already the guard.
  const repeat = !res.changed && !revert && res.revision > 0 && res.app?.deployedVersion != null;
  if (res.changed || repeat) {
    const data = { app: name, version: res.app?.deployedVersion ?? "", stateRevision: res.revision };
    const origin = revert ? "controller" : "api";
    await announce(
      js,
      lattice,
      "app_deployed",
      revert ? { ...data, reason: revert.reason } : data,
      opts.eventId,
      origin,
    );
  }
  return res;
}

/** How long the API keeps trying to publish the event of a write it made (a leader election takes ~5 s). */
export const ANNOUNCE_RETRY_MS = 15_000;

/**
 * Publishes an `app_*` event after its KV write. The write has happened, so the event must
 * follow: a client that retries the op finds nothing to change and would publish nothing, and
 * controllers would only act at their next periodic resync. So a failed publish is retried (a
 * NATS leader election or reconnect is over in seconds) under one id derived from the write,
 * which the stream's duplicate window keeps once however often it is sent.
 */
export async function announce<T extends "app_put" | "app_deployed" | "app_undeployed" | "app_deleted">(
  js: JetStreamClient,
  lattice: string,
  type: T,
  data: EventData<T & EventType>,
  eventId?: string,
  origin: "api" | "controller" = "api",
): Promise<void> {
  const d = data as { app: string; stateRevision?: number };
  const id =
    eventId ?? (d.stateRevision ? dedupeIds.appEvent(type, lattice, d.app, d.stateRevision) : undefined);
  const until = Date.now() + ANNOUNCE_RETRY_MS;
  for (;;) {
    try {
      await publishEvent(js, lattice, type, eventSource(lattice, origin), data, id);
      return;
    } catch (err) {
      if (id !== undefined && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 250));
        continue;
      }
      throw new UnavailableError(
        `stored, but the ${type} event could not be published to stream nadm_events: ${(err as Error).message}; ` +
          "a controller's periodic resync acts on the change anyway",
        { cause: err },
      );
    }
  }
}
