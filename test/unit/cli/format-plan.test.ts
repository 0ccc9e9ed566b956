import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { PlanResult } from "../../../src/api/protocol.js";
import { formatPlanMermaid, formatPlanText } from "../../../src/cli/format-plan.js";

const plan: PlanResult = {
  name: "shop",
  version: "v2",
  from: "v1",
  waves: [
    {
      wave: 1,
      groups: ["a"],
      commands: [
        {
          hostId: "a1",
          component: "web",
          workload: "shop.web.111",
          from: 1,
          to: 0,
          reason: 'say "hi" <now> #1 & more',
        },
      ],
    },
    {
      wave: 2,
      groups: ["a"],
      commands: [{ hostId: "a1", component: "web", workload: "shop.web.222", from: 0, to: 1, reason: "r" }],
    },
    { wave: 3, groups: [], commands: [] },
  ],
  placement: { web: { a1: 1 } },
  phase: "deployed",
  message: '1/1 ready "quoted"',
  finished: true,
};

/**
 * The subset of Mermaid's flowchart grammar the formatter emits (no Mermaid flowchart parser
 * installs from the registry: @mermaid-js/parser has no flowchart grammar): a header, node
 * statements `id["label"]` or `id(["label"])` whose labels hold no raw quote, and edges
 * `a --> b` between declared nodes.
 */
function checkFlowchart(text: string): { nodes: string[]; edges: Array<[string, string]> } {
  const [header, ...lines] = text.split("\n");
  assert.equal(header, "flowchart TD");
  const nodes: string[] = [];
  const edges: Array<[string, string]> = [];
  for (const line of lines) {
    const node = /^ {2}([A-Za-z][\w-]*)(?:\["([^"]*)"\]|\(\["([^"]*)"\]\))$/.exec(line);
    const edge = /^ {2}([A-Za-z][\w-]*) --> ([A-Za-z][\w-]*)$/.exec(line);
    if (node) {
      const label = node[2] ?? node[3] ?? "";
      assert.doesNotMatch(label.replaceAll("<br/>", ""), /[<>]/, `raw markup in ${line}`);
      nodes.push(node[1]!);
    } else if (edge) edges.push([edge[1]!, edge[2]!]);
    else assert.fail(`not a flowchart statement: ${JSON.stringify(line)}`);
  }
  for (const [a, b] of edges)
    assert.ok(nodes.includes(a) && nodes.includes(b), `edge ${a} --> ${b} to an undeclared node`);
  return { nodes, edges };
}

describe("formatPlanMermaid", () => {
  test("a flowchart: one node per wave, in order, annotated with the group it disrupts", () => {
    const text = formatPlanMermaid(plan);
    const { nodes, edges } = checkFlowchart(text);
    assert.deepEqual(nodes, ["w0", "w1", "w2", "w3", "done"]);
    assert.deepEqual(edges, [
      ["w0", "w1"],
      ["w1", "w2"],
      ["w2", "w3"],
      ["w3", "done"],
    ]);
    assert.match(text, /w1\["wave 1 · disrupts a<br\/>a1 shop\.web\.111 1 → 0"\]/);
    assert.match(text, /done\(\["deployed: 1\/1 ready #34;quoted#34;"\]\)/);
  });

  test("no waves: the start leads straight to the end", () => {
    const { edges } = checkFlowchart(formatPlanMermaid({ ...plan, waves: [] }));
    assert.deepEqual(edges, [["w0", "done"]]);
  });
});

describe("formatPlanText", () => {
  test("waves, placement and the end state", () => {
    const text = formatPlanText(plan);
    assert.match(text, /^plan for shop: v1 → v2, 3 waves$/m);
    assert.match(text, /^wave 1 \(disrupts a\):\n {2}a1 {2}shop\.web\.111 {2}1 → 0/m);
    assert.match(text, /^ {2}web: a1=1$/m);
    assert.match(text, /^then deployed: 1\/1 ready "quoted"$/m);
  });
});
