/**
 * Worker-thread entry that runs one custom scaler module (worker-scaler.ts is the other end).
 * Each call's input is deep-frozen first, so a scaler that writes to it throws and its
 * component is marked failed, instead of silently corrupting what other calls see.
 */
import { parentPort, workerData } from "node:worker_threads";
import { deepFreeze } from "../scalers/freeze.js";

interface Call {
  id: number;
  input: { properties: unknown; hosts: unknown };
}

interface Loaded {
  reconcile(input: unknown): unknown;
  desiredTotal?(properties: unknown, hosts: unknown): unknown;
}

/** The scaler's own total, or undefined if it has none or it throws (it only feeds the status). */
function total(scaler: Loaded, input: Call["input"]): unknown {
  try {
    return scaler.desiredTotal?.(input.properties, input.hosts);
  } catch {
    return undefined;
  }
}

const port = parentPort;
if (!port) throw new Error("scaler-thread.ts runs only as a worker thread");
const { url } = workerData as { url: string };
const scaler = ((await import(url)) as { default: Loaded }).default;

port.on("message", (call: Call) => {
  try {
    const input = deepFreeze(call.input);
    const result = scaler.reconcile(input);
    port.postMessage({ id: call.id, ok: true, reply: { result, desired: total(scaler, input) } });
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    port.postMessage({ id: call.id, ok: false, message: e.message, stack: e.stack });
  }
});
port.postMessage({ ready: true });
