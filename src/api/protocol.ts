/**
 * The API's wire contract (ARCHITECTURE §9), shared by the responder and the client the CLI uses.
 */
import { z } from "zod";
import type { ErrorBody } from "../errors.js";
import type { AppStatus, Phase } from "../streams/app-status.js";

/** Requests larger than this are refused before parsing (a manifest is ≤ 1 MiB). */
export const MAX_REQUEST_BYTES = 1024 * 1024 + 4096;

const NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export const nameSchema = z
  .string({ error: "is required and must be a string" })
  .regex(NAME, "must be a DNS label: lowercase letters, digits and '-', at most 63 characters");

export const namedRequestSchema = z.strictObject({
  name: nameSchema,
  version: z.string().min(1).max(128).optional(),
});
export type NamedRequest = z.infer<typeof namedRequestSchema>;

export const emptyRequestSchema = z.strictObject({});

export type Envelope<T> = { ok: true; result: T } | { ok: false; error: ErrorBody };

export interface PutResult {
  name: string;
  version: string;
  /** false when the identical version was already stored. */
  created: boolean;
  versions: number;
}

export interface GetResult {
  name: string;
  version: string;
  deployed: boolean;
  manifest: unknown;
}

export interface AppSummary {
  name: string;
  latestVersion: string | null;
  deployedVersion: string | null;
  versions: number;
  paused: boolean;
  phase: Phase;
  message: string;
}

export interface ListResult {
  apps: AppSummary[];
}

export interface VersionsResult {
  name: string;
  versions: Array<{ version: string; createdAt: string; deployed: boolean }>;
}

export interface DeleteResult {
  name: string;
  version: string | null;
  deleted: true;
  undeployed: boolean;
}

export interface DeployResult {
  name: string;
  version: string | null;
  changed: boolean;
}

export interface PauseResult {
  name: string;
  paused: boolean;
  changed: boolean;
}

export interface ValidateResult {
  valid: true;
  name: string;
  version: string | null;
  components: string[];
}

export type StatusResult = AppStatus;

export interface HistoryResult {
  name: string;
  /** Status transitions, oldest first (as deep as the status bucket's history). */
  entries: Array<AppStatus & { revision: number }>;
  /** API actions and auto-reverts, oldest first: put, pause, resume, deploy, revert, undeploy, delete. */
  actions: Array<{ at: string; action: string; version: string | null; reason?: string }>;
  /** With `commands: true`: the commands issued for the app, in stream order. */
  commands?: Array<{
    at: string;
    id: string;
    hostId: string;
    component: string;
    workload: string;
    count: number;
    reason: string;
  }>;
}

/** One command of a planned wave: host, workload, count from → to, and why. */
export interface PlanCommand {
  hostId: string;
  component: string;
  workload: string;
  from: number;
  to: number;
  reason: string;
}

export interface PlanResult {
  name: string;
  /** The version planned to, and the one deployed now (null: none). */
  version: string;
  from: string | null;
  /** In the order the reconciler takes them; `groups` are the serialBy values a wave disrupts. */
  waves: Array<{ wave: number; groups: string[]; commands: PlanCommand[] }>;
  /** Component → hostId → instances once the waves are done. */
  placement: Record<string, Record<string, number>>;
  /** The status the app would reach, with the reconciler's own sentence. */
  phase: Phase;
  message: string;
  /** false: it would not converge (the message says why). */
  finished: boolean;
}
