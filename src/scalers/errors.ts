/**
 * A scaler broke its contract (bad module shape, duplicate type, malformed result). Custom
 * scalers are untrusted code, so the core checks their output instead of believing it.
 */
import { ErrorCode, NadmError } from "../errors.js";

export class ScalerError extends NadmError {
  override name = "ScalerError";
  constructor(
    /** The scaler's trait type, or where it was loaded from when the type itself is unusable. */
    readonly scalerType: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    // `internal`: a scaler bug is not the manifest author's fault and retrying cannot fix it.
    super(ErrorCode.Internal, `scaler "${scalerType}": ${message}`, [], options);
  }
}
