/**
 * What tend itself reports while it supervises: each event as data, and
 * the one line that says it to a person. The supervisor emits events; a
 * printer decides how they look.
 *
 * @module
 */

/** One thing tend reports about its processes or itself. */
export type TendEvent =
  | { event: "started"; name: string; pid: number }
  /** It waits for these types to be ready before it starts. */
  | { event: "waiting"; name: string; for: string[] }
  /** Its readiness probe passed `ms` after it started. */
  | { event: "ready"; name: string; probe: string; ms: number }
  /** Its readiness probe did not pass in time: tend stops everything. */
  | { event: "not-ready"; name: string; probe: string }
  | { event: "failed"; name: string; message: string }
  | {
    event: "exited";
    name: string;
    pid?: number;
    /** The exit code, or null when a signal ended it. */
    code: number | null;
    /** The signal that ended it, or null. */
    signal: string | null;
    /** As a shell reports it: the code, or 128+n for signal n. */
    status: number;
  }
  | { event: "signal"; signal: string }
  | { event: "stopping"; signal: string; name?: string; pid?: number }
  | { event: "killing"; name: string; pid: number }
  /** Processes that left their process group got `signal`. */
  | { event: "strays"; signal: string; pids: number[] }
  | { event: "restarting"; name: string; delay: number; status: number }
  | { event: "message"; text: string }
  | {
    event: "log-failed";
    /** The process whose file failed; absent when the directory did. */
    name?: string;
    /** The file or directory. */
    path: string;
    message: string;
  }
  | {
    event: "log-dropped";
    name: string;
    path: string;
    /** Lines left out of the file (its disk stalled) since the last such event. */
    lines: number;
  };

/**
 * The line a person reads for an event, without the prefix.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describeEvent } from "./events.ts";
 * assert.equal(
 *   describeEvent({ event: "exited", name: "web.1", code: 3, signal: null, status: 3 }),
 *   "web.1 exited (code=3)",
 * );
 * assert.equal(
 *   describeEvent({ event: "stopping", signal: "SIGTERM" }),
 *   "sending SIGTERM to all processes",
 * );
 * ```
 */
export function describeEvent(e: TendEvent): string {
  switch (e.event) {
    case "started":
      return `${e.name} started (pid=${e.pid})`;
    case "waiting":
      return `${e.name} waiting for ${e.for.join(", ")}`;
    case "not-ready":
      return `${e.name} not ready in time (${e.probe}): stopping`;
    case "ready":
      return `${e.name} ready (${e.probe} after ${(e.ms / 1000).toFixed(1)} s)`;
    case "failed":
      return `${e.name} failed to start: ${e.message}`;
    case "exited":
      return `${e.name} exited (${
        e.signal !== null ? `signal=${e.signal}` : `code=${e.code}`
      })`;
    case "signal":
      return `${e.signal} received`;
    case "stopping":
      return e.name === undefined
        ? `sending ${e.signal} to all processes`
        : `sending ${e.signal} to ${e.name} (pid=${e.pid})`;
    case "killing":
      return `sending SIGKILL to ${e.name} (pid=${e.pid})`;
    case "strays":
      return `sending ${e.signal} to ${e.pids.length} process${
        e.pids.length === 1 ? "" : "es"
      } that left their group (pid=${e.pids.join(",")})`;
    case "restarting":
      return `${e.name} restarting in ${
        (e.delay / 1000).toFixed(1)
      } s (exit code ${e.status})`;
    case "message":
      return e.text;
    case "log-failed":
      return e.name === undefined
        ? `cannot write logs to ${e.path}: ${e.message} (no log files this run)`
        : `cannot write ${e.path}: ${e.message} (${e.name} is no longer logged there)`;
    case "log-dropped":
      return `dropped ${e.lines} lines of ${e.name}'s log (writing to it stalled)`;
  }
}
