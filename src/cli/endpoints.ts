/**
 * `nadm app endpoints NAME`: where an app's ready instances listen, per component, live.
 */
import type { Command } from "commander";
import type { EndpointsResult } from "../api/protocol.js";
import { withApi } from "./context.js";
import { table } from "./output.js";

export function formatEndpoints(r: EndpointsResult): string {
  const rows = r.components.flatMap((c) =>
    c.endpoints.map((e) => [c.component, e.endpoint, e.hostId, e.rev]),
  );
  if (rows.length === 0) return `${r.name} has no ready instances with a port`;
  return table(["COMPONENT", "ENDPOINT", "HOST", "REV"], rows);
}

export function registerEndpoints(app: Command): void {
  app
    .command("endpoints <name>")
    .description("host:port of every ready instance of an app, per component")
    .action(async (name: string, _o, cmd: Command) => {
      await withApi(cmd, (c) => c.endpoints(name), formatEndpoints);
    });
}
