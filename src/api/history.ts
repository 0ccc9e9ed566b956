/**
 * The `history` op (ARCHITECTURE §9): an app's status transitions (the `nadm_status` key's KV
 * history), the API actions taken on it (its `app_*` events) and, on request, the commands
 * issued for it (`nadm_commands`). How far back each goes is the bucket's history depth and the
 * streams' max age (`--status-history`, `--stream-max-age`).
 */
import { appStatusSchema } from "../streams/app-status.js";
import { commandSchema, decodeJson } from "../streams/commands.js";
import { parseEvent } from "../streams/events.js";
import { readStream } from "../streams/read.js";
import { type EventType, keys, STREAMS, subjects } from "../streams/subjects.js";
import { whileAvailable } from "../streams/unavailable.js";
import type { Handler } from "./handlers.js";
import { type HistoryResult, historyRequestSchema } from "./protocol.js";
import { parseRequest } from "./request.js";

const ACTIONS: Partial<Record<EventType, string>> = {
  app_put: "put",
  app_deployed: "deploy",
  app_undeployed: "undeploy",
  app_deleted: "delete",
};

export const history: Handler = async (lattice, body, deps) => {
  const req = parseRequest(historyRequestSchema, body);
  await deps.store.require(lattice, req.name);
  const entries: HistoryResult["entries"] = [];
  for await (const e of await deps.statusKv.history({ key: keys.status(lattice, req.name) })) {
    if (e.operation !== "PUT") continue;
    const parsed = appStatusSchema.safeParse(e.json());
    if (parsed.success) entries.push({ ...parsed.data, revision: e.revision });
  }
  const actions = (
    await Promise.all(Object.keys(ACTIONS).map((t) => actionsOf(deps.js, lattice, req.name, t as EventType)))
  ).flat();
  actions.sort((a, b) => a.at.localeCompare(b.at));
  const result: HistoryResult = { name: req.name, entries, actions };
  if (req.commands) {
    result.commands = await whileAvailable(`stream ${STREAMS.commands}`, () =>
      commandsOf(deps.js, lattice, req.name),
    );
  }
  return result;
};

async function actionsOf(
  js: Parameters<typeof readStream>[0],
  lattice: string,
  app: string,
  type: EventType,
) {
  const out: HistoryResult["actions"] = [];
  const subject = subjects.event(lattice, type);
  for (const m of await readStream(js, STREAMS.events, subject)) {
    let event: ReturnType<typeof parseEvent>;
    try {
      event = parseEvent(subject, m.data);
    } catch {
      continue; // the reconciler dead-letters malformed events; history skips them
    }
    const d = event.data as { app?: string; version?: string; action?: string; reason?: string };
    if (d.app !== app) continue;
    const action = d.reason ? "revert" : (d.action ?? ACTIONS[type] ?? type);
    out.push({
      at: m.time.toISOString(),
      action,
      version: d.version ?? null,
      ...(d.reason ? { reason: d.reason } : {}),
    });
  }
  return out;
}

async function commandsOf(js: Parameters<typeof readStream>[0], lattice: string, app: string) {
  const out: NonNullable<HistoryResult["commands"]> = [];
  for (const m of await readStream(js, STREAMS.commands, subjects.commandsOf(lattice))) {
    let raw: unknown;
    try {
      raw = decodeJson(m.data);
    } catch {
      continue; // not JSON: the dispatcher dead-letters it; history skips it
    }
    const parsed = commandSchema.safeParse(raw);
    if (!parsed.success || parsed.data.app !== app) continue;
    const c = parsed.data;
    out.push({
      at: m.time.toISOString(),
      id: c.id,
      hostId: c.hostId,
      component: c.component,
      workload: c.workload.key,
      count: c.count,
      reason: c.reason,
    });
  }
  return out;
}
