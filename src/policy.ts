/**
 * What the supervisor is told: the instances, where their output goes, and
 * the policies that decide what happens when a process exits (can die,
 * restart with backoff, stop signals) and how long a stop may take.
 *
 * @module
 */
import type { Signal } from "./_child.ts";
import type { Instance } from "./formation.ts";
import type { Printer } from "./output.ts";
import type { Probe } from "./probe.ts";

/** A set of process types, or every type. */
export type TypeSelection = "all" | ReadonlySet<string>;

/** Options for {@linkcode Supervisor}. */
export interface SupervisorOptions {
  /** The instances to run, from `plan()` or `loadProject()`. */
  instances: readonly Instance[];
  /** The environment every instance gets; `PORT` and `PS` are added. */
  env: Readonly<Record<string, string>>;
  /** Where output and events go. */
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
  /**
   * Make tend a child subreaper (Linux, through FFI) and reap the orphans
   * it adopts: right for a process that runs nothing else, such as the
   * `tend` command (default false: an embedding program's own children
   * would be reaped too).
   */
  adoptOrphans?: boolean;
  /**
   * Where a note about what tend cannot do here goes (orphans it cannot
   * adopt without FFI), once at start-up; default: a system line.
   */
  onNote?: (text: string) => void;
  /**
   * Type to the types it starts after: it starts once they are ready, and
   * is stopped before them. A `release` instance comes before all others.
   */
  order?: ReadonlyMap<string, readonly string[]>;
  /** Type to its readiness probe; without one a process is ready once started. */
  ready?: ReadonlyMap<string, Probe>;
  /** Milliseconds a readiness probe may take before tend stops (default 60000). */
  readyTimeout?: number;
}

/** Milliseconds from the stop signal to SIGKILL unless told otherwise. */
export const DEFAULT_TIMEOUT = 5000;
/** Milliseconds a readiness probe may take unless told otherwise. */
export const DEFAULT_READY_TIMEOUT = 60_000;
/** First backoff delay before a restart, in milliseconds. */
export const RESTART_MIN_DELAY = 100;
/** Longest backoff delay before a restart, in milliseconds. */
export const RESTART_MAX_DELAY = 30_000;
/** An instance that stayed up this long restarts with the first delay again. */
export const RESTART_RESET_AFTER = 10_000;

/**
 * Stop signals closer together than this count as one. A terminal's Ctrl-C
 * reaches tend and the wrapper that started it (`deno task`), which sends
 * its own copy within a millisecond; a person's second Ctrl-C comes later.
 */
export const SIGNAL_WINDOW = 100;

/**
 * Whether `type` is in `selection`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { selected } from "./policy.ts";
 * assert.ok(selected("all", "web"));
 * assert.ok(!selected(new Set(["worker"]), "web"));
 * ```
 */
export function selected(
  selection: TypeSelection | undefined,
  type: string,
): boolean {
  return selection === "all" || (selection?.has(type) ?? false);
}
