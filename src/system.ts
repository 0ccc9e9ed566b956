/**
 * Small OS helpers shared by the rooms that spawn processes (nats-server, workload instances).
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";

/** A TCP port that was free a moment ago (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      const port = typeof address === "object" && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

const SETPRIV = "/usr/bin/setpriv";
let setprivPath: string | null | undefined;

/** util-linux's setpriv, when present and able to set a parent-death signal (checked once). */
export function findSetpriv(): string | null {
  if (setprivPath === undefined) {
    setprivPath =
      existsSync(SETPRIV) &&
      spawnSync(SETPRIV, ["--help"], { encoding: "utf8" }).stdout?.includes("--pdeathsig")
        ? SETPRIV
        : null;
  }
  return setprivPath;
}

/**
 * The command line that runs `file args` so that the kernel sends it `signal` when this process
 * dies, even by SIGKILL (no orphans). Without setpriv the command is returned unchanged.
 */
export function withParentDeathSignal(
  file: string,
  args: readonly string[],
  signal: "KILL" | "TERM",
  setpriv: string | null = findSetpriv(),
): [string, string[]] {
  return setpriv ? [setpriv, ["--pdeathsig", signal, "--", file, ...args]] : [file, [...args]];
}
