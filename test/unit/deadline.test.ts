/** `within`: true once the work resolves, false at the deadline, and early rejections kept. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { within } from "../../src/deadline.js";

test("within: resolved, still pending at the deadline, rejected", async () => {
  const never = new Promise<void>(() => undefined);
  const cases: Array<[string, () => Promise<unknown>, boolean | "rejects"]> = [
    ["resolved work", () => Promise.resolve("x"), true],
    ["work that never ends", () => never, false],
    ["work that fails first", () => Promise.reject(new Error("boom")), "rejects"],
  ];
  for (const [name, work, want] of cases) {
    if (want === "rejects") await assert.rejects(within(work(), 1_000), /boom/, name);
    else assert.equal(await within(work(), want ? 1_000 : 5), want, name);
  }
});
