/**
 * Which failures are `unavailable` (retry) and which are not, with the real error classes the
 * NATS client throws.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { JetStreamApiError } from "@nats-io/jetstream";
import { jserrors } from "@nats-io/jetstream/internal";
import { errors } from "@nats-io/transport-node";
import { BadRequestError, ErrorCode, UnavailableError } from "../../../src/errors.js";
import { asUnavailable, isTransientNatsError, whileAvailable } from "../../../src/streams/unavailable.js";

const apiError = (err_code: number, code: number, description: string) =>
  new JetStreamApiError({ err_code, code, description });

test("transient NATS failures are recognised, the rest are not", () => {
  const cases: Array<[string, unknown, boolean]> = [
    ["request timeout", new errors.TimeoutError(), true],
    ["no responders", new errors.NoRespondersError("$JS.API.STREAM.INFO.x"), true],
    [
      "wrapped no responders",
      new errors.RequestError("503", { cause: new errors.NoRespondersError("x") }),
      true,
    ],
    [
      "jetstream not enabled (publish without a stream leader)",
      new jserrors.JetStreamNotEnabled("jetstream is not enabled"),
      true,
    ],
    ["leader election", apiError(10008, 503, "JetStream system temporarily unavailable"), true],
    ["no quorum for placement", apiError(10005, 503, "no suitable peers for placement"), true],
    ["closed connection", new errors.ClosedConnectionError(), true],
    ["wrong last sequence", apiError(10071, 400, "wrong last sequence: 4"), false],
    ["stream not found", apiError(10059, 404, "stream not found"), false],
    ["a plain bug", new TypeError("x is undefined"), false],
    ["a bad request", new BadRequestError("nope"), false],
    ["already unavailable", new UnavailableError("down"), true],
    ["not an error", "timeout", false],
  ];
  for (const [name, err, transient] of cases) assert.equal(isTransientNatsError(err), transient, name);
});

test("whileAvailable names what was unavailable and passes other errors through", async () => {
  await assert.rejects(
    whileAvailable("KV bucket nadm_manifests", () => Promise.reject(new errors.TimeoutError())),
    (e: unknown) =>
      e instanceof UnavailableError &&
      e.code === ErrorCode.Unavailable &&
      /^KV bucket nadm_manifests is unavailable: no answer in time/.test(e.message),
  );
  const bug = new TypeError("bug");
  await assert.rejects(
    whileAvailable("x", () => Promise.reject(bug)),
    (e: unknown) => e === bug,
  );
  assert.equal(await whileAvailable("x", async () => 7), 7);
  assert.equal(asUnavailable(new TypeError("bug"), "x"), undefined);
});
