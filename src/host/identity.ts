/**
 * A host's identity: the explicit `--host-id`, or an id generated once and kept in
 * `{dataDir}/host-id`, so a restarted agent reports as the same host.
 */
import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { isToken } from "../streams/subjects.js";
import { InvalidHostIdError } from "./errors.js";

export const HOST_ID_FILE = "host-id";

/** `host-` and 8 lowercase hex characters: a valid subject token. */
export function generateHostId(): string {
  return `host-${randomBytes(4).toString("hex")}`;
}

export async function resolveHostId(explicit: string | undefined, dataDir: string): Promise<string> {
  if (explicit !== undefined) {
    if (!isToken(explicit)) {
      throw new InvalidHostIdError(
        `host id ${JSON.stringify(explicit)} is not valid: use letters, digits, '-' or '_' (≤ 63), starting with a letter or digit`,
      );
    }
    return explicit;
  }
  const path = join(dataDir, HOST_ID_FILE);
  const stored = await readFile(path, "utf8").then(
    (text) => text.trim(),
    () => undefined,
  );
  if (stored && isToken(stored)) return stored;
  await mkdir(dataDir, { recursive: true });
  const id = generateHostId();
  // "wx": two agents racing on one data dir must not end up with two ids.
  try {
    await writeFile(path, `${id}\n`, { flag: stored === undefined ? "wx" : "w" });
    return id;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    return resolveHostId(undefined, dataDir);
  }
}
