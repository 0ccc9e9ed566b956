/**
 * The `process` driver: each instance is a real OS process in its own process group, with its
 * output in `{dataDir}/logs/{workloadKey}/{index}.log`.
 *
 * No orphans: instances are launched through `setpriv --pdeathsig KILL`, so the kernel kills
 * them when the agent dies, even by SIGKILL. (The signal follows the *thread* that forked;
 * libuv forks from the main thread, which lives as long as the process.) Children an instance
 * forks itself do not inherit it; for those, and where setpriv is missing, `instances.json`
 * lets the next start of the agent with the same data dir kill the leftovers.
 *
 * With `keepInstances` (`nadm host --keep-instances`) instances must outlive the agent across a
 * planned restart: they run without the parent-death signal and write their log file
 * themselves, and the next agent adopts them (`recover` keeps them, `adopt` watches them). A
 * crashed agent's instances then live until the agent starts again, which kills them: only a
 * planned handover (docs/operations.md "Upgrading") is adopted.
 */
import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import type { Logger } from "../../log.js";
import { findSetpriv, freePort, withParentDeathSignal } from "../../system.js";
import { AdoptedProcess } from "./adopted-process.js";
import { BoundedLog, DEFAULT_LOG_MAX_BYTES, DirectLog } from "./log-file.js";
import {
  type InstanceRecord,
  InstancesFile,
  isProcessAlive,
  killStale,
  readProcStat,
  stillRunning,
} from "./pid-file.js";
import { ProcessInstance } from "./process-instance.js";
import { CommandPolicy, type RunAsUser } from "./process-policy.js";
import { instanceEnv, type ProcessProperties, parseProcessProperties } from "./process-spec.js";
import type {
  Driver,
  HandedInstance,
  InstanceEvents,
  InstanceHandle,
  InstanceSpec,
  WorkloadNeeds,
  WorkloadRef,
} from "./types.js";

export interface ProcessDriverOptions {
  /** Holds `logs/` and `instances.json`. */
  dataDir: string;
  logger: Logger;
  /** Size at which an instance log rotates to `.1`. Default 1 MiB. */
  logMaxBytes?: number;
  /** Path of setpriv; `null` disables it. Default: `/usr/bin/setpriv` when it supports --pdeathsig. */
  setpriv?: string | null;
  /** Environment every instance inherits. Default: the agent's own. */
  baseEnv?: NodeJS.ProcessEnv;
  /** Globs of the commands this host runs (`--allow-command`). Default: any command. */
  allowCommands?: readonly string[];
  /** Run instances as this user (`--run-as`, resolved by `resolveRunAs`). Default: the agent's user. */
  runAs?: RunAsUser;
  /** Instances outlive the agent (no parent-death signal, log written by the instance). Default false. */
  keepInstances?: boolean;
}

export class ProcessDriver implements Driver<ProcessProperties> {
  readonly name = "process" as const;
  private readonly setpriv: string | null;
  private readonly instances: InstancesFile;
  private readonly policy: CommandPolicy;
  /** Instances `recover` kept for adoption, by pid. */
  private kept = new Map<number, InstanceRecord>();

  constructor(private readonly opts: ProcessDriverOptions) {
    this.policy = new CommandPolicy(opts.allowCommands, (opts.baseEnv ?? process.env).PATH);
    if (!this.policy.restricted) {
      opts.logger.warn(
        `no --allow-command: this host runs any command a manifest names, as ${opts.runAs?.name ?? "the agent's own user"}`,
      );
    }
    this.setpriv = opts.setpriv === undefined ? findSetpriv() : opts.setpriv;
    if (!this.setpriv) {
      opts.logger.warn(
        "setpriv with --pdeathsig not found (util-linux): instances of a crashed agent live until " +
          "the agent restarts with the same data dir",
      );
    }
    this.instances = InstancesFile.at(opts.dataDir);
  }

  prepare(workload: WorkloadRef): ProcessProperties {
    const props = parseProcessProperties(workload);
    this.policy.check(props.command);
    return props;
  }

  needs(props: ProcessProperties): WorkloadNeeds {
    const needs: WorkloadNeeds = {};
    if (props.links) needs.links = props.links;
    if (props.artifact) needs.artifact = props.artifact;
    return needs;
  }

  /** Kills instances a previous life of this host left running, except those to adopt (`keep`). */
  async recover(keep?: ReadonlySet<number>): Promise<void> {
    mkdirSync(this.opts.dataDir, { recursive: true });
    const records = this.instances.read();
    const kept = records.filter((r) => keep?.has(r.pid) && stillRunning(r));
    const killed = killStale(records.filter((r) => !kept.includes(r)));
    if (killed.length > 0) this.opts.logger.warn({ pids: killed }, "killed instances left by a previous run");
    const deadline = Date.now() + 2_000;
    while (killed.some(isProcessAlive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    this.instances.clear();
    this.kept = new Map(kept.map((r) => [r.pid, r]));
    for (const record of kept) this.instances.add(record);
  }

  adopt(
    spec: InstanceSpec<ProcessProperties>,
    instance: HandedInstance,
    events: InstanceEvents,
  ): InstanceHandle | undefined {
    const record = this.kept.get(instance.pid);
    this.kept.delete(instance.pid);
    if (!record || record.workloadKey !== spec.workload.key || !stillRunning(record)) return undefined;
    const log = new DirectLog(this.logPath(spec), this.opts.logMaxBytes ?? DEFAULT_LOG_MAX_BYTES);
    const child = new AdoptedProcess(record.pid, record.startTicks);
    const readiness = { props: spec.properties, port: instance.port };
    return new ProcessInstance(child, log, events, readiness, () => this.instances.remove(record.pid), {
      adoptedReady: instance.ready,
    });
  }

  async close(opts: { keepInstances?: boolean } = {}): Promise<void> {
    if (!opts.keepInstances) this.instances.clear();
  }

  private logPath(spec: InstanceSpec<ProcessProperties>): string {
    return join(this.opts.dataDir, "logs", spec.workload.key, `${spec.index}.log`);
  }

  async start(spec: InstanceSpec<ProcessProperties>, events: InstanceEvents): Promise<InstanceHandle> {
    const props = spec.properties;
    const port = props.port === "auto" ? await freePort() : props.port;
    const env = instanceEnv(
      this.opts.baseEnv ?? process.env,
      props,
      { ...spec.workload, index: spec.index, hostId: spec.hostId, workloadKey: spec.workload.key },
      port,
      spec.env,
    );
    const keep = this.opts.keepInstances === true;
    const maxBytes = this.opts.logMaxBytes ?? DEFAULT_LOG_MAX_BYTES;
    const log = keep
      ? new DirectLog(this.logPath(spec), maxBytes)
      : new BoundedLog(this.logPath(spec), maxBytes);
    const { command, cwd } = inArtifact(props, spec.artifactDir);
    const executable = command === props.command ? this.policy.executable(command) : command;
    // Kept instances must survive the agent: no parent-death signal, no pipes through it.
    const [file, args] = keep
      ? [executable, props.args ?? []]
      : withParentDeathSignal(executable, props.args ?? [], "KILL", this.setpriv);
    const out = log instanceof DirectLog ? log.openForChild() : "pipe";
    const user = this.opts.runAs;
    if (user) Object.assign(env, { USER: user.name, LOGNAME: user.name, HOME: user.home });
    // detached: the instance gets its own session and process group (pgid = pid).
    const child = spawn(file, args, {
      env,
      cwd,
      detached: true,
      stdio: ["ignore", out, out],
      ...(user ? { uid: user.uid, gid: user.gid } : {}),
    });
    try {
      await new Promise<void>((resolve, reject) => {
        child.once("spawn", resolve);
        child.once("error", reject);
      });
    } catch (err) {
      log.close();
      throw err;
    } finally {
      if (typeof out === "number") closeSync(out); // the child has its own copy
    }
    const pid = child.pid ?? -1;
    this.instances.add({
      pid,
      startTicks: readProcStat(pid)?.startTicks ?? null,
      workloadKey: spec.workload.key,
      index: spec.index,
    });
    return new ProcessInstance(child, log, events, { props, port }, () => this.instances.remove(pid));
  }
}

/**
 * Command and working directory of an instance whose workload has an artifact: a relative
 * command that names a file in the artifact runs that file (`server`, `./bin/server`); any
 * other stays a PATH lookup (`node`); the working directory is the artifact's, or `cwd` inside it.
 */
export function inArtifact(
  props: Pick<ProcessProperties, "command" | "cwd">,
  dir: string | undefined,
): { command: string; cwd: string | undefined } {
  if (!dir) return { command: props.command, cwd: props.cwd };
  const local = isAbsolute(props.command) ? undefined : resolve(dir, props.command);
  const command = local?.startsWith(`${dir}/`) && existsSync(local) ? local : props.command;
  const cwd = props.cwd === undefined ? dir : resolve(dir, props.cwd);
  return { command, cwd };
}
