/**
 * Exit statuses: the numbers tend exits with, and the shell's rule for a
 * process killed by a signal. One place, so the CLI, `tend run` and the
 * supervisor never disagree on a number.
 *
 * @module
 */
import { constants } from "node:os";

/** Bad input: a malformed Procfile or env file, an unknown process type, a missing file. */
export const EXIT_FAILURE = 1;
/** Bad usage: an unknown command or flag, a bad flag value. */
export const EXIT_USAGE = 2;
/** `tend run`: the command exists but cannot be executed. */
export const EXIT_CANNOT_EXECUTE = 126;
/** `tend run`: the command is not found; also a process that failed to spawn. */
export const EXIT_NOT_FOUND = 127;
/** A bug in tend itself (sysexits' EX_SOFTWARE). */
export const EXIT_INTERNAL = 70;
/**
 * `status`, `restart`, `stop`, `logs`: no tend of this app is running, or
 * it is starting or stopping (sysexits' EX_UNAVAILABLE).
 */
export const EXIT_NOT_RUNNING = 69;
/**
 * `start`: another tend of this app, started earlier, already runs one of
 * the types asked for (sysexits' EX_TEMPFAIL: try again once it stopped).
 */
export const EXIT_ALREADY_RUNNING = 75;

/**
 * 128 + the signal's number, the shell's convention for "killed by"; 128
 * for a name the platform does not know.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { signalStatus } from "./status.ts";
 * assert.equal(signalStatus("SIGTERM"), 143);
 * assert.equal(signalStatus("SIGINT"), 130);
 * ```
 */
export function signalStatus(signal: string): number {
  const n = (constants.signals as Record<string, number>)[signal];
  return 128 + (n ?? 0);
}

/** tend's status when its stdout reader went away (`tend start | head`): SIGPIPE's. */
export const EXIT_BROKEN_PIPE: number = signalStatus("SIGPIPE");

/**
 * A child's exit as a status: its code, or 128+n when signal n killed it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { exitStatus } from "./status.ts";
 * assert.equal(exitStatus(3, null), 3);
 * assert.equal(exitStatus(null, "SIGKILL"), 137);
 * ```
 */
export function exitStatus(
  code: number | null,
  signal: string | null,
): number {
  return code ?? signalStatus(signal ?? "SIGKILL");
}
