/**
 * Shapes the reconcile modules share (plan, desired, status, rollout), kept apart so those
 * modules do not import each other for types.
 */
import type { Manifest } from "../manifests/schema.js";

/**
 * What reconciling needs of an app's stored state: its index (which version is deployed, which
 * one a revert goes back to) and the deployed version's manifest — never the other versions.
 */
export interface AppState {
  deployedVersion: string | null;
  /** The version deployed before the current one (what an auto-revert deploys again). */
  previousVersion: string | null;
  /** Bumped on every change the reconciler must act on (deploy, undeploy, pause...). */
  generation: number;
  paused: boolean;
  /** The last auto-revert, while the version it went back to is deployed. */
  revert?: { from: string; to: string; reason: string };
  /** The deployed version's manifest; undefined when nothing is deployed. */
  deployed?: { version: string; manifest: Manifest };
}
