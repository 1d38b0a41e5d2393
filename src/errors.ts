/**
 * The one error type tend throws for bad input. Every user-facing failure
 * becomes a single line on stderr and a documented exit status, so the error
 * carries both the place (file, line, column) and the status.
 *
 * @module
 */

import { EXIT_FAILURE, EXIT_USAGE } from "./status.ts";

/** Where in a file a problem is. Lines and columns count from 1. */
export interface Place {
  /** The file, as the user named it. */
  path?: string;
  /** 1-based line number. */
  line?: number;
  /** 1-based column number. */
  column?: number;
}

/** One problem found in an input, with its place. */
export interface Problem extends Place {
  /** What is wrong, without the place. */
  message: string;
}

/**
 * Formats a problem as `PATH:LINE:COL: message`, dropping missing parts.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatProblem } from "./errors.ts";
 * const text = formatProblem({ path: ".env", line: 2, message: "bad key" });
 * assert.equal(text, ".env:2: bad key");
 * ```
 */
export function formatProblem(problem: Problem): string {
  let where = problem.path ?? "";
  if (problem.line !== undefined) {
    where += `${where ? ":" : ""}${problem.line}`;
    if (problem.column !== undefined) where += `:${problem.column}`;
  }
  return where ? `${where}: ${problem.message}` : problem.message;
}

/**
 * An error in tend's input (flags, Procfile, env files) or environment
 * (missing file, unwritable directory). `message` is the formatted first
 * problem; `problems` lists all of them when several were found.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TendError } from "./errors.ts";
 * const err = new TendError({ path: "Procfile", line: 3, message: "empty command" });
 * assert.equal(err.message, "Procfile:3: empty command");
 * assert.equal(err.exitCode, 1);
 * ```
 */
export class TendError extends Error {
  /** The status the CLI exits with for this error. */
  readonly exitCode: number;
  /** Every problem found; the first one is also `message`. */
  readonly problems: readonly Problem[];
  /** The file of the first problem, if it has one. */
  readonly path?: string;
  /** The 1-based line of the first problem, if it has one. */
  readonly line?: number;
  /** The 1-based column of the first problem, if it has one. */
  readonly column?: number;

  /**
   * Makes the error from the problems found.
   *
   * @param problem one problem or several; the first becomes `message`
   * @param exitCode the CLI's exit status, 1 unless a usage error
   */
  constructor(problem: Problem | readonly Problem[], exitCode = EXIT_FAILURE) {
    const problems: readonly Problem[] = Array.isArray(problem)
      ? problem
      : [problem as Problem];
    super(problems.map(formatProblem).join("\n"));
    this.name = "TendError";
    this.exitCode = exitCode;
    this.problems = problems;
    this.path = problems[0]?.path;
    this.line = problems[0]?.line;
    this.column = problems[0]?.column;
  }
}

/**
 * A usage error (bad flag or flag value): exit status 2.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { UsageError } from "./errors.ts";
 * assert.equal(new UsageError("unknown flag --x").exitCode, 2);
 * ```
 */
export class UsageError extends TendError {
  /**
   * Makes a usage error, exit status 2.
   *
   * @param message what was wrong with the command line
   */
  constructor(message: string) {
    super({ message }, EXIT_USAGE);
    this.name = "UsageError";
  }
}
