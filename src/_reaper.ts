/**
 * Processes that leave tend's process groups: a `setsid` child, a daemon
 * that double-forks, the orphans a workload leaves behind when tend is a
 * container's PID 1. Group signals cannot reach them, so tend finds them
 * itself:
 *
 * - tend makes itself a child subreaper (Linux `prctl`, through the
 *   runtime's FFI), so an orphan below it is reparented to tend instead of
 *   to init, and every such process stays in tend's tree in `/proc`;
 * - every process tend starts carries `TEND_PID` (tend's pid) in its
 *   environment, which its descendants inherit, so tend (and its watchdog,
 *   once tend is gone) can find them even without the subreaper;
 * - on SIGCHLD tend reaps the zombies of adopted orphans with
 *   `waitpid(pid, WNOHANG)` on those pids only, never on the children the
 *   runtime spawned (it reaps them, and needs their exit statuses).
 *
 * Nothing here runs while tend is idle: `/proc` is read at a SIGCHLD and
 * while something is stopping.
 *
 * @module
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import process from "node:process";
import { processes } from "./_proc.ts";
import { onChildSignal } from "./runtime.ts";
import { type Libc, libc } from "./runtime_libc.ts";

/** The variable every process tend starts gets: tend's pid. */
export const MARK_VARIABLE = "TEND_PID";
/** What tend says once when it cannot adopt orphans (no FFI: Node, not Linux). */
export const NO_ADOPTION: string = process.pid === 1
  ? "running as PID 1 without FFI: orphaned processes are not reaped; use `docker run --init`"
  : existsSync("/proc/self")
  ? "no FFI here: processes that leave their group are found by their TEND_PID, not adopted"
  : "no /proc here: a process that leaves its process group is out of tend's reach";
/** How often the last strays are looked for while tend finishes. */
const _SWEEP_MS = 20;

/** Looks after the processes that left tend's process groups. */
export class Reaper {
  #libc?: Libc;
  readonly #own = new Set<number>();
  /** Own children whose descendants are tend's, not the user's (the watchdog). */
  readonly #helpers = new Set<number>();
  /** Strays already sent their stop signal. */
  readonly #signalled = new Set<number>();
  #stopListening?: () => void;
  #scheduled = false;

  /**
   * Makes tend a child subreaper and starts reaping adopted orphans on
   * SIGCHLD. False where that is not possible (no FFI, not Linux): then
   * strays are still found by their mark, but orphans go to init.
   */
  adopt(): boolean {
    const c = libc();
    if (!c?.setChildSubreaper()) return false;
    this.#libc = c;
    this.#stopListening = onChildSignal(() => {
      if (this.#scheduled) return;
      this.#scheduled = true;
      queueMicrotask(() => {
        this.#scheduled = false;
        this.reap();
      });
    });
    return true;
  }

  /** Stops reaping on SIGCHLD. */
  close(): void {
    this.#stopListening?.();
    this.#stopListening = undefined;
  }

  /**
   * A child the runtime spawned, and reaps itself: never wait for it. A
   * `helper` is one of tend's own (the watchdog): what it starts is not a
   * stray.
   */
  own(pid: number | undefined, helper = false): void {
    if (pid === undefined) return;
    this.#own.add(pid);
    if (helper) this.#helpers.add(pid);
  }

  /** The runtime has reaped this child. */
  disown(pid: number | undefined): void {
    if (pid === undefined) return;
    this.#own.delete(pid);
    this.#helpers.delete(pid);
  }

  /**
   * Sends `signal` to every stray (see {@linkcode Reaper.strays}); SIGTERM
   * and the like go once to each, SIGKILL to all. Returns the pids sent to.
   */
  signalStrays(groups: ReadonlySet<number>, signal: NodeJS.Signals): number[] {
    const targets = this.strays(groups).filter((pid) =>
      signal === "SIGKILL" || !this.#signalled.has(pid)
    );
    for (const pid of targets) {
      this.#signalled.add(pid);
      try {
        process.kill(pid, signal);
      } catch {
        // Gone already.
      }
    }
    return targets;
  }

  /**
   * Stops the strays once nothing else runs: `signal` now, SIGKILL at
   * `deadline`, and settles once none is left (or a second after SIGKILL,
   * for a process the kernel cannot kill). `report` hears each signal sent.
   */
  async sweep(
    deadline: number,
    report: (signal: NodeJS.Signals, pids: number[]) => void,
  ): Promise<void> {
    const none = new Set<number>();
    let killedAt = 0;
    for (;;) {
      this.reap();
      const stopped = this.signalStrays(none, "SIGTERM");
      if (stopped.length > 0) report("SIGTERM", stopped);
      if (this.strays(none).length === 0) return;
      const now = Date.now();
      if (killedAt === 0 && now >= deadline) {
        report("SIGKILL", this.signalStrays(none, "SIGKILL"));
        killedAt = now;
      }
      if (killedAt !== 0 && now - killedAt > 1000) return;
      await new Promise((r) => setTimeout(r, _SWEEP_MS));
    }
  }

  /** Reaps every adopted orphan that has exited; leaves the rest alone. */
  reap(): void {
    if (!this.#libc) return;
    for (const pid of _children()) {
      if (!this.#own.has(pid)) this.#libc.reap(pid);
    }
  }

  /**
   * Live processes below tend (or marked with its pid) that are in none of
   * `groups` and are not children tend spawned: what group signals miss.
   */
  strays(groups: ReadonlySet<number>): number[] {
    const all = processes();
    if (!all) return [];
    const self = process.pid;
    const below = new Map<number, number[]>();
    for (const p of all) {
      const list = below.get(p.ppid);
      if (list) list.push(p.pid);
      else below.set(p.ppid, [p.pid]);
    }
    const tree = new Set<number>();
    const queue = (below.get(self) ?? []).filter((pid) => !this.#own.has(pid));
    // The children tend spawned lead their groups; what they started is
    // looked at too, for whatever left the group.
    for (const pid of this.#own) {
      if (!this.#helpers.has(pid)) queue.push(...(below.get(pid) ?? []));
    }
    while (queue.length > 0) {
      const pid = queue.pop()!;
      if (tree.has(pid)) continue;
      tree.add(pid);
      queue.push(...(below.get(pid) ?? []));
    }
    const marked = `${MARK_VARIABLE}=${self}`;
    return all.filter((p) =>
      p.pid !== self && p.state !== "Z" && !groups.has(p.pgrp) &&
      !this.#own.has(p.pid) &&
      (tree.has(p.pid) || (!this.#libc && _marked(p.pid, marked)))
    ).map((p) => p.pid);
  }
}

/** tend's children, from every thread's list (a child belongs to the thread that forked it). */
function _children(): number[] {
  const out: number[] = [];
  const task = `/proc/${process.pid}/task`;
  try {
    for (const tid of readdirSync(task)) {
      try {
        for (
          const pid of readFileSync(`${task}/${tid}/children`, "latin1").split(
            " ",
          )
        ) {
          if (pid.trim()) out.push(Number(pid));
        }
      } catch {
        // The thread ended.
      }
    }
  } catch {
    // No /proc.
  }
  return out;
}

/** Whether the process's environment holds `entry` (`NAME=value`). */
function _marked(pid: number, entry: string): boolean {
  try {
    const environ = readFileSync(`/proc/${pid}/environ`, "latin1");
    return environ.startsWith(`${entry}\0`) || environ.includes(`\0${entry}\0`);
  } catch {
    return false;
  }
}
