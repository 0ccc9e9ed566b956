/**
 * HTTP probes of one instance (readiness and liveness, like Kubernetes' httpGet probes): a GET on
 * the instance's port from the host, judged by its status code, repeated every interval.
 * The answer is kept in words ("HTTP 500", "connection refused") because the app status shows it.
 */
import { request } from "node:http";
import { type HttpProbe, PROBE_DEFAULTS } from "./process-spec.js";

export type ProbeKind = "readiness" | "liveness";

export interface ResolvedProbe {
  kind: ProbeKind;
  path: string;
  port: number;
  expectStatus?: number;
  intervalMs: number;
  failureThreshold: number;
  timeoutMs: number;
}

export interface ProbeResult {
  ok: boolean;
  /** "HTTP 200", "HTTP 500", "connection refused", "no answer within 1 s". */
  answer: string;
}

/** The probe with its defaults filled in; undefined when it has no port to ask. */
export function resolveProbe(
  kind: ProbeKind,
  probe: Partial<HttpProbe>,
  instancePort: number | undefined,
): ResolvedProbe | undefined {
  const port = probe.port ?? instancePort;
  if (port === undefined || probe.path === undefined) return undefined;
  const out: ResolvedProbe = {
    kind,
    path: probe.path,
    port,
    intervalMs: (probe.intervalSeconds ?? PROBE_DEFAULTS.intervalSeconds) * 1000,
    failureThreshold: probe.failureThreshold ?? PROBE_DEFAULTS.failureThreshold,
    timeoutMs: (probe.timeoutSeconds ?? PROBE_DEFAULTS.timeoutSeconds) * 1000,
  };
  if (probe.expectStatus !== undefined) out.expectStatus = probe.expectStatus;
  return out;
}

/** "liveness probe GET :4312/healthz" */
export function describeProbe(p: ResolvedProbe): string {
  return `${p.kind} probe GET :${p.port}${p.path}`;
}

export function httpCheck(p: ResolvedProbe): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (result: ProbeResult) => {
      if (settled) return;
      settled = true;
      req.destroy();
      resolve(result);
    };
    // No keep-alive: a probe must see a process that stopped accepting connections.
    const req = request(
      { host: "127.0.0.1", port: p.port, path: p.path, method: "GET", agent: false },
      (res) => {
        res.resume();
        const status = res.statusCode ?? 0;
        const ok = p.expectStatus !== undefined ? status === p.expectStatus : status >= 200 && status < 400;
        done({ ok, answer: `HTTP ${status}` });
      },
    );
    req.setTimeout(p.timeoutMs, () =>
      done({ ok: false, answer: `no answer within ${p.timeoutMs / 1000} s` }),
    );
    req.once("error", (err: NodeJS.ErrnoException) =>
      done({
        ok: false,
        answer: err.code === "ECONNREFUSED" ? "connection refused" : (err.code ?? err.message),
      }),
    );
    req.end();
  });
}

/**
 * Probes every `intervalMs` (the next probe starts an interval after the previous answer, so
 * a slow instance is never probed twice at once) and reports each answer with the number of
 * consecutive failures so far.
 */
export class ProbeLoop {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private failures = 0;

  constructor(
    readonly probe: ResolvedProbe,
    private readonly onResult: (result: ProbeResult, consecutiveFailures: number) => void,
  ) {}

  start(delayMs = 0): void {
    this.schedule(delayMs);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), ms);
  }

  private async tick(): Promise<void> {
    const result = await httpCheck(this.probe);
    if (this.stopped) return;
    this.failures = result.ok ? 0 : this.failures + 1;
    this.onResult(result, this.failures);
    this.schedule(this.probe.intervalMs);
  }
}
