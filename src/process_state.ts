/**
 * The life of one supervised process as explicit states. Every change of
 * state goes through {@linkcode ManagedProcess.to}, which refuses a change
 * the table below does not allow, so the supervisor's logic reads as
 * transitions rather than as flags.
 *
 * ```
 * waiting ──> starting ──> running ──> stopping ──> exited ──> done
 *                 │           │                       │ ├──> backoff ──> starting
 *                 └───────────┴──> exited             │ ├──> stopped ──> starting
 *                                                     │ └──> starting (restart)
 * ```
 *
 * @module
 */
import type { Instance } from "./formation.ts";

/**
 * Where a process is in its life:
 * - `waiting`: not started yet;
 * - `starting`: spawned, not ready yet;
 * - `running`: up and ready;
 * - `stopping`: its stop signal was sent;
 * - `exited`: its main process exited; its output and process group are
 *   finishing;
 * - `backoff`: waiting to be restarted;
 * - `stopped`: stopped on request, and started again only on request;
 * - `done`: ended; it runs again only on request.
 */
export type ProcessState =
  | "waiting"
  | "starting"
  | "running"
  | "stopping"
  | "exited"
  | "backoff"
  | "stopped"
  | "done";

/** The changes of state a process may go through. */
export const TRANSITIONS: Readonly<
  Record<ProcessState, readonly ProcessState[]>
> = {
  waiting: ["starting", "stopped", "done"],
  starting: ["running", "stopping", "exited"],
  running: ["stopping", "exited"],
  stopping: ["exited"],
  exited: ["starting", "backoff", "stopped", "done"],
  backoff: ["starting", "stopped", "done"],
  stopped: ["starting", "done"],
  done: ["starting"],
};

/** A snapshot of one process, for status displays and scripts. */
export interface ProcessInfo {
  /** The instance name, `web.1`. */
  name: string;
  /** The process type, `web`. */
  type: string;
  /** The pid of the current or last run, if it ever started. */
  pid?: number;
  /** Where it is in its life. */
  state: ProcessState;
  /** Its `PORT`. */
  port: number;
  /** When the current run started (ms since the epoch), if it runs. */
  startedAt?: number;
  /** How many times it was restarted. */
  restarts: number;
  /** The status its last run ended with (128+n for signal n). */
  lastStatus?: number;
  /** True in `running`: started and, if it has a probe, ready. */
  ready: boolean;
}

/**
 * One instance and where it is in its life.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ManagedProcess } from "./process_state.ts";
 * const p = new ManagedProcess({ type: "web", index: 1, name: "web.1", command: "serve", port: 5000 });
 * p.to("starting");
 * p.to("running");
 * assert.equal(p.state, "running");
 * assert.throws(() => p.to("backoff"), /running -> backoff/);
 * ```
 */
export class ManagedProcess {
  readonly instance: Instance;
  #state: ProcessState = "waiting";
  pid?: number;
  startedAt?: number;
  restarts = 0;
  lastStatus?: number;

  /** A process that has not started. */
  constructor(instance: Instance) {
    this.instance = instance;
  }

  /** The current state. */
  get state(): ProcessState {
    return this.#state;
  }

  /** The instance name. */
  get name(): string {
    return this.instance.name;
  }

  /** Moves to `next`; throws for a change {@linkcode TRANSITIONS} forbids. */
  to(next: ProcessState): void {
    if (!TRANSITIONS[this.#state].includes(next)) {
      throw new Error(
        `${this.name}: no transition ${this.#state} -> ${next}`,
      );
    }
    this.#state = next;
  }

  /** True in one of `states`. */
  is(...states: ProcessState[]): boolean {
    return states.includes(this.#state);
  }

  /** A snapshot for status displays. */
  info(): ProcessInfo {
    const live = this.is("starting", "running", "stopping", "exited");
    return {
      name: this.name,
      type: this.instance.type,
      pid: this.pid,
      state: this.#state,
      port: this.instance.port,
      startedAt: live ? this.startedAt : undefined,
      restarts: this.restarts,
      lastStatus: this.lastStatus,
      ready: this.#state === "running",
    };
  }
}
