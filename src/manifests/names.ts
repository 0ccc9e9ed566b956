/**
 * Names that become NATS subject tokens and KV key parts. A leaf module: the manifest schema
 * and the process properties (which name linked components) both use it.
 */
import { z } from "zod";

export const MAX_NAME_LENGTH = 63;

/**
 * App and component names become NATS subject tokens and KV key parts (`{app}.{component}.{rev}`),
 * so `.`, `*`, `>` and whitespace can never appear; the DNS-label rule is the familiar subset.
 * The length is checked apart so that a long name gets one message, not two.
 */
export const nameSchema = z
  .string()
  .max(MAX_NAME_LENGTH)
  .regex(/^[a-z]([a-z0-9-]*[a-z0-9])?$/, {
    error:
      "must be lowercase letters, digits and '-', starting with a letter and ending with a letter or digit",
  });
