/**
 * One run of one process: the command under `/bin/sh -c` in a session of
 * its own (see `_shell.ts`), stderr merged into stdout through one pipe,
 * and the run's end once three things are over: the main process exited,
 * its output closed, and nothing is left of its process group.
 *
 * @module
 */
import process from "node:process";
import type { LineStream } from "./lines.ts";
import { groupAlive } from "./_proc.ts";
import { spawnChild } from "./runtime_spawn.ts";
import { shellScript } from "./_shell.ts";
import { EXIT_NOT_FOUND, exitStatus } from "./status.ts";

/** A signal name, such as `SIGTERM`. */
export type Signal = NodeJS.Signals;

/** How a run ended. */
export interface ChildEnd {
  /** The main process's exit code, or null when a signal ended it. */
  code: number | null;
  /** The signal that ended the main process, or null. */
  signal: Signal | null;
  /** As a shell reports it: the code, or 128+n for signal n. */
  status: number;
  /** Why it could not start, when it could not. */
  error?: string;
}

/** What a run needs and whom it tells. */
export interface ChildOptions {
  command: string;
  cwd?: string;
  env: Readonly<Record<string, string>>;
  /** Where its lines go; undefined when they are read and dropped. */
  output?: LineStream;
  /** What is left of the group after the main process exits gets this signal. */
  stopSignal: Signal;
  /** Milliseconds from a stop signal to SIGKILL. */
  timeout: number;
  /** The main process exited (its output and group may still be finishing). */
  onExit(): void;
  /** The run is over; `end` says how the main process ended. */
  onEnd(end: ChildEnd): void;
  /** SIGKILL is about to go to what is left of the group. */
  onKill(): void;
  /** Called while waiting for the group to empty (tend reaps its orphans here). */
  onPoll?(): void;
  /**
   * Whether a process outside the group may be holding the output open,
   * once the group is gone: then the run ends without waiting for the
   * output to close (its lines are still printed as they come).
   */
  outputHeld?(): boolean;
}

/** How often an emptying process group is looked at. */
const _POLL_MS = 20;

/** One run of a command; see the module doc. */
export class Child {
  /** The main process's pid, which is also its process group's id. */
  readonly pid: number | undefined;
  readonly #options: ChildOptions;
  #end?: ChildEnd;
  #closed = false;
  #over = false;
  #stopping = false;
  #killTimer?: ReturnType<typeof setTimeout>;
  #pollTimer?: ReturnType<typeof setInterval>;
  /** Sees every chunk of output while set (a `log:` readiness probe). */
  watch?: (chunk: Uint8Array) => void;

  /** Starts the command now. */
  constructor(options: ChildOptions) {
    this.#options = options;
    const output = options.output;
    const child = spawnChild("/bin/sh", ["-c", shellScript(options.command)], {
      cwd: options.cwd,
      env: options.env,
      onOutput: (chunk) => {
        this.watch?.(chunk);
        return output?.push(chunk);
      },
      onOutputEnd: () => {
        output?.end();
        this.#closed = true;
        this.#settle();
      },
      onError: (message) => {
        this.#closed = true;
        this.#end = {
          code: EXIT_NOT_FOUND,
          signal: null,
          status: EXIT_NOT_FOUND,
          error: message,
        };
        this.#settle();
      },
      onExit: ({ code, signal }) => {
        this.#end = { code, signal, status: exitStatus(code, signal) };
        // What the main process left in its group (background jobs) is
        // stopped as at shutdown, so it can neither hold the output open
        // nor outlive its process.
        if (!this.#stopping) this.stop(options.stopSignal, options.timeout);
        options.onExit();
        this.#settle();
      },
    });
    this.pid = child.pid;
  }

  /** True once the run is over. */
  get over(): boolean {
    return this.#over;
  }

  /**
   * Sends `signal` to the whole group, and SIGKILL after `timeout` ms if
   * any of it is left. A later call sends its signal but keeps the first
   * deadline.
   */
  stop(signal: Signal, timeout: number): void {
    this.#stopping = true;
    this.signal(signal);
    if (this.#killTimer === undefined && !this.#over) {
      this.#killTimer = setTimeout(() => this.kill(), Math.max(0, timeout));
    }
  }

  /** SIGKILLs what is left of the group, now. */
  kill(): void {
    if (this.#over || !this.#groupAlive()) return;
    this.#options.onKill();
    this.signal("SIGKILL");
  }

  /** Sends `signal` to the whole group; false when none of it is left. */
  signal(signal: Signal): boolean {
    if (this.pid === undefined) return false;
    try {
      process.kill(-this.pid, signal);
      return true;
    } catch {
      return false;
    }
  }

  /** True while any live process of the group is left. */
  #groupAlive(): boolean {
    return this.pid !== undefined && groupAlive(this.pid);
  }

  /**
   * Ends the run once the main process exited, the group is gone and the
   * output closed (or, looked at on a later poll, is held by a stray).
   */
  #settle(polled = false): void {
    if (this.#over || !this.#end) return;
    this.#options.onPoll?.();
    const waiting = this.#groupAlive() ||
      (!this.#closed && !(polled && this.#options.outputHeld?.()));
    if (waiting) {
      this.#pollTimer ??= setInterval(() => this.#settle(true), _POLL_MS);
      return;
    }
    this.#over = true;
    clearInterval(this.#pollTimer);
    clearTimeout(this.#killTimer);
    this.#options.onEnd(this.#end);
  }
}
