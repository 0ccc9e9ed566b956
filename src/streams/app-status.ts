/**
 * The app status in KV `nadm_status` at `{lattice}.{app}` (ARCHITECTURE §7): written by the
 * reconciler only when it changes, read by the API (`status`, `history`).
 */
import { z } from "zod";

export const PHASES = ["undeployed", "waiting", "reconciling", "paused", "deployed", "failed"] as const;
export type Phase = (typeof PHASES)[number];

/** Severity for "the app's phase is the worst of its components'" (§7). */
const SEVERITY: Record<Phase, number> = {
  undeployed: 0,
  deployed: 1,
  reconciling: 2,
  paused: 3,
  waiting: 4,
  failed: 5,
};

export function worstPhase(phases: readonly Phase[], whenEmpty: Phase = "deployed"): Phase {
  return phases.reduce<Phase>(
    (worst, p) => (SEVERITY[p] > SEVERITY[worst] ? p : worst),
    phases[0] ?? whenEmpty,
  );
}

/** A rollout in progress (ARCHITECTURE §8): kept in the status so every replica sees the same deadline. */
export const rolloutStatusSchema = z.object({
  /** The version rolled from, when known. */
  from: z.string().nullable(),
  to: z.string(),
  /** Workload key of the revision rolled to. */
  key: z.string(),
  /** Instances of the new revision ready, and available (ready for minReadySeconds). */
  readyNew: z.number().int().min(0),
  availableNew: z.number().int().min(0),
  /** Every available instance, old and new. */
  available: z.number().int().min(0),
  /** The `serialBy` value being worked on. */
  active: z.string().nullable(),
  /** When `availableNew` last grew (or the rollout started or resumed): the progress deadline runs from here. */
  progressAt: z.string(),
  /** progressAt + progressDeadlineSeconds: when, without progress, the rollout fails. */
  deadlineAt: z.string().optional(),
  paused: z.boolean().optional(),
});
export type RolloutStatus = z.infer<typeof rolloutStatusSchema>;

export const componentStatusSchema = z.object({
  name: z.string(),
  scaler: z.string().nullable(),
  phase: z.enum(PHASES),
  message: z.string(),
  desired: z.number().int().min(0),
  running: z.number().int().min(0),
  ready: z.number().int().min(0),
  hosts: z.record(z.string(), z.number().int()),
  rollout: rolloutStatusSchema.optional(),
});
export type ComponentStatus = z.infer<typeof componentStatusSchema>;

export const appStatusSchema = z.object({
  name: z.string(),
  version: z.string().nullable(),
  phase: z.enum(PHASES),
  message: z.string(),
  observedGeneration: z.number().int().min(0),
  updatedAt: z.string(),
  components: z.array(componentStatusSchema),
});
export type AppStatus = z.infer<typeof appStatusSchema>;

/**
 * What the live hosts of a lattice report of one component of an app, all revisions together:
 * the API checks a status against it (lattice/reports.ts builds it from the host cache).
 */
export interface RunningComponent {
  component: string;
  running: number;
  ready: number;
  /** hostId → running instances. */
  hosts: Record<string, number>;
  /** Server time of the newest host report counted here (ISO). */
  reportedAt: string;
}
