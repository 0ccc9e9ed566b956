/**
 * The rules between components of one app: what `links` and `dependsOn` name must exist, a
 * link's variable must not clash with another, and `dependsOn` must not loop. Checked on the
 * raw component list at `put` (every problem at its own path), so a bad reference is refused
 * before anything is stored rather than found by a host.
 */
import type { z } from "zod";

type Ctx = z.RefinementCtx<readonly unknown[]>;

interface Node {
  index: number;
  name: string;
  dependsOn: unknown[];
  links: unknown[];
  env: Record<string, unknown>;
}

function nodesOf(components: readonly unknown[]): Node[] {
  return components.flatMap((c, index) => {
    if (!isObject(c) || typeof c.name !== "string") return [];
    const props = isObject(c.properties) ? c.properties : {};
    return [
      {
        index,
        name: c.name,
        dependsOn: Array.isArray(c.dependsOn) ? c.dependsOn : [],
        links: Array.isArray(props.links) ? props.links : [],
        env: isObject(props.env) ? props.env : {},
      },
    ];
  });
}

export function componentGraphRule(components: readonly unknown[], ctx: Ctx): void {
  const nodes = nodesOf(components);
  const names = new Set(nodes.map((n) => n.name));
  const known = [...names].join(", ");
  const unknown = (name: string) => `unknown component "${name}"; this app has: ${known}`;
  for (const node of nodes) {
    node.dependsOn.forEach((dep, j) => {
      if (typeof dep !== "string") return;
      const path = [node.index, "dependsOn", j];
      if (dep === node.name)
        ctx.addIssue({ code: "custom", path, message: "a component cannot depend on itself" });
      else if (!names.has(dep)) ctx.addIssue({ code: "custom", path, message: unknown(dep) });
    });
    linkIssues(node, names, unknown, ctx);
  }
  cycleIssues(nodes, names, ctx);
}

function linkIssues(node: Node, names: Set<string>, unknown: (n: string) => string, ctx: Ctx): void {
  const seen = new Map<string, number>();
  node.links.forEach((link, i) => {
    if (!isObject(link)) return;
    const path = [node.index, "properties", "links", i];
    if (typeof link.component === "string" && !names.has(link.component)) {
      ctx.addIssue({ code: "custom", path: [...path, "component"], message: unknown(link.component) });
    }
    if (typeof link.env !== "string") return;
    const first = seen.get(link.env);
    if (first !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: [...path, "env"],
        message: `"${link.env}" is already set by links[${first}]`,
      });
    } else if (link.env in node.env) {
      ctx.addIssue({ code: "custom", path: [...path, "env"], message: `"${link.env}" is also set in env` });
    }
    seen.set(link.env, i);
  });
}

/** One issue per cycle, at the `dependsOn` entry that closes it: `dependency cycle: web → api → web`. */
function cycleIssues(nodes: Node[], names: Set<string>, ctx: Ctx): void {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const visit = (node: Node): void => {
    state.set(node.name, "visiting");
    stack.push(node.name);
    node.dependsOn.forEach((dep, j) => {
      if (typeof dep !== "string" || dep === node.name || !names.has(dep)) return;
      if (state.get(dep) === "visiting") {
        const cycle = [...stack.slice(stack.indexOf(dep)), dep].join(" → ");
        ctx.addIssue({
          code: "custom",
          path: [node.index, "dependsOn", j],
          message: `dependency cycle: ${cycle}`,
        });
      } else if (!state.has(dep)) visit(byName.get(dep)!);
    });
    stack.pop();
    state.set(node.name, "done");
  };
  for (const node of nodes) if (!state.has(node.name)) visit(node);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
