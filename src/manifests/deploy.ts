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
import type { EventType } from "../streams/subjects.js";
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
  if (res.changed) {
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

/** Publishes an `app_*` event after its KV write; a failure leaves the write for the resync. */
export async function announce<T extends "app_put" | "app_deployed" | "app_undeployed" | "app_deleted">(
  js: JetStreamClient,
  lattice: string,
  type: T,
  data: EventData<T & EventType>,
  eventId?: string,
  origin: "api" | "controller" = "api",
): Promise<void> {
  try {
    await publishEvent(js, lattice, type, eventSource(lattice, origin), data, eventId);
  } catch (err) {
    throw new UnavailableError(
      `stored, but the ${type} event could not be published to stream nadm_events: ${(err as Error).message}; ` +
        "a controller's periodic resync acts on the change anyway",
      { cause: err },
    );
  }
}
