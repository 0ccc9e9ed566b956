import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Coalescer } from "../../../src/reconcile/coalesce.js";

/** A run that waits until released, counting how often the coalescer started one per key. */
class Gates {
  readonly calls = new Map<string, number>();
  private readonly open: Array<{ key: string; release: (err?: Error) => void }> = [];

  fn(key: string): () => Promise<void> {
    return () => {
      this.calls.set(key, (this.calls.get(key) ?? 0) + 1);
      return new Promise<void>((resolve, reject) => {
        this.open.push({ key, release: (err) => (err ? reject(err) : resolve()) });
      });
    };
  }

  /** Ends the oldest open run of `key`, with `err` when given. */
  async release(key: string, err?: Error): Promise<void> {
    const i = this.open.findIndex((g) => g.key === key);
    assert.ok(i >= 0, `no run of ${key} is open`);
    this.open.splice(i, 1)[0]!.release(err);
    await flush();
  }

  running(key: string): number {
    return this.open.filter((g) => g.key === key).length;
  }
}

/** Lets queued runs start: they wait for a turn of the event loop (setImmediate). */
async function flush(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 10; j++) await Promise.resolve();
    await new Promise((r) => setImmediate(r));
  }
}

function slots(c: Coalescer): Map<string, unknown> {
  return (c as unknown as { slots: Map<string, unknown> }).slots;
}

const settle = (p: Promise<void>) =>
  p.then(
    () => "ok",
    (err: Error) => err.message,
  );

describe("Coalescer", () => {
  const rows: Array<{ burst: number; joiners: number; calls: number }> = [
    { burst: 1, joiners: 0, calls: 1 },
    { burst: 5, joiners: 0, calls: 1 },
    { burst: 1, joiners: 1, calls: 2 },
    { burst: 3, joiners: 5, calls: 2 },
  ];
  for (const { burst, joiners, calls } of rows) {
    test(`a burst of ${burst}, then ${joiners} calls while it runs → ${calls} run(s) in all`, async () => {
      const [c, g] = [new Coalescer(), new Gates()];
      const first = Array.from({ length: burst }, () => c.run("a", g.fn("a")));
      for (const p of first) assert.equal(p, first[0], "a burst shares one run");
      assert.equal(g.running("a"), 0, "a run starts after a turn of the event loop");
      await flush();
      assert.equal(g.running("a"), 1);
      const queued = Array.from({ length: joiners }, () => c.run("a", g.fn("a")));
      for (const q of queued) assert.equal(q, queued[0], "joiners share one promise");
      await g.release("a");
      await first[0];
      if (joiners > 0) {
        assert.equal(g.running("a"), 1, "the queued run starts once the first ends");
        await g.release("a");
        await Promise.all(queued);
      }
      assert.equal(g.calls.get("a"), calls);
      assert.equal(slots(c).size, 0);
    });
  }

  test("different keys run concurrently", async () => {
    const [c, g] = [new Coalescer(), new Gates()];
    const runs = ["a", "b", "c"].map((k) => c.run(k, g.fn(k)));
    await flush();
    assert.deepEqual([g.running("a"), g.running("b"), g.running("c")], [1, 1, 1]);
    for (const k of ["c", "a", "b"]) await g.release(k);
    await Promise.all(runs);
    assert.equal(slots(c).size, 0);
  });

  test("a failed run rejects its joiners, and the next run still happens", async () => {
    const [c, g] = [new Coalescer(), new Gates()];
    const first = settle(c.run("a", g.fn("a")));
    await flush();
    const joined = [settle(c.run("a", g.fn("a"))), settle(c.run("a", g.fn("a")))];
    await g.release("a", new Error("first failed"));
    assert.equal(await first, "first failed");
    assert.equal(g.running("a"), 1, "the queued run starts after a failure too");
    const later = settle(c.run("a", g.fn("a")));
    await g.release("a", new Error("queued failed"));
    assert.deepEqual(await Promise.all(joined), ["queued failed", "queued failed"]);
    await g.release("a");
    assert.equal(await later, "ok");
    assert.equal(g.calls.get("a"), 3);
    assert.equal(slots(c).size, 0);
  });

  test("a call after everything settled starts on the next turn", async () => {
    const [c, g] = [new Coalescer(), new Gates()];
    const p = c.run("a", g.fn("a"));
    await flush();
    await g.release("a");
    await p;
    void c.run("a", g.fn("a"));
    await flush();
    assert.equal(g.running("a"), 1);
    await g.release("a");
    assert.equal(slots(c).size, 0);
  });

  test("with a minimum gap, calls soon after a run share one later run, started no sooner than the gap", async () => {
    const gapMs = 40;
    const c = new Coalescer(gapMs);
    const starts: number[] = [];
    const run = () => c.run("a", async () => void starts.push(performance.now()));
    await run();
    // The reports that follow a placement: several, right after the first run.
    const reports = [run(), run(), run()];
    for (const r of reports) assert.equal(r, reports[0], "calls in the gap share one run");
    await Promise.all(reports);
    assert.equal(starts.length, 2);
    assert.ok(
      starts[1]! - starts[0]! >= gapMs - 1,
      `second run ${starts[1]! - starts[0]!} ms after the first`,
    );
  });

  test("with a minimum gap, a quiet key's first call is not held back, and other keys are not either", async () => {
    const c = new Coalescer(10_000);
    const g = new Gates();
    const a = c.run("a", g.fn("a"));
    await flush();
    await g.release("a");
    await a;
    const b = c.run("b", g.fn("b"));
    await flush();
    assert.equal(g.running("b"), 1, "key b waits for nothing: only a ran recently");
    await g.release("b");
    await b;
  });
});
