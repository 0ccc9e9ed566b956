/**
 * A custom scaler module run in its own worker thread, so one that runs away can be stopped:
 * each call gets a deadline from when it starts running; past it, the thread is terminated (the
 * call fails, its component is marked `failed`) and a fresh one is started for the next call.
 * Calls to one module run one at a time, in order, so a queued call's deadline is its own.
 */
import { Worker } from "node:worker_threads";
import type { z } from "zod";
import type { ExternalReply, ExternalScaler, ScalerInput } from "../scalers/index.js";

interface Job {
  input: ScalerInput<unknown>;
  deadlineMs: number;
  resolve: (reply: ExternalReply) => void;
  reject: (err: Error) => void;
}

interface Running {
  job: Job;
  id: number;
  timer?: NodeJS.Timeout;
  /** The thread the call was posted to, once it was. */
  thread?: Worker;
}

type Reply =
  | { ready: true }
  | { id: number; ok: true; reply: ExternalReply }
  | { id: number; ok: false; message: string; stack?: string };

const FROM_SOURCE = import.meta.url.endsWith(".ts");
/** The worker entry next to this file: `.ts` when run from source with tsx, `.js` once built. */
const ENTRY = new URL(`./scaler-thread${FROM_SOURCE ? ".ts" : ".js"}`, import.meta.url);
/**
 * From source, the thread registers tsx itself before loading the entry: on Node 20 the
 * `--import tsx` a worker inherits is not in effect for its entry module.
 */
const SOURCE_BOOT = `import("tsx/esm/api").then((tsx) => { tsx.register(); return import(${JSON.stringify(ENTRY.href)}); })`;

export class ScalerDeadlineError extends Error {
  override name = "ScalerDeadlineError";
}

export class WorkerScaler implements ExternalScaler {
  readonly kind = "worker";
  readonly #queue: Job[] = [];
  #thread: Promise<Worker> | undefined;
  #running: Running | undefined;
  #ids = 0;
  #closed = false;

  constructor(
    readonly type: string,
    readonly version: string,
    readonly properties: z.ZodType,
    /** file: URL of the module, imported again inside the thread. */
    private readonly url: string,
  ) {}

  evaluate(input: ScalerInput<unknown>, deadlineMs: number): Promise<ExternalReply> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ input, deadlineMs, resolve, reject });
      void this.#next();
    });
  }

  /** Starts the thread now, so the first call does not pay for loading the module. */
  async warm(): Promise<void> {
    await this.#spawn();
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#kill();
  }

  async #next(): Promise<void> {
    if (this.#running || this.#queue.length === 0) return;
    const job = this.#queue.shift()!;
    const id = ++this.#ids;
    // Held before the await so a second #next() waits for this call to finish.
    const running: Running = { job, id };
    this.#running = running;
    try {
      running.thread = await this.#spawn();
    } catch (err) {
      return this.#settle(id, () => job.reject(err as Error));
    }
    running.timer = setTimeout(() => this.#overrun(id, job), job.deadlineMs);
    running.thread.postMessage({ id, input: job.input });
  }

  #overrun(id: number, job: Job): void {
    if (this.#running?.id !== id) return;
    void this.#kill();
    this.#settle(id, () =>
      job.reject(
        new ScalerDeadlineError(`ran past its ${job.deadlineMs} ms deadline (its worker was restarted)`),
      ),
    );
  }

  #settle(id: number, done: () => void): void {
    if (this.#running?.id !== id) return;
    clearTimeout(this.#running.timer);
    this.#running = undefined;
    done();
    void this.#next();
  }

  async #kill(): Promise<void> {
    const thread = this.#thread;
    this.#thread = undefined;
    const worker = await (thread ?? Promise.resolve(undefined)).catch(() => undefined);
    await worker?.terminate();
  }

  #spawn(): Promise<Worker> {
    if (this.#closed) return Promise.reject(new Error(`scaler ${this.type} is closed`));
    this.#thread ??= this.#start();
    return this.#thread;
  }

  #start(): Promise<Worker> {
    return new Promise((resolve, reject) => {
      const workerData = { url: this.url };
      const w = FROM_SOURCE
        ? new Worker(SOURCE_BOOT, { eval: true, workerData })
        : new Worker(ENTRY, { workerData });
      w.unref(); // a loaded scaler never keeps the process alive by itself
      w.on("message", (m: Reply) => ("ready" in m ? resolve(w) : this.#reply(m)));
      w.on("error", (err) => {
        reject(err);
        this.#lost(w, err);
      });
      w.on("exit", (code) => this.#lost(w, new Error(`worker exited with code ${code}`)));
    });
  }

  #reply(m: Exclude<Reply, { ready: true }>): void {
    const running = this.#running;
    if (!running || running.id !== m.id) return;
    if (m.ok) {
      this.#settle(m.id, () => running.job.resolve(m.reply));
      return;
    }
    const err = new Error(m.message);
    if (m.stack) err.stack = m.stack;
    this.#settle(m.id, () => running.job.reject(err));
  }

  /** The thread died on its own (an uncaught error in the module): fail the call in hand, respawn later. */
  #lost(w: Worker, err: Error): void {
    void this.#thread?.then((t) => {
      if (t === w) this.#thread = undefined;
    });
    const running = this.#running;
    if (running?.thread === w) this.#settle(running.id, () => running.job.reject(err));
  }
}
