/**
 * Supervision: runs every planned instance, prints its output and its
 * events, applies the restart and can-die policies, and stops everything
 * cleanly.
 *
 * Each instance is a {@linkcode ManagedProcess} whose state changes only in
 * the transitions below. Each run is a process group; what leaves its
 * group (a `setsid` child, a daemon) is found and stopped too (see
 * `_reaper.ts`), and a watchdog stops everything if tend itself dies (see
 * `_watchdog.ts`).
 *
 * The supervisor is driven by events only (child output, exits, signals, a
 * timer while something is stopping); an idle supervisor uses no CPU.
 *
 * @module
 */
import process from "node:process";
import { Child, type ChildEnd, type Signal } from "./_child.ts";
import { MARK_VARIABLE, Reaper } from "./_reaper.ts";
import { Watchdog } from "./_watchdog.ts";
import type { TendEvent } from "./events.ts";
import type { Printer } from "./output.ts";
import {
  ManagedProcess,
  type ProcessInfo,
  type ProcessState,
} from "./process_state.ts";
import { TendError } from "./errors.ts";
import { signalStatus } from "./status.ts";
import {
  DEFAULT_TIMEOUT,
  RESTART_MAX_DELAY,
  RESTART_MIN_DELAY,
  RESTART_RESET_AFTER,
  selected,
  SIGNAL_WINDOW,
  type SupervisorOptions,
  type TypeSelection,
} from "./policy.ts";

export type { ProcessInfo, ProcessState, Signal };
export {
  DEFAULT_TIMEOUT,
  RESTART_MAX_DELAY,
  RESTART_MIN_DELAY,
  RESTART_RESET_AFTER,
  SIGNAL_WINDOW,
  type SupervisorOptions,
  type TypeSelection,
};

/** What a process does when its run ends: the policies, or a request. */
type _Next = "policy" | "stop" | "restart";

interface _Entry {
  readonly proc: ManagedProcess;
  child?: Child;
  next: _Next;
  delay: number;
  timer?: ReturnType<typeof setTimeout>;
}

/**
 * Runs a set of instances until they end or are stopped.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { plan, Printer, QueuedSink, Supervisor } from "../mod.ts";
 * const sink = new QueuedSink(async () => {});
 * const instances = plan([{ name: "hello", command: "echo hi", line: 1 }]);
 * const supervisor = new Supervisor({
 *   instances,
 *   env: { PATH: "/usr/bin:/bin" },
 *   printer: new Printer(sink, instances.map((i) => i.name)),
 * });
 * // 0: the only process exited with 0.
 * assert.equal(await supervisor.run(), 0);
 * assert.equal(supervisor.processes()[0].state, "done");
 * ```
 */
export class Supervisor {
  readonly #options: SupervisorOptions;
  readonly #entries: _Entry[];
  readonly #printer: Printer;
  #stopping = false;
  #status: number | undefined;
  #resolve?: (status: number) => void;
  #finishing = false;
  #watchdog?: Watchdog;
  readonly #reaper = new Reaper();
  /** When tend got its first stop signal. */
  #signalAt = 0;
  /** When what is still running at shutdown gets SIGKILL. */
  #deadline?: number;

  /** Prepares the instances; nothing starts before {@linkcode Supervisor.run}. */
  constructor(options: SupervisorOptions) {
    this.#options = options;
    this.#printer = options.printer;
    this.#entries = options.instances.map((instance) => ({
      proc: new ManagedProcess(instance),
      next: "policy",
      delay: RESTART_MIN_DELAY,
    }));
  }

  /** A snapshot of every process, in plan order. */
  processes(): ProcessInfo[] {
    return this.#entries.map((e) => e.proc.info());
  }

  /** True once shutdown has begun: nothing is started or restarted after. */
  get stopping(): boolean {
    return this.#stopping;
  }

  /**
   * Restarts the instances `target` names (`web.1`, or every instance of
   * type `web`): each is stopped as at shutdown (its stop signal, SIGKILL
   * after the timeout) and started again with the same `PORT` and
   * environment; one that is not running just starts. The others run on.
   * Returns the instances it applied to; throws a {@linkcode TendError}
   * for a name that is neither an instance nor a type.
   */
  restartProcess(target: string): ProcessInfo[] {
    return this.#request(target, "restart");
  }

  /**
   * Stops the instances `target` names and keeps them stopped, without
   * stopping the others (their end is not an exit that stops the rest).
   */
  stopProcess(target: string): ProcessInfo[] {
    return this.#request(target, "stop");
  }

  /** Starts the instances `target` names that are stopped or ended. */
  startProcess(target: string): ProcessInfo[] {
    return this.#request(target, "start");
  }

  /** Applies a request to each instance `target` names: a transition each. */
  #request(
    target: string,
    action: "restart" | "stop" | "start",
  ): ProcessInfo[] {
    const entries = this.#entries.filter((e) =>
      e.proc.name === target || e.proc.instance.type === target
    );
    if (entries.length === 0) {
      throw new TendError({
        message: `no process "${target}" (processes: ${
          this.#entries.map((e) => e.proc.name).join(", ")
        })`,
      });
    }
    if (this.#stopping) {
      throw new TendError({ message: "tend is stopping" });
    }
    for (const entry of entries) {
      const { proc } = entry;
      if (action !== "start" && proc.is("starting", "running")) {
        this.#emit({
          event: "message",
          text: `${proc.name}: ${action} requested`,
        });
        entry.next = action;
        this.#stopRun(entry, this.#stopSignal(entry));
      } else if (action !== "start" && proc.is("stopping", "exited")) {
        entry.next = action;
      } else if (action === "stop" && proc.is("waiting", "backoff")) {
        clearTimeout(entry.timer);
        proc.to("stopped");
      } else if (
        action !== "stop" && proc.is("backoff", "stopped", "done")
      ) {
        clearTimeout(entry.timer);
        if (action === "restart" && proc.is("done")) proc.restarts++;
        this.#start(entry);
      }
    }
    return entries.map((e) => e.proc.info());
  }

  /**
   * Starts every instance and resolves, once all have ended and their
   * output is written, with tend's exit status: 128+n when a signal made it
   * stop, else the status of the first process whose exit stopped the rest.
   */
  run(): Promise<number> {
    const done = new Promise<number>((resolve) => (this.#resolve = resolve));
    if (this.#options.adoptOrphans && !this.#reaper.adopt()) {
      this.#emit({
        event: "message",
        text: process.pid === 1
          ? "running as PID 1 without FFI: orphaned processes are not reaped; use `docker run --init`"
          : "no FFI here: processes that leave their group are found by their TEND_PID, not adopted",
      });
    }
    this.#watchdog = new Watchdog();
    this.#reaper.own(this.#watchdog.pid, true);
    for (const entry of this.#entries) {
      if (this.#stopping) break;
      this.#start(entry);
    }
    this.#check();
    return done;
  }

  /**
   * Stops everything as if tend got `signal`: the exit status becomes
   * 128+n. A second call while stopping sends SIGKILL at once, unless it
   * comes within {@linkcode SIGNAL_WINDOW} ms of the first (the same Ctrl-C
   * through a wrapper).
   */
  stop(signal: Signal): void {
    const now = Date.now();
    if (this.#stopping) {
      if (now - this.#signalAt < SIGNAL_WINDOW) return;
      for (const entry of this.#entries) entry.child?.kill();
      this.#signalStrays("SIGKILL");
      return;
    }
    this.#signalAt = now;
    this.#emit({ event: "signal", signal });
    this.shutdown(signalStatus(signal));
  }

  /**
   * Begins a clean shutdown: cancels pending starts and restarts, sends
   * each running group its stop signal, and SIGKILL after the timeout.
   * `status`, when given and no status is set yet, becomes the exit status.
   */
  shutdown(status?: number): void {
    if (this.#status === undefined && status !== undefined) {
      this.#status = status;
    }
    if (this.#stopping) return;
    this.#stopping = true;
    this.#deadline = Date.now() + (this.#options.timeout ?? DEFAULT_TIMEOUT);
    const live = this.#entries.filter((e) => e.proc.is("starting", "running"));
    const signals = new Set(live.map((e) => this.#stopSignal(e)));
    if (signals.size === 1) {
      this.#emit({ event: "stopping", signal: [...signals][0] });
    }
    for (const entry of this.#entries) {
      const { proc } = entry;
      if (proc.is("waiting", "backoff", "stopped")) {
        clearTimeout(entry.timer);
        proc.to("done");
      } else if (proc.is("starting", "running")) {
        const signal = this.#stopSignal(entry);
        if (signals.size > 1) {
          this.#emit({
            event: "stopping",
            signal,
            name: proc.name,
            pid: proc.pid,
          });
        }
        this.#stopRun(entry, signal);
      }
    }
    this.#signalStrays("SIGTERM");
    this.#check();
  }

  /** The process groups of the runs that are not over. */
  #groups(): Set<number> {
    const groups = new Set<number>();
    for (const { child } of this.#entries) {
      if (child && !child.over && child.pid !== undefined) {
        groups.add(child.pid);
      }
    }
    return groups;
  }

  /** Sends `signal` to what left the groups, and says so. */
  #signalStrays(signal: Signal): void {
    const pids = this.#reaper.signalStrays(this.#groups(), signal);
    if (pids.length > 0) this.#emit({ event: "strays", signal, pids });
  }

  /** Reports an event through the printer. */
  #emit(event: TendEvent): void {
    this.#printer.event(event);
  }

  /** The first signal at shutdown for the entry's type (--stop-signal). */
  #stopSignal(entry: _Entry): Signal {
    return this.#options.stopSignals?.get(entry.proc.instance.type) ??
      "SIGTERM";
  }

  /** running/starting -> stopping: its group gets `signal`, SIGKILL later. */
  #stopRun(entry: _Entry, signal: Signal): void {
    entry.proc.to("stopping");
    entry.child?.stop(signal, this.#options.timeout ?? DEFAULT_TIMEOUT);
  }

  /** waiting/backoff/stopped/done/exited -> starting: a new run. */
  #start(entry: _Entry): void {
    const { proc } = entry;
    const { instance } = proc;
    proc.to("starting");
    entry.next = "policy";
    const quiet = selected(this.#options.quiet, instance.type);
    const child: Child = new Child({
      command: instance.command,
      cwd: this.#options.cwd,
      env: {
        ...this.#options.env,
        PORT: String(instance.port),
        PS: instance.name,
        [MARK_VARIABLE]: String(process.pid),
      },
      output: quiet
        ? this.#printer.quietStream(instance.name)
        : this.#printer.stream(instance.name),
      stopSignal: this.#stopSignal(entry),
      timeout: this.#options.timeout ?? DEFAULT_TIMEOUT,
      onExit: () => {
        this.#reaper.disown(child.pid);
        if (entry.child === child) proc.to("exited");
      },
      onPoll: () => this.#reaper.reap(),
      // A process that left the group can hold the output open forever.
      outputHeld: () => this.#reaper.strays(this.#groups()).length > 0,
      onEnd: (end) => this.#ended(entry, child, end),
      onKill: () =>
        this.#emit({ event: "killing", name: proc.name, pid: child.pid! }),
    });
    entry.child = child;
    proc.pid = child.pid;
    proc.startedAt = Date.now();
    if (child.pid === undefined) return;
    this.#reaper.own(child.pid);
    this.#watchdog?.add(child.pid);
    this.#emit({ event: "started", name: proc.name, pid: child.pid });
    proc.to("running");
  }

  /** The run is over: -> exited, then where its policy or request says. */
  #ended(entry: _Entry, child: Child, end: ChildEnd): void {
    const { proc } = entry;
    if (entry.child !== child) return;
    this.#watchdog?.remove(child.pid);
    proc.lastStatus = end.status;
    // A run that never started has no exit event.
    if (!proc.is("exited")) proc.to("exited");
    if (end.error !== undefined) {
      this.#emit({ event: "failed", name: proc.name, message: end.error });
    } else {
      this.#emit({
        event: "exited",
        name: proc.name,
        pid: child.pid,
        code: end.code,
        signal: end.signal,
        status: end.status,
      });
    }
    if (this.#stopping) proc.to("done");
    else if (entry.next === "stop") proc.to("stopped");
    else if (entry.next === "restart") {
      proc.restarts++;
      this.#start(entry);
    } else this.#applyPolicy(entry, end.status);
    this.#check();
  }

  /** exited -> backoff (restart policy) or done, which may stop the rest. */
  #applyPolicy(entry: _Entry, status: number): void {
    const { proc } = entry;
    const type = proc.instance.type;
    const max = this.#options.maxRestarts ?? Infinity;
    if (selected(this.#options.restart, type) && proc.restarts < max) {
      if (Date.now() - (proc.startedAt ?? 0) >= RESTART_RESET_AFTER) {
        entry.delay = RESTART_MIN_DELAY;
      }
      const delay = entry.delay;
      entry.delay = Math.min(delay * 2, RESTART_MAX_DELAY);
      proc.restarts++;
      proc.to("backoff");
      this.#emit({ event: "restarting", name: proc.name, delay, status });
      entry.timer = setTimeout(() => {
        entry.timer = undefined;
        this.#start(entry);
      }, delay);
      return;
    }
    proc.to("done");
    if (!selected(this.#options.canDie, type)) this.shutdown(status);
  }

  /**
   * Once every process is done: stops what is left outside the groups,
   * then resolves `run()` when output is out.
   */
  #check(): void {
    if (this.#finishing || !this.#resolve) return;
    if (!this.#entries.every((e) => e.proc.is("done"))) return;
    this.#finishing = true;
    const resolve = this.#resolve;
    const deadline = this.#deadline ??
      Date.now() + (this.#options.timeout ?? DEFAULT_TIMEOUT);
    this.#reaper.sweep(deadline, (signal, pids) => {
      if (pids.length > 0) this.#emit({ event: "strays", signal, pids });
    }).then(async () => {
      this.#watchdog?.close();
      this.#reaper.close();
      await this.#printer.sink.flush();
      resolve(this.#status ?? 0);
    });
  }
}
