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
  entries: Array<AppStatus & { revision: number }>;
}
