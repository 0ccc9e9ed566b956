/**
 * One page's live connection (server-sent events): a `snapshot` event, then a `patch` event per
 * batch of changes, and a comment every 15 s so proxies keep the connection open. When the page
 * goes away (closed, or hidden: the page closes its EventSource then) the subscription ends, and
 * with the last one the replica stops following the streams. A page that cannot keep up is
 * disconnected rather than buffered without bound; its EventSource reconnects to a fresh snapshot.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { LiveModel } from "./live.js";
import type { Snapshot } from "./ui/wire.js";

const PING_MS = 15_000;
/** Bytes a slow page may have waiting before it is disconnected. */
const MAX_BUFFERED = 16 * 1024 * 1024;

export function openLiveStream(
  req: IncomingMessage,
  res: ServerResponse,
  live: LiveModel,
  snapshot: () => Snapshot,
  open: Set<ServerResponse>,
): void {
  res.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-store",
    connection: "keep-alive",
    "x-accel-buffering": "no",
  });
  open.add(res);
  const send = (event: string, data: unknown) =>
    res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  res.write("retry: 2000\n\n");
  const unsubscribe = live.subscribe((patch) => {
    if (res.writableLength > MAX_BUFFERED) res.destroy();
    else send("patch", patch);
  });
  send("snapshot", snapshot());
  const ping = setInterval(() => res.write(": ping\n\n"), PING_MS);
  const close = () => {
    clearInterval(ping);
    unsubscribe();
    open.delete(res);
  };
  req.on("close", close);
  res.on("close", close);
}

/** Ends every live connection (the replica is stopping). */
export function closeLiveStreams(open: Set<ServerResponse>): void {
  for (const res of open) res.end();
  open.clear();
}
