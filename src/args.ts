/**
 * Parsing the `tend` command line by the flag table in `flags.ts`, which
 * also drives the check that a flag applies to the command, and the help.
 *
 * The command is found first; every flag is then read as that command
 * defines it, wherever it stands (`tend -t tpl export ...` and
 * `tend export ... -t tpl` mean the same).
 *
 * @module
 */
import { UsageError } from "./errors.ts";
import {
  type Command,
  COMMANDS,
  FLAGS,
  type Flags,
  type FlagSpec,
} from "./flags.ts";

export type { Command, Flags, FlagSpec };
export { COMMANDS, FLAGS };

/** The parsed command line. */
export interface ParsedArgs {
  /** The subcommand; `help` when none was given. */
  command: Command;
  /** Positional arguments after the subcommand (for `run`, the command). */
  positionals: string[];
  /** Flag values. */
  flags: Flags;
  /** True when the positionals came after `--`. */
  dashdash: boolean;
}

function _names(spec: FlagSpec): string[] {
  return [spec.long, ...(spec.aliases ?? [])];
}

/** Every spec with that name, for any command. */
function _specs(name: string, short: boolean): FlagSpec[] {
  return FLAGS.filter((f) =>
    short ? f.short === name : _names(f).includes(name)
  );
}

/**
 * Edit distance counting a swap of two neighbours as one edit (optimal
 * string alignment), since "strat" is one slip from "start".
 */
function _distance(a: string, b: string): number {
  const d: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    d.push([i]);
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        d[0][j] = j;
        continue;
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(
        d[i - 1][j] + 1,
        d[i][j - 1] + 1,
        d[i - 1][j - 1] + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}

/**
 * The candidate closest to `word` when it is plausibly a typo of it, else
 * undefined.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { suggest } from "./args.ts";
 * assert.equal(suggest("strat", ["start", "run"]), "start");
 * assert.equal(suggest("xyz", ["start", "run"]), undefined);
 * ```
 */
export function suggest(
  word: string,
  candidates: Iterable<string>,
): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = _distance(word, candidate);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  const limit = Math.max(1, Math.floor(word.length / 3));
  return bestDistance <= limit ? best : undefined;
}

function _unknownFlag(shown: string, command: Command | undefined): never {
  const long = shown.startsWith("--");
  const pool = FLAGS.filter((f) => !command || f.commands.includes(command))
    .flatMap((f) => long ? _names(f).map((n) => `--${n}`) : []);
  const near = long ? suggest(shown, pool) : undefined;
  throw new UsageError(
    near
      ? `unknown flag ${shown}: did you mean ${near}?`
      : `unknown flag ${shown} (see "tend --help")`,
  );
}

/** True when a flag of that name takes a value (for any command). */
function _takesValue(name: string, short: boolean): boolean {
  return _specs(name, short).some((f) => f.value !== undefined);
}

/**
 * Finds the subcommand: the first argument that is neither a flag nor a
 * flag's value. Flags are only skipped here; they are read once the
 * command is known.
 */
function _findCommand(argv: readonly string[]): number {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") return -1;
    if (arg.startsWith("--")) {
      if (!arg.includes("=") && _takesValue(arg.slice(2), false)) i++;
      continue;
    }
    if (arg.startsWith("-") && arg.length > 1) {
      for (let j = 1; j < arg.length; j++) {
        if (_takesValue(arg[j], true)) {
          if (j === arg.length - 1) i++;
          break;
        }
      }
      continue;
    }
    return i;
  }
  return -1;
}

/** The spec of a flag for `command`, or a usage error saying why not. */
function _resolve(
  name: string,
  short: boolean,
  command: Command,
): FlagSpec {
  const shown = short ? `-${name}` : `--${name}`;
  const specs = _specs(name, short);
  if (specs.length === 0) _unknownFlag(shown, command);
  const spec = specs.find((f) => f.commands.includes(command));
  if (!spec) {
    throw new UsageError(`${shown} does not apply to "tend ${command}"`);
  }
  return spec;
}

/**
 * Parses `tend`'s arguments. The command is found first, then every flag
 * is read as that command defines it, before or after the command; for
 * `run`, everything from the first argument that is not a flag (or after
 * `--`) is the command to run. Throws {@linkcode UsageError} for an unknown
 * command or flag (suggesting the nearest), a flag the command does not
 * take, or a missing value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseArgs } from "./args.ts";
 * const a = parseArgs(["-e", ".env.x", "run", "ls", "-l"]);
 * assert.equal(a.command, "run");
 * assert.deepEqual(a.positionals, ["ls", "-l"]);
 * assert.deepEqual(a.flags.env, [".env.x"]);
 * // -t is --template for export, wherever it stands.
 * assert.equal(parseArgs(["-t", "tpl", "export", "runit", "out"]).flags.template, "tpl");
 * ```
 */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const at = _findCommand(argv);
  let command: Command;
  if (at === -1) {
    command = argv.includes("--version") ? "version" : "help";
  } else if ((COMMANDS as readonly string[]).includes(argv[at])) {
    command = argv[at] as Command;
  } else {
    const near = suggest(argv[at], COMMANDS);
    throw new UsageError(
      near
        ? `unknown command "${argv[at]}": did you mean "${near}"?`
        : `unknown command "${argv[at]}" (commands: ${COMMANDS.join(", ")})`,
    );
  }
  const flags: Flags = {};
  const positionals: string[] = [];
  let dashdash = false;
  const record = (spec: FlagSpec, value: string | true, shown?: string) => {
    // An empty name (`--example ''`, `-f "$UNSET"`) would silently mean
    // the default file, or the directory itself.
    if (value === "" && /^(FILE|DIR)\b/.test(spec.value ?? "")) {
      const what = spec.value!.startsWith("DIR") ? "directory" : "file";
      throw new UsageError(`${shown} needs a ${what} name, got ""`);
    }
    const bag = flags as Record<string, unknown>;
    if (spec.repeat) {
      const list = (bag[spec.key] as string[] | undefined) ?? [];
      list.push(value as string);
      bag[spec.key] = list;
    } else {
      bag[spec.key] = value;
    }
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (i === at) continue;
    if (command === "run" && positionals.length > 0) {
      positionals.push(arg);
      continue;
    }
    if (arg === "--") {
      dashdash = positionals.length === 0;
      positionals.push(...argv.slice(i + 1));
      if (command === "run" && positionals.length === 0) {
        throw new UsageError('"tend run --" needs a command after "--"');
      }
      break;
    }
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = arg.slice(2, eq === -1 ? undefined : eq);
      const spec = _resolve(name, false, command);
      if (spec.value === undefined) {
        if (eq !== -1) throw new UsageError(`--${name} takes no value`);
        record(spec, true);
        continue;
      }
      const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
      if (eq === -1 && value.startsWith("-") && value !== "-") {
        throw new UsageError(`--${name} needs a value, got flag ${value}`);
      }
      record(spec, value.trim(), `--${name}`);
      continue;
    }
    if (arg.startsWith("-") && arg.length > 1) {
      for (let j = 1; j < arg.length; j++) {
        const spec = _resolve(arg[j], true, command);
        if (spec.value === undefined) {
          record(spec, true);
          continue;
        }
        const value = j + 1 < arg.length ? arg.slice(j + 1) : argv[++i];
        if (value === undefined) {
          throw new UsageError(`-${arg[j]} needs a value`);
        }
        record(spec, value.trim(), `-${arg[j]}`);
        break;
      }
      continue;
    }
    positionals.push(arg);
  }
  _checkArity(command, positionals, flags);
  return { command, positionals, flags, dashdash };
}

/** A usage error for a command given too few or too many arguments. */
function _checkArity(
  command: Command,
  positionals: readonly string[],
  flags: Flags,
): void {
  // With --help or --version nothing runs, so nothing is missing.
  if (flags.help || flags.version) return;
  if (command === "run" && positionals.length === 0) {
    throw new UsageError('"tend run" needs a command, e.g. tend run -- ls -l');
  }
  if (command === "check" && positionals.length > 0) {
    throw new UsageError(`"tend check" takes no arguments`);
  }
  if (command === "env" && positionals.length > 1) {
    throw new UsageError(`"tend env" takes at most one process type`);
  }
}

/**
 * Splits comma-separated flag values (`-q web,worker -q clock`) into a list.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { splitList } from "./args.ts";
 * assert.deepEqual(splitList(["a,b", " c"]), ["a", "b", "c"]);
 * ```
 */
export function splitList(values: readonly string[] | undefined): string[] {
  return (values ?? []).flatMap((v) => v.split(",")).map((v) => v.trim())
    .filter((v) => v);
}
