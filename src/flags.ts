/**
 * The commands and the one table of flags: what each flag is called, what
 * it takes, which commands take it and what the help says of it. Parsing
 * (`args.ts`), the help and the reference in `docs/` are all read off it.
 *
 * @module
 */

/** The subcommands, in the order the help lists them. */
export const COMMANDS = [
  "start",
  "run",
  "check",
  "env",
  "export",
  "status",
  "restart",
  "stop",
  "logs",
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
  logFormat?: string;
  logDir?: string;
  logMaxSize?: string;
  override?: boolean;
  example?: string;
  noExample?: boolean;
  strict?: boolean;
  all?: boolean;
  canDie?: string[];
  restart?: string[];
  maxRestarts?: string;
  stopSignal?: string[];
  after?: string[];
  ready?: string[];
  readyTimeout?: string;
  noRelease?: boolean;
  showSecrets?: boolean;
  app?: string;
  user?: string;
  log?: string;
  image?: string;
  template?: string;
  force?: boolean;
  json?: boolean;
  check?: boolean;
  follow?: boolean;
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
/** The commands that control a running tend; they find it as others find the app. */
const _CONTROL: readonly Command[] = ["status", "restart", "stop", "logs"];
const _LOCATE: readonly Command[] = [..._PROJECT, ..._CONTROL];

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
    commands: _LOCATE,
    help: "the Procfile (default: $PROCFILE, else ./Procfile)",
  },
  {
    long: "env",
    short: "e",
    key: "env",
    value: "FILE[,FILE]",
    repeat: true,
    commands: _LOCATE,
    help: "env files in order, later ones win (default: .env)",
  },
  {
    long: "app-root",
    short: "d",
    aliases: ["root"],
    key: "appRoot",
    value: "DIR",
    commands: _LOCATE,
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
    long: "no-example",
    key: "noExample",
    commands: _PROJECT,
    help: "do not require the keys of an example file",
  },
  {
    long: "strict",
    key: "strict",
    commands: _PROJECT,
    help: "a $NAME in an env file that is set nowhere is an error",
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
    commands: ["start", "env", "logs"],
    help: "no colours (also NO_COLOR; FORCE_COLOR forces them)",
  },
  {
    long: "no-prefix",
    key: "noPrefix",
    commands: ["start", "logs"],
    help: "print bare lines, without time and name",
  },
  {
    long: "no-timestamp",
    key: "noTimestamp",
    commands: ["start", "logs"],
    help: "leave the time out of the prefix",
  },
  {
    long: "log-format",
    key: "logFormat",
    value: "FORMAT",
    commands: ["start"],
    help: "text (default) or json: one JSON object per line",
  },
  {
    long: "log-dir",
    key: "logDir",
    value: "DIR",
    commands: ["start"],
    help: "also write each process's lines to DIR/NAME.log",
  },
  {
    long: "log-max-size",
    key: "logMaxSize",
    value: "SIZE",
    commands: ["start"],
    help: "rotate a log file to NAME.log.1 past SIZE (default 10M; 0: never)",
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
    long: "after",
    key: "after",
    value: "TYPE=DEP[,DEP]",
    repeat: true,
    commands: _FORMATION,
    help: "start TYPE once DEP is ready; stop it before DEP",
  },
  {
    long: "ready",
    key: "ready",
    value: "TYPE=PROBE",
    repeat: true,
    commands: _FORMATION,
    help:
      "when TYPE is ready: tcp, tcp:[HOST:]PORT, http:PATH, exec:CMD, log:REGEX",
  },
  {
    long: "ready-timeout",
    key: "readyTimeout",
    value: "SECONDS",
    commands: ["start"],
    help: "stop everything if a probe has not passed by then (default 60)",
  },
  {
    long: "no-release",
    key: "noRelease",
    commands: _FORMATION,
    help: "do not run the Procfile's release type first",
  },
  {
    long: "all",
    key: "all",
    commands: ["env"],
    help: "print the whole environment, not only what tend adds",
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
    long: "json",
    key: "json",
    commands: ["status"],
    help: "print JSON (the fields are in docs/control.md)",
  },
  {
    long: "check",
    key: "check",
    commands: ["status"],
    help: "health check: exit 0 only if every process is up and ready",
  },
  {
    long: "follow",
    short: "F",
    key: "follow",
    commands: ["logs"],
    help: "go on printing new lines until Ctrl-C or tend exits",
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
