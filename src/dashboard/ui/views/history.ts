/**
 * An app's history in time order: status transitions, API actions and commands, fetched once
 * from the `history` op when the view opens (and after an action), then extended live from the
 * status changes and commands this page receives.
 */
import { useEffect, useState } from "preact/hooks";
import { html } from "../html.js";
import type { StatusSeen } from "../state.js";
import type { StreamItem } from "../wire.js";
import { Time } from "./common.js";

interface HistoryReply {
  entries: Array<{ updatedAt: string; phase: string; message: string; version: string | null }>;
  actions: Array<{ at: string; action: string; version: string | null; reason?: string }>;
  commands?: Array<{ at: string; hostId: string; workload: string; count: number; reason: string }>;
}

interface Line {
  at: string;
  kind: "status" | "action" | "command";
  text: string;
}

export function HistoryView(props: {
  lattice: string;
  name: string;
  reload: number;
  live: StatusSeen[];
  commands: StreamItem[];
}) {
  const [reply, setReply] = useState<HistoryReply | undefined>(undefined);
  const [error, setError] = useState("");
  useEffect(() => {
    const url = `/api/apps/${encodeURIComponent(props.lattice)}/${encodeURIComponent(props.name)}/history`;
    fetch(url)
      .then((r) => r.json())
      .then((body: { ok: boolean; result?: HistoryReply; error?: { message: string } }) => {
        if (body.ok && body.result) setReply(body.result);
        else setError(body.error?.message ?? "history unavailable");
      })
      .catch((err: unknown) => setError(String(err)));
  }, [props.lattice, props.name, props.reload]);
  const lines = merge(reply, props.live, props.commands);
  return html`<section aria-labelledby="history-title">
    <h2 id="history-title">History</h2>
    ${error ? html`<p role="alert">${error}</p>` : ""}
    <ol class="history">
      ${lines.map(
        (l) =>
          html`<li class=${`h-${l.kind}`} data-kind=${l.kind} data-at=${l.at}><${Time} at=${l.at} /> <span class="kind">${l.kind}</span> ${l.text}</li>`,
      )}
    </ol>
  </section>`;
}

function merge(reply: HistoryReply | undefined, live: StatusSeen[], commands: StreamItem[]): Line[] {
  const lines: Line[] = [];
  const seen = new Set<string>();
  const add = (l: Line) => {
    const k = `${l.kind}|${l.at}|${l.text}`;
    if (!seen.has(k)) lines.push(l);
    seen.add(k);
  };
  for (const e of reply?.entries ?? [])
    add({ at: e.updatedAt, kind: "status", text: `${e.phase}: ${e.message}` });
  for (const s of live) add({ at: s.at, kind: "status", text: `${s.phase}: ${s.message}` });
  for (const a of reply?.actions ?? [])
    add({
      at: a.at,
      kind: "action",
      text: `${a.action}${a.version ? ` ${a.version}` : ""}${a.reason ? `: ${a.reason}` : ""}`,
    });
  // Same text and stream time as the live list's (dashboard/rows.ts), so a command in both is one line.
  for (const c of reply?.commands ?? [])
    add({ at: c.at, kind: "command", text: `${c.hostId}: ${c.workload} → ${c.count} (${c.reason})` });
  for (const c of commands) add({ at: c.at, kind: "command", text: c.text });
  return lines.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
}
