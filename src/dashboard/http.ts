/**
 * Small HTTP helpers of the dashboard's routes: JSON replies in the API's envelope, bounded
 * request bodies, and the error → status mapping.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { type ErrorBody, NadmError, toErrorBody } from "../errors.js";

/** The API's error codes, plus `forbidden` (a write route while actions are off) for HTTP only. */
export type HttpErrorBody = Omit<ErrorBody, "code"> & { code: ErrorBody["code"] | "forbidden" | "too_large" };

const STATUS: Record<HttpErrorBody["code"], number> = {
  invalid_manifest: 400,
  bad_request: 400,
  not_found: 404,
  conflict: 409,
  forbidden: 403,
  too_large: 413,
  unavailable: 503,
  internal: 500,
};

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "cache-control": "no-store",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

export function sendOk(res: ServerResponse, result: unknown): void {
  sendJson(res, 200, { ok: true, result });
}

export function sendError(res: ServerResponse, error: HttpErrorBody): void {
  sendJson(res, STATUS[error.code], { ok: false, error });
}

/** An error thrown by a route (a NadmError from the API client keeps its code). */
export function sendFailure(res: ServerResponse, err: unknown): void {
  if (err instanceof HttpError) sendError(res, err.body);
  else sendError(res, err instanceof NadmError ? err.toBody() : toErrorBody(err));
}

export class HttpError extends Error {
  override name = "HttpError";
  constructor(readonly body: HttpErrorBody) {
    super(body.message);
  }
}

export function badRequest(path: string, message: string): HttpError {
  return new HttpError({ code: "bad_request", message: `${path} ${message}`, details: [{ path, message }] });
}

/** The request body as text; refuses (413) one larger than `limit` bytes without reading it all. */
export function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(
          new HttpError({
            code: "too_large",
            message: `the body is larger than ${limit} bytes`,
            details: [],
          }),
        );
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}
