/**
 * What tend adds to every process's environment so that its output looks
 * in tend's terminal as it would in its own: a process writing to a pipe
 * turns its colours off and often buffers its output (Python, C stdio),
 * so lines arrive late and grey. When tend itself prints to a terminal in
 * colour, it hands each process the conventional hints:
 *
 * | variable           | value | honoured by                                                                                                                                    |
 * | ------------------ | ----- | ---------------------------------------------------------------------------------------------------------------------------------------------- |
 * | `FORCE_COLOR`      | `1`   | Node.js itself (16 colours) and chalk/supports-color (at least 16, more from `TERM`/`COLORTERM`); Python's rich, termcolor, pytest, Python 3.13 |
 * | `CLICOLOR_FORCE`   | `1`   | the bixense.com/clicolors convention: BSD and macOS `ls`, CMake, Go's termenv and lipgloss, Rust's `colored` and `console`                     |
 * | `PYTHONUNBUFFERED` | `1`   | Python: stdout and stderr unbuffered, so lines arrive when printed                                                                             |
 *
 * `1` is the value every reader of these takes as "on": `FORCE_COLOR=2`
 * or `3` would claim 256 or 16 million colours the terminal may not have.
 * A variable already set, in the process environment or an env file, is
 * never replaced, even when empty. With `NO_COLOR` set (not empty) for the
 * processes, the colour hints are left out: Node.js would let
 * `FORCE_COLOR` win over it. None is added when tend's own output has no
 * colour (`--no-color`, `NO_COLOR`, not a terminal, `--log-format json`).
 * Some programs still decide by `isatty()` alone (Go's fatih/color, Python's
 * click, Ruby's `$stdout.sync`, C stdio); only a pseudo-terminal per process
 * would reach those.
 *
 * @module
 */

/** The hints and their values, in the order they are added. */
export const OUTPUT_HINTS: Readonly<Record<string, string>> = {
  FORCE_COLOR: "1",
  CLICOLOR_FORCE: "1",
  PYTHONUNBUFFERED: "1",
};

const _COLOR_HINTS = new Set(["FORCE_COLOR", "CLICOLOR_FORCE"]);

/**
 * The variables tend contributes to the processes' environment `env` for
 * their output: the hints above that `env` does not set, when `color` (tend
 * prints in colour); none otherwise.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { outputHints } from "./output_env.ts";
 * assert.deepEqual(outputHints({ color: true, env: { FORCE_COLOR: "0" } }), {
 *   CLICOLOR_FORCE: "1",
 *   PYTHONUNBUFFERED: "1",
 * });
 * assert.deepEqual(outputHints({ color: false, env: {} }), {});
 * ```
 */
export function outputHints(options: {
  color: boolean;
  env: Readonly<Record<string, string | undefined>>;
}): Record<string, string> {
  const { color, env } = options;
  if (!color) return {};
  const noColor = env.NO_COLOR !== undefined && env.NO_COLOR !== "";
  const hints: Record<string, string> = {};
  for (const [key, value] of Object.entries(OUTPUT_HINTS)) {
    if (env[key] !== undefined) continue;
    if (noColor && _COLOR_HINTS.has(key)) continue;
    hints[key] = value;
  }
  return hints;
}
