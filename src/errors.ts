/**
 * Typed errors with stable codes (STYLE §7). The same codes travel in API replies
 * (ARCHITECTURE §9) and decide the CLI's exit code.
 */

export const ErrorCode = {
  InvalidManifest: "invalid_manifest",
  NotFound: "not_found",
  Conflict: "conflict",
  BadRequest: "bad_request",
  Unavailable: "unavailable",
  Internal: "internal",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** One problem at one place in the input, e.g. `spec.components[0].traits[0].properties.instances`. */
export interface ErrorDetail {
  path: string;
  message: string;
}

export interface ErrorBody {
  code: ErrorCode;
  message: string;
  /** Always present; empty when the problem is not about one field. */
  details: ErrorDetail[];
}

export class NadmError extends Error {
  override name = "NadmError";
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: ErrorDetail[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  toBody(): ErrorBody {
    return { code: this.code, message: this.message, details: this.details };
  }
}

export class InvalidManifestError extends NadmError {
  override name = "InvalidManifestError";
  constructor(message: string, details: ErrorDetail[]) {
    super(ErrorCode.InvalidManifest, message, details);
  }
}

export class NotFoundError extends NadmError {
  override name = "NotFoundError";
  constructor(message: string) {
    super(ErrorCode.NotFound, message);
  }
}

export class ConflictError extends NadmError {
  override name = "ConflictError";
  constructor(message: string, details: ErrorDetail[] = []) {
    super(ErrorCode.Conflict, message, details);
  }
}

export class BadRequestError extends NadmError {
  override name = "BadRequestError";
  constructor(message: string, details: ErrorDetail[] = []) {
    super(ErrorCode.BadRequest, message, details);
  }
}

export class UnavailableError extends NadmError {
  override name = "UnavailableError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.Unavailable, message, [], options);
  }
}

/** Something that should not happen did (e.g. stored data that contradicts itself). */
export class InternalError extends NadmError {
  override name = "InternalError";
  constructor(message: string) {
    super(ErrorCode.Internal, message);
  }
}

/** Turns anything thrown into a reply body; unknown errors become `internal` without leaking stacks. */
export function toErrorBody(err: unknown): ErrorBody {
  if (err instanceof NadmError) return err.toBody();
  const message = err instanceof Error ? err.message : String(err);
  return { code: ErrorCode.Internal, message, details: [] };
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
