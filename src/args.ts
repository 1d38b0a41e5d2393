/**
 * Command-line parsing for the `tend` CLI: flags honcho and foreman users
 * already type, accepted before or after the subcommand.
 *
 * @module
 */
import { UsageError } from "./errors.ts";

/** The subcommands. */
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

interface _Flag {
  long: string;
  short?: string;
  value: boolean;
  key: keyof Flags;
  repeat?: boolean;
  commands?: readonly Command[];
}

/** Every flag value, after parsing; absent flags are undefined. */
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

const _FLAGS: readonly _Flag[] = [
  { long: "procfile", short: "f", value: true, key: "procfile" },
  { long: "env", short: "e", value: true, key: "env", repeat: true },
  { long: "app-root", short: "d", value: true, key: "appRoot" },
  { long: "root", value: true, key: "appRoot" },
  {
    long: "concurrency",
    short: "c",
    value: true,
    key: "formation",
    repeat: true,
  },
  {
    long: "formation",
    short: "m",
    value: true,
    key: "formation",
    repeat: true,
  },
  { long: "port", short: "p", value: true, key: "port" },
  { long: "override", value: false, key: "override" },
  { long: "example", value: true, key: "example" },
  { long: "help", short: "h", value: false, key: "help" },
  { long: "version", value: false, key: "version" },
  // start
  {
    long: "timeout",
    short: "t",
    value: true,
    key: "timeout",
    commands: ["start"],
  },
  {
    long: "quiet",
    short: "q",
    value: true,
    key: "quiet",
    repeat: true,
    commands: ["start"],
  },
  { long: "no-color", value: false, key: "noColor", commands: ["start"] },
  { long: "no-colour", value: false, key: "noColor", commands: ["start"] },
  { long: "no-prefix", value: false, key: "noPrefix", commands: ["start"] },
  {
    long: "no-timestamp",
    value: false,
    key: "noTimestamp",
    commands: ["start"],
  },
  {
    long: "can-die",
    value: true,
    key: "canDie",
    repeat: true,
    commands: ["start"],
  },
  {
    long: "restart",
    value: true,
    key: "restart",
    repeat: true,
    commands: ["start"],
  },
  {
    long: "max-restarts",
    value: true,
    key: "maxRestarts",
    commands: ["start"],
  },
  {
    long: "stop-signal",
    value: true,
    key: "stopSignal",
    repeat: true,
    commands: ["start"],
  },
  // env
  { long: "show-secrets", value: false, key: "showSecrets", commands: ["env"] },
  // export
  { long: "app", short: "a", value: true, key: "app", commands: ["export"] },
  { long: "user", short: "u", value: true, key: "user", commands: ["export"] },
  { long: "log", short: "l", value: true, key: "log", commands: ["export"] },
  { long: "image", value: true, key: "image", commands: ["export"] },
  {
    long: "template",
    short: "t",
    value: true,
    key: "template",
    commands: ["export"],
  },
  { long: "force", value: false, key: "force", commands: ["export"] },
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

function _find(
  name: string,
  short: boolean,
  command: Command | undefined,
): _Flag | undefined {
  const matches = _FLAGS.filter((
    f,
  ) => (short ? f.short === name : f.long === name));
  // -t is --timeout for start and --template for export, as in foreman.
  return matches.find((f) =>
    !f.commands || !command || f.commands.includes(command)
  ) ??
    matches[0];
}

/**
 * Parses `tend`'s arguments. Flags may stand before or after the
 * subcommand; for `run`, everything from the first argument that is not a
 * flag (or after `--`) is the command. Throws {@linkcode UsageError} for an
 * unknown flag, a missing value, or an unknown subcommand.
 *
 * @example
 * ```ts
 * import { parseArgs } from "./args.ts";
 * const a = parseArgs(["-e", ".env.x", "run", "ls", "-l"]);
 * console.assert(a.command === "run" && a.positionals.join(" ") === "ls -l");
 * console.assert(a.flags.env?.[0] === ".env.x");
 * ```
 */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const flags: Flags = {};
  const positionals: string[] = [];
  let command: Command | undefined;
  let dashdash = false;
  const record = (flag: _Flag, value: string | true, shown: string) => {
    if (flag.commands && command && !flag.commands.includes(command)) {
      throw new UsageError(`${shown} does not apply to "tend ${command}"`);
    }
    const bag = flags as Record<string, unknown>;
    if (flag.repeat) {
      const list = (bag[flag.key] as string[] | undefined) ?? [];
      list.push(value as string);
      bag[flag.key] = list;
    } else {
      bag[flag.key] = value;
    }
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const inCommand = command === "run" && positionals.length > 0;
    if (inCommand) {
      positionals.push(arg);
      continue;
    }
    if (arg === "--") {
      if (!command) command = "start";
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
      const flag = _find(name, false, command);
      if (!flag) {
        throw new UsageError(`unknown flag --${name} (see "tend --help")`);
      }
      if (!flag.value) {
        if (eq !== -1) throw new UsageError(`--${name} takes no value`);
        record(flag, true, `--${name}`);
        continue;
      }
      let value: string | undefined = eq === -1 ? argv[++i] : arg.slice(eq + 1);
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
      if (eq === -1 && value.startsWith("-") && value !== "-") {
        throw new UsageError(`--${name} needs a value, got flag ${value}`);
      }
      value = value.trim();
      record(flag, value, `--${name}`);
      continue;
    }
    if (arg.startsWith("-") && arg.length > 1) {
      for (let j = 1; j < arg.length; j++) {
        const letter = arg[j];
        const flag = _find(letter, true, command);
        if (!flag) {
          throw new UsageError(`unknown flag -${letter} (see "tend --help")`);
        }
        if (!flag.value) {
          record(flag, true, `-${letter}`);
          continue;
        }
        const value = j + 1 < arg.length ? arg.slice(j + 1) : argv[++i];
        if (value === undefined) {
          throw new UsageError(`-${letter} needs a value`);
        }
        record(flag, value.trim(), `-${letter}`);
        break;
      }
      continue;
    }
    if (!command) {
      if (!(COMMANDS as readonly string[]).includes(arg)) {
        throw new UsageError(
          `unknown command "${arg}" (commands: ${COMMANDS.join(", ")})`,
        );
      }
      command = arg as Command;
      continue;
    }
    positionals.push(arg);
  }
  if (!command) command = flags.version ? "version" : "help";
  return { command, positionals, flags, dashdash };
}

/**
 * Splits comma-separated flag values (`-q web,worker -q clock`) into a list.
 *
 * @example
 * ```ts
 * import { splitList } from "./args.ts";
 * console.assert(splitList(["a,b", " c"]).join() === "a,b,c");
 * ```
 */
export function splitList(values: readonly string[] | undefined): string[] {
  return (values ?? []).flatMap((v) => v.split(",")).map((v) => v.trim())
    .filter((v) => v);
}
