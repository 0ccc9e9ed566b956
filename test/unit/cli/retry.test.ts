/**
 * The CLI's retry of `unavailable`: retried with notices until it succeeds or the deadline
 * passes; any other error fails at once.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { errors } from "@nats-io/transport-node";
import { waitingNotice } from "../../../src/cli/retry.js";
import { ConflictError, UnavailableError } from "../../../src/errors.js";
import { retryUnavailable } from "../../../src/streams/unavailable.js";

function flaky<T>(failures: unknown[], value: T): () => Promise<T> {
  let i = 0;
  return () => (i < failures.length ? Promise.reject(failures[i++]) : Promise.resolve(value));
}

test("unavailable is retried until it succeeds, with a notice each time", async () => {
  const notices: string[] = [];
  const got = await retryUnavailable(
    flaky([new UnavailableError("stream leader election"), new errors.TimeoutError()], 42),
    {
      deadline: Date.now() + 5_000,
      what: "the API",
      onWait: (m) => notices.push(m),
    },
  );
  assert.equal(got, 42);
  assert.equal(notices.length, 2);
  assert.equal(notices[0], "stream leader election");
  assert.match(notices[1]!, /^the API is unavailable: no answer in time/);
});

test("other errors fail at once; unavailable fails once the deadline has passed", async () => {
  let calls = 0;
  const conflict = new ConflictError("taken");
  await assert.rejects(
    retryUnavailable(
      () => {
        calls++;
        return Promise.reject(conflict);
      },
      { deadline: Date.now() + 5_000, what: "x" },
    ),
    (e: unknown) => e === conflict,
  );
  assert.equal(calls, 1);
  const started = Date.now();
  await assert.rejects(
    retryUnavailable(() => Promise.reject(new UnavailableError("down")), {
      deadline: Date.now() + 600,
      what: "x",
    }),
    (e: unknown) => e instanceof UnavailableError && e.message === "down",
  );
  assert.ok(Date.now() - started < 5_000, "gave up near the deadline");
  assert.equal(waitingNotice("down", 2_500), "waiting: down (retrying for up to 3s more)\n");
});
