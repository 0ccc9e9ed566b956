/**
 * Ends of host lives, as the view sees them: a host's record deleted (declared lost, or stopped)
 * or written by a new life (a new `startedAt`: the process restarted under the same id). A
 * command sent to a life that has ended is never answered, since its subscription died with it:
 * waiting out the timeout would only hold up every command queued behind it for that host, among
 * them the new life's first ones.
 */

import type { KvCache } from "../lattice/kv-cache.js";
import type { HostRecord } from "../streams/host-record.js";
import { keys } from "../streams/subjects.js";

/** What `HostLives.race` gives instead of the request's result when the life ended first. */
export const LIFE_ENDED = Symbol("life ended");

export class HostLives {
  /** `{lattice}.{hostId}` → wakers of the requests waiting on that host's current life */
  private readonly waiting = new Map<string, Set<() => void>>();

  constructor(cache: KvCache<HostRecord>) {
    cache.onChange((key, next, prev) => {
      if (next && prev && next.value.startedAt === prev.value.startedAt) return;
      const wakers = this.waiting.get(key);
      if (!wakers) return;
      this.waiting.delete(key);
      for (const wake of wakers) wake();
    });
  }

  /**
   * The request's result, or `LIFE_ENDED` as soon as the view sees the host's current life end
   * (the request's later failure is then ignored).
   */
  async race<T>(lattice: string, hostId: string, request: Promise<T>): Promise<T | typeof LIFE_ENDED> {
    const key = keys.host(lattice, hostId);
    let wake = () => {};
    const ended = new Promise<typeof LIFE_ENDED>((resolve) => {
      wake = () => resolve(LIFE_ENDED);
    });
    const wakers = this.waiting.get(key) ?? new Set();
    this.waiting.set(key, wakers);
    wakers.add(wake);
    request.catch(() => undefined);
    try {
      return await Promise.race([request, ended]);
    } finally {
      wakers.delete(wake);
      if (wakers.size === 0 && this.waiting.get(key) === wakers) this.waiting.delete(key);
    }
  }
}
