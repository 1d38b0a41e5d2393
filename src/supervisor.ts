/**
 * Supervision: starts every planned instance as `sh -c COMMAND` in its own
 * session, prints its merged output, and stops everything cleanly.
 *
 * Each instance runs in its own session under a shell wrapper that merges
 * stderr into stdout (one pipe keeps their relative order). One watchdog
 * per supervisor, a small shell that tend spawned (so tend reaps it, even as
 * PID 1), keeps the list of live process groups that tend writes to its
 * stdin. When tend dies, even by SIGKILL, its stdin reaches end of file and
 * it SIGKILLs every group still listed, so no process outlives tend.
 *
 * The supervisor is driven by events only (child output, exits, signals,
 * one timer during shutdown); an idle supervisor uses no CPU.
 *
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import { constants } from "node:os";
import process from "node:process";
import type { Instance } from "./formation.ts";
import type { LineStream, Printer } from "./output.ts";

/** A set of process types, or every type. */
export type TypeSelection = "all" | ReadonlySet<string>;

/** The signals tend accepts as a stop signal. */
export type Signal = NodeJS.Signals;

/** Options for {@linkcode Supervisor}. */
export interface SupervisorOptions {
  /** The instances to run, from `plan()`. */
  instances: readonly Instance[];
  /** The environment every instance gets; `PORT` and `PS` are added. */
  env: Readonly<Record<string, string>>;
  /** Where output goes. */
  printer: Printer;
  /** Working directory of the processes (default: tend's). */
  cwd?: string;
  /** Milliseconds between the stop signal and SIGKILL (default 5000). */
  timeout?: number;
  /** Types whose output is not printed (it is still read). */
  quiet?: TypeSelection;
  /** Types that may exit without stopping the others. */
  canDie?: TypeSelection;
  /** Types restarted with exponential backoff when they exit. */
  restart?: TypeSelection;
  /** Restarts per instance before an exit counts as final (default: no limit). */
  maxRestarts?: number;
  /** The first signal each type gets at shutdown (default SIGTERM). */
  stopSignals?: ReadonlyMap<string, Signal>;
}

/** First backoff delay before a restart, in milliseconds. */
export const RESTART_MIN_DELAY = 100;
/** Longest backoff delay before a restart, in milliseconds. */
export const RESTART_MAX_DELAY = 30_000;
/** An instance that stayed up this long restarts with the first delay again. */
export const RESTART_RESET_AFTER = 10_000;

const _WRAPPER = "exec 2>&1\n";

// Reads `+PGID` and `-PGID` lines; at end of file (tend exited or died)
// SIGKILLs every group still listed. It ignores the terminal's signals so
// that only the end of its input stops it.
const _WATCHDOG = `trap '' INT TERM HUP
while read -r line; do
  case $line in
    +*) eval "_g\${line#+}=1" ;;
    -*) unset "_g\${line#-}" ;;
  esac
done
for g in $(set | sed -n 's/^_g\\([0-9]*\\)=.*/\\1/p'); do kill -KILL "-$g" 2>/dev/null; done
`;

interface _Proc {
  readonly instance: Instance;
  child?: ChildProcess;
  pid?: number;
  /** Open event sources of the current run: exit + the two pipes. */
  pending: number;
  /** Set when the current run's main process has exited. */
  exited: boolean;
  /** SIGKILLs what is left of the group after the main process exited. */
  reaper?: ReturnType<typeof setTimeout>;
  /** The current run's status, as an exit code (128+n for a signal). */
  status: number;
  /** Set when the current run has fully ended (exited and drained). */
  ended: boolean;
  /** Set when this instance will not run again. */
  done: boolean;
  restarts: number;
  delay: number;
  startedAt: number;
  /** How the current run ended, for the `exited` line. */
  exitText?: string;
  timer?: ReturnType<typeof setTimeout>;
}

function _selected(
  selection: TypeSelection | undefined,
  type: string,
): boolean {
  return selection === "all" || (selection?.has(type) ?? false);
}

/**
 * 128 + the signal's number, the shell's convention for "killed by".
 *
 * @example
 * ```ts
 * import { signalStatus } from "./supervisor.ts";
 * console.assert(signalStatus("SIGTERM") === 143);
 * ```
 */
export function signalStatus(signal: string): number {
  const n = (constants.signals as Record<string, number>)[signal];
  return 128 + (n ?? 0);
}

/**
 * Runs a set of instances until they end or are stopped.
 *
 * @example
 * ```ts
 * import { plan, Printer, QueuedSink, Supervisor } from "../mod.ts";
 * const sink = new QueuedSink(async () => {});
 * const instances = plan([{ name: "hello", command: "echo hi", line: 1 }]);
 * const supervisor = new Supervisor({
 *   instances,
 *   env: { PATH: "/usr/bin:/bin" },
 *   printer: new Printer(sink, instances.map((i) => i.name)),
 * });
 * const status = await supervisor.run(); // 0: the only process exited with 0
 * console.assert(status === 0);
 * ```
 */
export class Supervisor {
  readonly #options: SupervisorOptions;
  readonly #procs: _Proc[];
  readonly #printer: Printer;
  #stopping = false;
  #status: number | undefined;
  #killTimer?: ReturnType<typeof setTimeout>;
  #resolve?: (status: number) => void;
  #finished = false;
  #watchdog?: ChildProcess;

  /** Prepares the instances; nothing starts before {@linkcode Supervisor.run}. */
  constructor(options: SupervisorOptions) {
    this.#options = options;
    this.#printer = options.printer;
    this.#procs = options.instances.map((instance) => ({
      instance,
      pending: 0,
      exited: false,
      status: 0,
      ended: false,
      done: false,
      restarts: 0,
      delay: RESTART_MIN_DELAY,
      startedAt: 0,
    }));
  }

  /**
   * Starts every instance and resolves, once all have ended and their
   * output is written, with tend's exit status: 128+n when a signal made it
   * stop, else the status of the first process whose exit stopped the rest.
   */
  run(): Promise<number> {
    const done = new Promise<number>((resolve) => (this.#resolve = resolve));
    this.#watchdog = spawn("/bin/sh", ["-c", _WATCHDOG], {
      detached: true,
      stdio: ["pipe", "ignore", "ignore"],
    });
    this.#watchdog.stdin?.on("error", () => {});
    if (this.#procs.length === 0) this._check();
    for (const proc of this.#procs) {
      if (this.#stopping) {
        proc.done = proc.ended = true;
        continue;
      }
      this._spawn(proc);
    }
    this._check();
    return done;
  }

  /**
   * Stops everything as if tend got `signal`: the exit status becomes
   * 128+n. A second call while stopping sends SIGKILL at once.
   */
  stop(signal: Signal): void {
    if (this.#stopping) {
      this._killAll();
      return;
    }
    this.#printer.system(`${signal} received`);
    this.shutdown(signalStatus(signal));
  }

  /**
   * Begins a clean shutdown: cancels pending restarts, sends each running
   * group its stop signal, and SIGKILL after the timeout. `status`, when
   * given and no status is set yet, becomes the exit status.
   */
  shutdown(status?: number): void {
    if (this.#status === undefined && status !== undefined) {
      this.#status = status;
    }
    if (this.#stopping) return;
    this.#stopping = true;
    for (const proc of this.#procs) {
      if (proc.timer !== undefined) {
        clearTimeout(proc.timer);
        proc.timer = undefined;
        proc.done = proc.ended = true;
      }
    }
    const alive = this.#procs.filter((p) => !p.ended);
    if (alive.length > 0) {
      const signals = new Set(alive.map((p) => this._stopSignal(p)));
      if (signals.size === 1) {
        this.#printer.system(`sending ${[...signals][0]} to all processes`);
      }
      for (const proc of alive) {
        const signal = this._stopSignal(proc);
        if (signals.size > 1) {
          this.#printer.system(
            `sending ${signal} to ${proc.instance.name} (pid=${proc.pid})`,
          );
        }
        this._signal(proc, signal);
      }
      this.#killTimer = setTimeout(
        () => this._killAll(),
        this.#options.timeout ?? 5000,
      );
    }
    this._check();
  }

  /** The first signal at shutdown for the instance's type (--stop-signal). */
  private _stopSignal(proc: _Proc): Signal {
    return this.#options.stopSignals?.get(proc.instance.type) ?? "SIGTERM";
  }

  /** Ends the grace period: SIGKILLs every group still running. */
  private _killAll(): void {
    for (const proc of this.#procs) {
      if (proc.ended || proc.pid === undefined) continue;
      this.#printer.system(
        `sending SIGKILL to ${proc.instance.name} (pid=${proc.pid})`,
      );
      this._signal(proc, "SIGKILL");
    }
  }

  /** Signals the instance's whole process group. */
  private _signal(proc: _Proc, signal: Signal): void {
    if (proc.pid === undefined) return;
    try {
      process.kill(-proc.pid, signal);
    } catch {
      // ESRCH: the group is already gone.
    }
  }

  /** Starts the instance in its own process group and wires up its output. */
  private _spawn(proc: _Proc): void {
    const { instance } = proc;
    const env = {
      ...this.#options.env,
      PORT: String(instance.port),
      PS: instance.name,
    };
    const child = spawn("/bin/sh", ["-c", _WRAPPER + instance.command], {
      cwd: this.#options.cwd,
      env,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    if (child.pid !== undefined) {
      this.#watchdog?.stdin?.write(`+${child.pid}\n`);
    }
    proc.child = child;
    proc.pid = child.pid;
    proc.ended = false;
    proc.exited = false;
    proc.pending = 3;
    proc.status = 0;
    proc.startedAt = Date.now();
    if (child.pid !== undefined) {
      this.#printer.system(`${instance.name} started (pid=${child.pid})`);
    }
    const quiet = _selected(this.#options.quiet, instance.type);
    for (const source of [child.stdout, child.stderr]) {
      if (!source) {
        proc.pending--;
        continue;
      }
      const lines: LineStream | undefined = quiet
        ? undefined
        : this.#printer.stream(instance.name);
      source.on("data", (chunk: Uint8Array) => {
        const full = lines?.push(chunk);
        if (full) {
          source.pause();
          full.then(() => source.resume());
        }
      });
      source.once("close", () => {
        lines?.end();
        this._settle(proc, child);
      });
      source.on("error", () => {});
    }
    child.once("error", (error: Error) => {
      this.#printer.system(
        `${instance.name} failed to start: ${error.message}`,
      );
      proc.status = 127;
      // No exit event follows a failed spawn.
      if (child.pid === undefined) this._settle(proc, child);
    });
    child.once("exit", (code: number | null, signal: Signal | null) => {
      proc.status = code ?? signalStatus(signal ?? "SIGKILL");
      proc.exitText = code !== null ? `code=${code}` : `signal=${signal}`;
      proc.exited = true;
      if (!this.#stopping) {
        // What the main process left behind in its group (background jobs)
        // is stopped like at shutdown, so it cannot hold the output open or
        // outlive its process. At shutdown the group was signalled already.
        this._signal(proc, this._stopSignal(proc));
        proc.reaper = setTimeout(
          () => this._signal(proc, "SIGKILL"),
          this.#options.timeout ?? 5000,
        );
      }
      this._settle(proc, child);
    });
  }

  /** Counts down the run's event sources; the last one ends the run. */
  private _settle(proc: _Proc, child: ChildProcess): void {
    if (proc.child !== child || --proc.pending > 0) return;
    proc.ended = true;
    if (proc.reaper !== undefined) clearTimeout(proc.reaper);
    proc.reaper = undefined;
    // The run is over (main process gone, output drained): what is left of
    // its group holds no output and had its stop signal; it goes now.
    if (proc.pid !== undefined) {
      this._signal(proc, "SIGKILL");
      this.#watchdog?.stdin?.write(`-${proc.pid}\n`);
    }
    this.#printer.system(
      `${proc.instance.name} exited (${
        proc.exitText ?? "code=" + proc.status
      })`,
    );
    proc.exitText = undefined;
    this._ended(proc);
  }

  /** Restarts the instance, or lets its end stop the others, per the options. */
  private _ended(proc: _Proc): void {
    const type = proc.instance.type;
    const max = this.#options.maxRestarts ?? Infinity;
    if (
      !this.#stopping && _selected(this.#options.restart, type) &&
      proc.restarts < max
    ) {
      if (Date.now() - proc.startedAt >= RESTART_RESET_AFTER) {
        proc.delay = RESTART_MIN_DELAY;
      }
      const delay = proc.delay;
      proc.delay = Math.min(delay * 2, RESTART_MAX_DELAY);
      proc.restarts++;
      this.#printer.system(
        `${proc.instance.name} restarting in ${
          (delay / 1000).toFixed(1)
        } s (exit code ${proc.status})`,
      );
      proc.timer = setTimeout(() => {
        proc.timer = undefined;
        this._spawn(proc);
      }, delay);
      return;
    }
    proc.done = true;
    if (!this.#stopping && !_selected(this.#options.canDie, type)) {
      this.shutdown(proc.status);
    }
    this._check();
  }

  /** Resolves `run()` once nothing runs or waits to run, and output is out. */
  private _check(): void {
    if (this.#finished || !this.#resolve) return;
    if (!this.#procs.every((p) => p.done && p.ended)) return;
    this.#finished = true;
    if (this.#killTimer !== undefined) clearTimeout(this.#killTimer);
    this.#watchdog?.stdin?.end();
    const status = this.#status ?? 0;
    const resolve = this.#resolve;
    this.#printer.sink.flush().then(() => resolve(status));
  }
}
