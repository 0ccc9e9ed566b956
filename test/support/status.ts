/** Waiting for an app's status (through the API) to satisfy a condition, with a deadline. */
import type { ApiClient } from "../../src/api/client.js";
import type { AppStatus } from "../../src/streams/app-status.js";
import { waitFor } from "./wait.js";

export function statusWhere(
  api: ApiClient,
  name: string,
  ok: (s: AppStatus) => boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<AppStatus> {
  return waitFor(
    async () => {
      const s = await api.status(name);
      return ok(s) ? s : undefined;
    },
    { timeoutMs, what },
  );
}
