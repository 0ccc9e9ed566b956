/** Plan preview: what deploying a pasted manifest would do, wave by wave (the `plan` op; writes nothing). */
import { useState } from "preact/hooks";
import { html } from "../html.js";

interface PlanReply {
  version: string;
  from: string | null;
  waves: Array<{
    wave: number;
    groups: string[];
    commands: Array<{ hostId: string; workload: string; from: number; to: number; reason: string }>;
  }>;
  phase: string;
  message: string;
  finished: boolean;
}

export function PlanView({ lattice }: { lattice: string }) {
  const [text, setText] = useState("");
  const [reply, setReply] = useState<PlanReply | undefined>(undefined);
  const [error, setError] = useState("");
  const preview = async (e: Event) => {
    e.preventDefault();
    setError("");
    const res = await fetch(`/api/plan?lattice=${encodeURIComponent(lattice || "default")}`, {
      method: "POST",
      body: text,
    });
    const body = (await res.json()) as {
      ok: boolean;
      result?: PlanReply;
      error?: { message: string; details: Array<{ path: string; message: string }> };
    };
    if (body.ok) setReply(body.result);
    else {
      setReply(undefined);
      setError(
        [
          body.error?.message ?? String(res.status),
          ...(body.error?.details ?? []).map((d) => `${d.path}: ${d.message}`),
        ].join("\n"),
      );
    }
  };
  return html`<section aria-labelledby="view-title">
    <h1 id="view-title" tabindex="-1">Plan preview</h1>
    <form onSubmit=${preview}>
      <label for="manifest">Manifest (YAML or JSON) for lattice ${lattice || "default"}</label>
      <textarea id="manifest" rows="14" value=${text} onInput=${(e: Event) => setText((e.target as HTMLTextAreaElement).value)}></textarea>
      <button type="submit">Preview</button>
    </form>
    ${error ? html`<pre role="alert" class="error">${error}</pre>` : ""}
    ${
      reply
        ? html`<div class="plan" aria-live="polite">
      <p>${reply.from ?? "nothing"} → ${reply.version}: ${reply.waves.length} wave(s); ends <strong>${reply.phase}</strong>: ${reply.message}</p>
      <ol>${reply.waves.map(
        (w) =>
          html`<li>wave ${w.wave}${w.groups.length ? ` (${w.groups.join(", ")})` : ""}: <ul>${w.commands.map(
            (c) => html`<li>${c.hostId}: ${c.workload} ${c.from} → ${c.to} (${c.reason})</li>`,
          )}</ul></li>`,
      )}</ol>
    </div>`
        : ""
    }
  </section>`;
}
