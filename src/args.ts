/**
 * The `tend` command line: one table of flags drives parsing, the check
 * that a flag applies to the command, and the help text.
 *
 * The command is found first; every flag is then read as that command
 * defines it, wherever it stands (`tend -t tpl export ...` and
 * `tend export ... -t tpl` mean the same).
 *
 * @module
 */
import { UsageError } from "./errors.ts";

/** The subcommands, in the order the help lists them. */
export const COMMANDS = [
  "start",
  "run",
  "check",
  "env",
  "export",
  "help",
  "version",
] as const;
/** A subcommand name. */
export type Command = typeof COMMANDS[number];

/** Every flag value after parsing; absent flags are undefined. */
export interface Flags {
  procfile?: string;
  env?: string[];
  appRoot?: string;
  formation?: string[];
  port?: string;
  timeout?: string;
  quiet?: string[];
  noColor?: boolean;
  noPrefix?: boolean;
  noTimestamp?: boolean;
  override?: boolean;
  example?: string;
  canDie?: string[];
  restart?: string[];
  maxRestarts?: string;
  stopSignal?: string[];
  showSecrets?: boolean;
  app?: string;
  user?: string;
  log?: string;
  image?: string;
  template?: string;
  force?: boolean;
  help?: boolean;
  version?: boolean;
}

/** One row of the flag table. */
export interface FlagSpec {
  /** The long name, without `--`. */
  long: string;
  /** The one-letter name, without `-`. */
  short?: string;
  /** Other long names accepted (`no-colour`). */
  aliases?: readonly string[];
  /** Where the value lands in {@linkcode Flags}. */
  key: keyof Flags;
  /** The value's placeholder in the help (`FILE`); absent for a switch. */
  value?: string;
  /** Repeatable: each value is appended. */
  repeat?: boolean;
  /** The commands that take it. */
  commands: readonly Command[];
  /** One line for the help. */
  help: string;
}

/** The commands that load a project (Procfile, env files, ports). */
const _PROJECT: readonly Command[] = ["start", "run", "check", "env", "export"];
const _FORMATION: readonly Command[] = ["start", "check", "export"];

/**
 * Every flag, in the order the help lists them. A name means the same kind
 * of flag (switch or value) for every command, so the command can be found
 * before the flags are read.
 */
export const FLAGS: readonly FlagSpec[] = [
  {
    long: "procfile",
    short: "f",
    key: "procfile",
    value: "FILE",
    commands: _PROJECT,
    help: "the Procfile (default: $PROCFILE, else ./Procfile)",
  },
  {
    long: "env",
    short: "e",
    key: "env",
    value: "FILE[,FILE]",
    repeat: true,
    commands: _PROJECT,
    help: "env files in order, later ones win (default: .env)",
  },
  {
    long: "app-root",
    short: "d",
    aliases: ["root"],
    key: "appRoot",
    value: "DIR",
    commands: _PROJECT,
    help: "the app's directory (default: the Procfile's)",
  },
  {
    long: "concurrency",
    short: "c",
    key: "formation",
    value: "SPEC",
    repeat: true,
    commands: _FORMATION,
    help: "instances per type: web=2,worker=1 (all=N sets the default)",
  },
  {
    long: "formation",
    short: "m",
    key: "formation",
    value: "SPEC",
    repeat: true,
    commands: _FORMATION,
    help: "same as -c (foreman's name)",
  },
  {
    long: "port",
    short: "p",
    key: "port",
    value: "N",
    commands: _PROJECT,
    help: "base port (default: $PORT, else 5000)",
  },
  {
    long: "override",
    key: "override",
    commands: _PROJECT,
    help: "env files win over the process environment",
  },
  {
    long: "example",
    key: "example",
    value: "FILE",
    commands: _PROJECT,
    help: "keys that must be set (default: .env.example, if it exists)",
  },
  {
    long: "timeout",
    short: "t",
    key: "timeout",
    value: "SECONDS",
    commands: ["start"],
    help: "wait before SIGKILL after the stop signal (default 5)",
  },
  {
    long: "quiet",
    short: "q",
    key: "quiet",
    value: "TYPES",
    repeat: true,
    commands: ["start"],
    help: "do not print the output of these types",
  },
  {
    long: "no-color",
    aliases: ["no-colour"],
    key: "noColor",
    commands: ["start"],
    help: "no colours (also NO_COLOR; FORCE_COLOR forces them)",
  },
  {
    long: "no-prefix",
    key: "noPrefix",
    commands: ["start"],
    help: "print bare lines, without time and name",
  },
  {
    long: "no-timestamp",
    key: "noTimestamp",
    commands: ["start"],
    help: "leave the time out of the prefix",
  },
  {
    long: "can-die",
    key: "canDie",
    value: "TYPES",
    repeat: true,
    commands: ["start"],
    help: 'these may exit without stopping the others ("all")',
  },
  {
    long: "restart",
    key: "restart",
    value: "TYPES",
    repeat: true,
    commands: ["start"],
    help: 'restart these when they exit, with backoff ("all")',
  },
  {
    long: "max-restarts",
    key: "maxRestarts",
    value: "N",
    commands: ["start"],
    help: "after N restarts of an instance its exit counts as final",
  },
  {
    long: "stop-signal",
    key: "stopSignal",
    value: "TYPE=SIG",
    repeat: true,
    commands: ["start"],
    help: "first signal for a type at shutdown (default TERM)",
  },
  {
    long: "show-secrets",
    key: "showSecrets",
    commands: ["env"],
    help: "print values of *KEY*, *SECRET*, *TOKEN*, *PASSWORD* keys",
  },
  {
    long: "app",
    short: "a",
    key: "app",
    value: "NAME",
    commands: ["export"],
    help: "app name (default: the app root's directory name)",
  },
  {
    long: "user",
    short: "u",
    key: "user",
    value: "USER",
    commands: ["export"],
    help: "user to run as",
  },
  {
    long: "log",
    short: "l",
    key: "log",
    value: "DIR",
    commands: ["export"],
    help: "log directory",
  },
  {
    long: "image",
    key: "image",
    value: "IMAGE",
    commands: ["export"],
    help: "container image (compose, kubernetes)",
  },
  {
    long: "template",
    short: "t",
    key: "template",
    value: "DIR",
    commands: ["export"],
    help: "templates that override the built-in ones",
  },
  {
    long: "force",
    key: "force",
    commands: ["export"],
    help: "overwrite existing files",
  },
  {
    long: "help",
    short: "h",
    key: "help",
    commands: COMMANDS,
    help: "show help",
  },
  {
    long: "version",
    key: "version",
    commands: COMMANDS,
    help: "print the version",
  },
];

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

/** Edit distance, for "did you mean". */
function _distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(
        row[j] + 1,
        next[j - 1] + 1,
        row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    row = next;
  }
  return row[b.length];
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
  const record = (spec: FlagSpec, value: string | true) => {
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
      record(spec, value.trim());
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
        record(spec, value.trim());
        break;
      }
      continue;
    }
    positionals.push(arg);
  }
  return { command, positionals, flags, dashdash };
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
