/**
 * `nadm commands watch` and `nadm events watch`: follow the command stream (the audit trail) or
 * the event stream with an ordered consumer, one human line per message (or one JSON per line).
 */
import { DeliverPolicy, jetstream } from "@nats-io/jetstream";
import type { Command } from "commander";
import type { Command as NadmCommand } from "../streams/commands.js";
import { connectNats } from "../streams/connection.js";
import { parseSubject, STREAMS, subjects } from "../streams/subjects.js";
import { connectionConfig, fail, globals } from "./context.js";
import { shutdownSignal } from "./signals.js";

interface WatchFlags {
  app?: string;
  all?: boolean;
}

type LineOf = (subject: string, payload: Record<string, unknown>) => string | undefined;

const commandLine: LineOf = (_subject, p) => {
  const c = p as unknown as NadmCommand;
  return `${c.issuedAt}  ${c.hostId}  ${c.workload?.key} → ${c.count}  (${c.reason}; based on rev ${c.basedOnRevision})`;
};

const eventLine: LineOf = (subject, p) => {
  const data = (p.data ?? {}) as Record<string, unknown>;
  const type = String(p.type ?? "").replace(/^dev\.nadm\./, "");
  const fields = Object.entries(data)
    .filter(([k]) => k !== "stateRevision")
    .map(([k, v]) => `${k}=${typeof v === "object" ? JSON.stringify(v) : String(v)}`)
    .join(" ");
  return `${String(p.time ?? "")}  ${parseSubject(subject)?.lattice}  ${type}  ${fields}`;
};

async function follow(
  cmd: Command,
  stream: string,
  filter: (lattice: string) => string,
  flags: WatchFlags,
  line: LineOf,
): Promise<void> {
  const opts = globals(cmd);
  const json = opts.json === true;
  try {
    const cfg = connectionConfig(opts);
    const nc = await connectNats(cfg, { timeoutMs: 3_000 });
    const js = jetstream(nc);
    // Filtered to the lattice on the server: a watcher's NATS permissions can then be per lattice.
    const consumer = await js.consumers.get(stream, {
      deliver_policy: flags.all ? DeliverPolicy.All : DeliverPolicy.New,
      filter_subjects: filter(cfg.lattice),
    });
    const messages = await consumer.consume();
    void shutdownSignal().then(() => messages.stop());
    // On stderr, so --json output stays one JSON per line; says the watch has begun (a script
    // that triggers what it watches for must wait for this line).
    process.stderr.write(
      `watching ${stream} in lattice ${cfg.lattice}${flags.app ? ` for app ${flags.app}` : ""}: ` +
        `${flags.all ? "from the start" : "new messages"} (Ctrl-C to stop)\n`,
    );
    for await (const m of messages) {
      const lattice = parseSubject(m.subject)?.lattice;
      if (lattice !== cfg.lattice) continue;
      let payload: Record<string, unknown>;
      try {
        payload = m.json<Record<string, unknown>>();
      } catch {
        continue;
      }
      const app = (payload.app ?? (payload.data as Record<string, unknown> | undefined)?.app) as
        | string
        | undefined;
      if (flags.app && app !== flags.app) continue;
      const text = json ? JSON.stringify(payload) : line(m.subject, payload);
      if (text) process.stdout.write(`${text}\n`);
    }
    await nc.close();
  } catch (err) {
    fail(err, json);
  }
}

export function registerWatch(program: Command): void {
  program
    .command("commands")
    .description("the command stream (what the controllers told hosts)")
    .command("watch")
    .description("follow commands as they are issued (Ctrl-C to stop)")
    .option("--app <name>", "only commands for this app")
    .option("--all", "replay the stream from its start first")
    .action(async (flags: WatchFlags, cmd: Command) =>
      follow(cmd, STREAMS.commands, subjects.commandsOf, flags, commandLine),
    );
  program
    .command("events")
    .description("the event stream (what hosts and the API reported)")
    .command("watch")
    .description("follow events as they are published (Ctrl-C to stop)")
    .option("--app <name>", "only events about this app")
    .option("--all", "replay the stream from its start first")
    .action(async (flags: WatchFlags, cmd: Command) =>
      follow(cmd, STREAMS.events, subjects.eventsOf, flags, eventLine),
    );
}
