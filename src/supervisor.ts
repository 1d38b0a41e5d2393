/**
 * Supervision: runs every planned instance, prints its output and its
 * events, applies the start order, the restart and can-die policies, and
 * stops everything cleanly.
 *
 * Each instance is a {@linkcode ManagedProcess} whose state changes only by
 * the transitions of its runner (`_runner.ts`); this module decides which
 * transition comes next: what may start (its dependencies are ready, a
 * `release` instance has succeeded), what a run's end leads to, and in
 * which order things stop. Each run is a process group; what leaves its
 * group (a `setsid` child, a daemon) is found and stopped too (see
 * `_reaper.ts`), and a watchdog stops everything if tend itself dies (see
 * `_watchdog.ts`).
 *
 * The supervisor is driven by events only (child output, exits, signals, a
 * timer while something starts or stops); an idle supervisor uses no CPU.
 *
 * @module
 */
import type { ChildEnd, Signal } from "./_child.ts";
import { NO_ADOPTION, Reaper } from "./_reaper.ts";
import { Runner } from "./_runner.ts";
import { Watchdog } from "./_watchdog.ts";
import { TendError } from "./errors.ts";
import type { TendEvent } from "./events.ts";
import { dependencies, mayStop, RELEASE } from "./order.ts";
import {
  DEFAULT_READY_TIMEOUT,
  DEFAULT_TIMEOUT,
  RESTART_MAX_DELAY,
  RESTART_MIN_DELAY,
  RESTART_RESET_AFTER,
  selected,
  SIGNAL_WINDOW,
  type SupervisorOptions,
} from "./policy.ts";
import type { ProcessInfo, ProcessState } from "./process_state.ts";
import { EXIT_FAILURE, signalStatus } from "./status.ts";

export type { ProcessInfo, ProcessState, Signal };

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
  readonly #runners: Runner[];
  /** Type to the types it waits for (the declared order, and release). */
  readonly #deps: Map<string, string[]>;
  /** Whether any order is declared: then stops are told one by one. */
  readonly #ordered: boolean;
  readonly #reaper = new Reaper();
  #watchdog?: Watchdog;
  #stopping = false;
  #status: number | undefined;
  #resolve?: (status: number) => void;
  #finishing = false;
  /** When tend got its first stop signal. */
  #signalAt = 0;
  /** When what is still running at shutdown gets SIGKILL. */
  #deadline?: number;

  /** Prepares the instances; nothing starts before {@linkcode Supervisor.run}. */
  constructor(options: SupervisorOptions) {
    this.#options = options;
    const timeout = options.timeout ?? DEFAULT_TIMEOUT;
    const ctx = {
      env: options.env,
      cwd: options.cwd,
      printer: options.printer,
      reaper: this.#reaper,
      watchdog: () => this.#watchdog,
      groups: () => this.#groups(),
      emit: (event: TendEvent) => this.#emit(event),
      timeout,
      readyTimeout: options.readyTimeout ?? DEFAULT_READY_TIMEOUT,
      onReady: () => this.#startWaiting(),
      onNotReady: () => this.shutdown(EXIT_FAILURE),
      onEnd: (runner: Runner, end: ChildEnd) => this.#ended(runner, end),
    };
    this.#runners = options.instances.map((instance) =>
      new Runner(instance, ctx, {
        stopSignal: options.stopSignals?.get(instance.type) ?? "SIGTERM",
        quiet: selected(options.quiet, instance.type),
        probe: options.ready?.get(instance.type),
        delay: RESTART_MIN_DELAY,
      })
    );
    const types = [...new Set(options.instances.map((i) => i.type))];
    this.#deps = dependencies(options.order ?? new Map(), types);
    this.#ordered = [...this.#deps.values()].some((d) => d.length > 0);
  }

  /** A snapshot of every process, in plan order. */
  processes(): ProcessInfo[] {
    return this.#runners.map((r) => r.proc.info());
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

  /**
   * Starts every instance whose dependencies are ready (the others as
   * theirs become ready) and resolves, once all have ended and their
   * output is written, with tend's exit status: 128+n when a signal made it
   * stop, else the status of the first process whose exit stopped the rest.
   */
  run(): Promise<number> {
    const done = new Promise<number>((resolve) => (this.#resolve = resolve));
    if (this.#options.adoptOrphans && !this.#reaper.adopt()) {
      if (this.#options.onNote) this.#options.onNote(NO_ADOPTION);
      else this.#emit({ event: "message", text: NO_ADOPTION });
    }
    this.#watchdog = new Watchdog();
    this.#reaper.own(this.#watchdog.pid, true);
    for (const runner of this.#runners) {
      const waits = this.#waitsFor(runner.type);
      if (waits.length > 0) {
        this.#emit({ event: "waiting", name: runner.proc.name, for: waits });
      }
    }
    this.#startWaiting();
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
      for (const runner of this.#runners) runner.child?.kill();
      this.#signalStrays("SIGKILL");
      return;
    }
    this.#signalAt = now;
    this.#emit({ event: "signal", signal });
    this.shutdown(signalStatus(signal));
  }

  /**
   * Begins a clean shutdown: cancels pending starts and restarts, sends
   * each running group its stop signal (dependents before what they
   * depend on), and SIGKILL at the timeout. `status`, when given and no
   * status is set yet, becomes the exit status.
   */
  shutdown(status?: number): void {
    if (this.#status === undefined && status !== undefined) {
      this.#status = status;
    }
    if (this.#stopping) return;
    this.#stopping = true;
    this.#deadline = Date.now() + (this.#options.timeout ?? DEFAULT_TIMEOUT);
    for (const runner of this.#runners) {
      if (runner.proc.is("waiting", "backoff", "stopped")) {
        runner.settle("done");
      }
    }
    this.#stopNext();
    this.#signalStrays("SIGTERM");
    this.#check();
  }

  /**
   * The types `type` waits for that are not ready yet: a one-shot type is
   * ready once it exited 0, any other once it runs (and passed its probe).
   */
  #waitsFor(type: string): string[] {
    return (this.#deps.get(type) ?? []).filter((dep) => {
      const oneShot = this.#oneShot(dep);
      return !this.#runners.filter((r) => r.type === dep).every((r) =>
        oneShot
          ? r.proc.is("done") && r.proc.lastStatus === 0
          : r.proc.is("running")
      );
    });
  }

  /** A type whose successful exit is its end, not a failure: release, can-die. */
  #oneShot(type: string): boolean {
    return type === RELEASE || selected(this.#options.canDie, type);
  }

  /** waiting -> starting for each instance whose dependencies are ready. */
  #startWaiting(): void {
    if (this.#stopping) return;
    for (const runner of this.#runners) {
      if (
        runner.proc.is("waiting") && this.#waitsFor(runner.type).length === 0
      ) {
        runner.start();
      }
    }
  }

  /**
   * At shutdown, stops what may stop now: every running instance nothing
   * running depends on. Called again as each one ends, within one deadline.
   */
  #stopNext(): void {
    const live = (type: string) =>
      this.#runners.some((r) =>
        r.type === type && !r.proc.is("waiting", "backoff", "stopped", "done")
      );
    const batch = this.#runners.filter((r) =>
      r.proc.is("starting", "running") && mayStop(r.type, this.#deps, live)
    );
    // One line when all get the same signal at once, as honcho says it.
    const together = !this.#ordered &&
      new Set(batch.map((r) => r.stopSignal)).size === 1;
    if (together) {
      this.#emit({ event: "stopping", signal: batch[0].stopSignal });
    }
    const left = Math.max(0, this.#deadline! - Date.now());
    for (const { proc, stopSignal: signal } of batch) {
      if (!together) {
        this.#emit({
          event: "stopping",
          signal,
          name: proc.name,
          pid: proc.pid,
        });
      }
    }
    for (const runner of batch) runner.stop(runner.stopSignal, left);
  }

  /** Applies a request to each instance `target` names. */
  #request(
    target: string,
    action: "restart" | "stop" | "start",
  ): ProcessInfo[] {
    const runners = this.#runners.filter((r) =>
      r.proc.name === target || r.type === target
    );
    if (runners.length === 0) {
      throw new TendError({
        message: `no process "${target}" (processes: ${
          this.#runners.map((r) => r.proc.name).join(", ")
        })`,
      });
    }
    if (this.#stopping) throw new TendError({ message: "tend is stopping" });
    for (const runner of runners) runner.request(action);
    return runners.map((r) => r.proc.info());
  }

  /** A run is over: say how, then do what its policy or request says. */
  #ended(runner: Runner, end: ChildEnd): void {
    const { proc } = runner;
    if (end.error !== undefined) {
      this.#emit({ event: "failed", name: proc.name, message: end.error });
    } else {
      this.#emit({
        event: "exited",
        name: proc.name,
        pid: proc.pid,
        code: end.code,
        signal: end.signal,
        status: end.status,
      });
    }
    if (this.#stopping) {
      runner.settle("done");
      this.#stopNext();
    } else if (runner.next === "stop") runner.settle("stopped");
    else if (runner.next === "restart") {
      proc.restarts++;
      runner.start();
    } else this.#applyPolicy(runner, end.status);
    this.#check();
  }

  /** exited -> backoff (restart policy) or done, which may stop the rest. */
  #applyPolicy(runner: Runner, status: number): void {
    const { proc, type } = runner;
    const max = this.#options.maxRestarts ?? Infinity;
    // A release step runs once: a restart would repeat a migration.
    if (
      type !== RELEASE && selected(this.#options.restart, type) &&
      proc.restarts < max
    ) {
      if (Date.now() - (proc.startedAt ?? 0) >= RESTART_RESET_AFTER) {
        runner.delay = RESTART_MIN_DELAY;
      }
      const delay = runner.delay;
      runner.delay = Math.min(delay * 2, RESTART_MAX_DELAY);
      proc.restarts++;
      runner.wait(delay);
      this.#emit({ event: "restarting", name: proc.name, delay, status });
      return;
    }
    runner.settle("done");
    if (this.#oneShot(type) && status === 0) this.#startWaiting();
    else if (type === RELEASE || !selected(this.#options.canDie, type)) {
      this.shutdown(status);
    } else if (
      this.#runners.some((r) => (this.#deps.get(r.type) ?? []).includes(type))
    ) {
      // What waits for a one-shot step that failed can never start.
      this.#emit({
        event: "message",
        text: `${proc.name} failed, so what starts after ${type} cannot start`,
      });
      this.shutdown(status);
    }
  }

  /** The process groups of the runs that are not over. */
  #groups(): Set<number> {
    const groups = new Set<number>();
    for (const { child } of this.#runners) {
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
    this.#options.printer.event(event);
  }

  /**
   * Once every process is done: stops what is left outside the groups,
   * then resolves `run()` when output is out.
   */
  #check(): void {
    if (this.#finishing || !this.#resolve) return;
    if (!this.#runners.every((r) => r.proc.is("done"))) return;
    this.#finishing = true;
    const resolve = this.#resolve;
    const deadline = this.#deadline ??
      Date.now() + (this.#options.timeout ?? DEFAULT_TIMEOUT);
    this.#reaper.sweep(deadline, (signal, pids) => {
      if (pids.length > 0) this.#emit({ event: "strays", signal, pids });
    }).then(async () => {
      this.#watchdog?.close();
      this.#reaper.close();
      await this.#options.printer.sink.flush();
      resolve(this.#status ?? 0);
    });
  }
}
