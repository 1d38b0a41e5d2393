/**
 * One instance's runs: starting it (spawn, output, readiness), stopping
 * it, waiting out a backoff. Every change of its state happens here, as a
 * transition of its {@linkcode ManagedProcess}; what happens next when a
 * run ends (restart, stay stopped, stop the rest) is the supervisor's
 * decision, told back through {@linkcode RunnerContext.onEnd}.
 *
 * @module
 */
import process from "node:process";
import { Child, type ChildEnd, type Signal } from "./_child.ts";
import { watchReadiness } from "./_readiness.ts";
import { MARK_VARIABLE, type Reaper } from "./_reaper.ts";
import type { Watchdog } from "./_watchdog.ts";
import type { TendEvent } from "./events.ts";
import type { Instance } from "./formation.ts";
import type { Printer } from "./output.ts";
import type { Probe } from "./probe.ts";
import { ManagedProcess } from "./process_state.ts";

/** What a runner shares with its supervisor. */
export interface RunnerContext {
  env: Readonly<Record<string, string>>;
  cwd?: string;
  printer: Printer;
  reaper: Reaper;
  watchdog(): Watchdog | undefined;
  /** The process groups of every run not over yet. */
  groups(): Set<number>;
  emit(event: TendEvent): void;
  /** Milliseconds from a stop signal to SIGKILL. */
  timeout: number;
  /** Milliseconds a readiness probe may take. */
  readyTimeout: number;
  /** The runner became ready (`running`). */
  onReady(runner: Runner): void;
  /** A probe did not pass in time. */
  onNotReady(runner: Runner): void;
  /** The run is over (main process, output and group); now `exited`. */
  onEnd(runner: Runner, end: ChildEnd): void;
}

/** What a run's end leads to: the policies, or a request. */
export type Next = "policy" | "stop" | "restart";

/** One instance and its current run. */
export class Runner {
  readonly proc: ManagedProcess;
  readonly #ctx: RunnerContext;
  readonly #stopSignal: Signal;
  readonly #quiet: boolean;
  readonly #probe?: Probe;
  #child?: Child;
  #timer?: ReturnType<typeof setTimeout>;
  #endWatch?: () => void;
  /** What the end of the current run leads to. */
  next: Next = "policy";
  /** The next backoff delay, in milliseconds. */
  delay: number;

  /** A runner for `instance`; nothing starts yet. */
  constructor(
    instance: Instance,
    ctx: RunnerContext,
    options: {
      stopSignal: Signal;
      quiet: boolean;
      probe?: Probe;
      delay: number;
    },
  ) {
    this.proc = new ManagedProcess(instance);
    this.#ctx = ctx;
    this.#stopSignal = options.stopSignal;
    this.#quiet = options.quiet;
    this.#probe = options.probe;
    this.delay = options.delay;
  }

  /** The instance's type. */
  get type(): string {
    return this.proc.instance.type;
  }

  /** The current run, if any. */
  get child(): Child | undefined {
    return this.#child;
  }

  /** The first signal it gets when stopped. */
  get stopSignal(): Signal {
    return this.#stopSignal;
  }

  /** -> starting: a new run; -> running once started (and ready). */
  start(): void {
    const { proc, ctx } = { proc: this.proc, ctx: this.#ctx };
    const { instance } = proc;
    clearTimeout(this.#timer);
    proc.to("starting");
    this.next = "policy";
    const env = {
      ...ctx.env,
      PORT: String(instance.port),
      PS: instance.name,
      [MARK_VARIABLE]: String(process.pid),
    };
    const child: Child = new Child({
      command: instance.command,
      cwd: ctx.cwd,
      env,
      output: this.#quiet
        ? ctx.printer.quietStream(instance.name)
        : ctx.printer.stream(instance.name),
      stopSignal: this.#stopSignal,
      timeout: ctx.timeout,
      onExit: () => {
        ctx.reaper.disown(child.pid);
        this.#endWatch?.();
        if (this.#child === child) proc.to("exited");
      },
      onPoll: () => ctx.reaper.reap(),
      // A process that left the group can hold the output open forever.
      outputHeld: () => ctx.reaper.strays(ctx.groups()).length > 0,
      onEnd: (end) => {
        if (this.#child !== child) return;
        ctx.watchdog()?.remove(child.pid);
        proc.lastStatus = end.status;
        // A run that never started has no exit event.
        if (!proc.is("exited")) proc.to("exited");
        ctx.onEnd(this, end);
      },
      onKill: () =>
        ctx.emit({ event: "killing", name: proc.name, pid: child.pid! }),
    });
    this.#child = child;
    proc.pid = child.pid;
    proc.startedAt = Date.now();
    if (child.pid === undefined) return;
    ctx.reaper.own(child.pid);
    ctx.watchdog()?.add(child.pid);
    ctx.emit({ event: "started", name: proc.name, pid: child.pid });
    if (!this.#probe) {
      proc.to("running");
      ctx.onReady(this);
      return;
    }
    this.#endWatch = watchReadiness({
      probe: this.#probe,
      child,
      port: instance.port,
      env,
      cwd: ctx.cwd,
      timeout: ctx.readyTimeout,
      starting: () => this.#child === child && proc.is("starting"),
      onReady: (shown, ms) => {
        proc.to("running");
        ctx.emit({ event: "ready", name: proc.name, probe: shown, ms });
        ctx.onReady(this);
      },
      onTimeout: (shown) => {
        ctx.emit({ event: "not-ready", name: proc.name, probe: shown });
        ctx.onNotReady(this);
      },
      onSpawn: (pid) => ctx.reaper.own(pid),
      onExit: (pid) => ctx.reaper.disown(pid),
    });
  }

  /** starting/running -> stopping: its group gets `signal`, SIGKILL after `timeout` ms. */
  stop(signal: Signal = this.#stopSignal, timeout = this.#ctx.timeout): void {
    this.#endWatch?.();
    this.proc.to("stopping");
    this.#child?.stop(signal, timeout);
  }

  /**
   * A request from the user (`tend restart`, `tend stop`): a running
   * instance is stopped and its end leads where the request says; one that
   * is not running starts (restart, start) or stays stopped (stop).
   */
  request(action: "restart" | "stop" | "start"): void {
    const { proc } = this;
    if (action !== "start" && proc.is("starting", "running")) {
      this.#ctx.emit({
        event: "message",
        text: `${proc.name}: ${action} requested`,
      });
      this.next = action;
      this.stop();
    } else if (action !== "start" && proc.is("stopping", "exited")) {
      this.next = action;
    } else if (action === "stop" && proc.is("waiting", "backoff")) {
      this.settle("stopped");
    } else if (action !== "stop" && proc.is("backoff", "stopped", "done")) {
      if (action === "restart" && proc.is("done")) proc.restarts++;
      this.start();
    }
  }

  /** exited -> backoff: starts again after `delay` ms. */
  wait(delay: number): void {
    this.proc.to("backoff");
    this.#timer = setTimeout(() => this.start(), delay);
  }

  /** -> `state` (stopped or done), cancelling a pending restart. */
  settle(state: "stopped" | "done"): void {
    clearTimeout(this.#timer);
    this.proc.to(state);
  }
}
