/**
 * Failures of the host agent, one small class each (STYLE §7).
 */

/** The agent's options are invalid; the message lists every bad field. */
export class InvalidHostOptionsError extends Error {
  override name = "InvalidHostOptionsError";
}

/** A host id that is not a valid subject token. */
export class InvalidHostIdError extends Error {
  override name = "InvalidHostIdError";
}

/** The host record could not be written after bounded compare-and-set retries. */
export class HostRecordConflictError extends Error {
  override name = "HostRecordConflictError";
}

/** `start()` on a running agent, or `start()` after `stop()`. */
export class AgentLifecycleError extends Error {
  override name = "AgentLifecycleError";
}
