/** Waiting for an app's status (through the API) to satisfy a condition, with a deadline. */
import type { ApiClient } from "../../src/api/client.js";
import type { AppStatus } from "../../src/streams/app-status.js";
import { waitFor } from "./wait.js";

export async function statusWhere(
  api: ApiClient,
  name: string,
  ok: (s: AppStatus) => boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<AppStatus> {
  let last: AppStatus | undefined;
  try {
    return await waitFor(
      async () => {
        last = await api.status(name);
        return ok(last) ? last : undefined;
      },
      { timeoutMs, what },
    );
  } catch (err) {
    // Say where it stood: a timeout alone does not tell what the status was doing.
    const seen = last ? `${last.phase} (${last.version}): ${last.message}` : "no status";
    throw new Error(`${(err as Error).message}; last status ${seen}`, { cause: err });
  }
}
