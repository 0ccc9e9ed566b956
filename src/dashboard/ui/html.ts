/** Templates as tagged strings (htm) rendered by preact: no compile step for markup. */
import htm from "htm";
import { h, type VNode } from "preact";

type H = (type: unknown, props: Record<string, unknown> | null, ...children: unknown[]) => VNode;

export const html = htm.bind<VNode>(h as unknown as H) as (
  strings: TemplateStringsArray,
  ...values: unknown[]
) => VNode;
