/**
 * The help text, generated from the flag table in `args.ts` so that the
 * help, the parser and the reference in `docs/` cannot disagree. Loaded only
 * when help is asked for.
 *
 * @module
 */
import { type Command, COMMANDS, FLAGS, type FlagSpec } from "./flags.ts";

/** What the help says of each command: its synopsis and what it does. */
const _COMMANDS: Readonly<
  Record<Command, { synopsis: string; summary: string; about: string }>
> = {
  start: {
    synopsis: "tend start [TYPE...]",
    summary: "run every process type, or the ones named",
    about:
      `Runs every process type (or the types named) with PORT and PS set, prints
their merged output as "HH:MM:SS name | line", and stops them all when one
exits or tend gets SIGINT, SIGTERM or SIGHUP.

Exit status: 128+n when signal n stopped tend (130, 143, 129); otherwise the
status of the first process that exited.`,
  },
  run: {
    synopsis: "tend run CMD [ARG...]",
    summary: "run a one-off command with the environment loaded",
    about:
      `Runs a one-off command with the env files loaded and PORT set. One argument
runs through "sh -c" (so "tend run 'echo $PORT'" works); several run as an
exact argument vector, as does anything after "--". stdin, stdout and
stderr are the terminal's. Exits with the command's status (128+n if
signal n killed it).`,
  },
  check: {
    synopsis: "tend check",
    summary: "validate the Procfile, env files and required variables",
    about:
      `Validates the Procfile, the env files and the required variables, and lists
every problem as FILE:LINE:COL: message, then every warning ("tend: warning:
..."): a $NAME in an env file that is set nowhere, env-file keys the process
environment overrides. Exit status 0 when valid (warnings allowed, unless
--strict), else 1.`,
  },
  env: {
    synopsis: "tend env [TYPE]",
    summary: "print what the env files and tend give processes, as .env text",
    about:
      `Prints, as .env text, the env files' keys with the values a process sees and
PORT, as "tend run" gives them; with TYPE, the PORT and PS of that type's
first instance under "tend start". --all adds the whole process environment.
Values of keys that look secret (*KEY*, *SECRET*, *TOKEN*, *PASSWORD*) are
masked unless --show-secrets.`,
  },
  export: {
    synopsis: "tend export FORMAT DIR",
    summary:
      "write config for systemd, supervisord, compose, kubernetes, runit, launchd",
    about:
      `Writes configuration for an engine that runs fleets, with the env files'
values plus PORT and PS per instance, as "tend start" would give them.
FORMAT: systemd, supervisord, compose, kubernetes, runit, launchd.`,
  },
  status: {
    synopsis: "tend status",
    summary: "show the processes of the tends running this app",
    about:
      `Shows each process of every tend running this app (found by its Procfile
and app root): name, type, pid, state, port, uptime, restarts, last exit
status and readiness. --json prints them for scripts (docs/control.md).
--check is a health check for Docker HEALTHCHECK or a Kubernetes exec probe:
it exits 0 when every process is running and ready (or may die and is done),
else 1, also when no tend runs.

Exit status: 0; 69 when no tend of this app is running (1 with --check).`,
  },
  restart: {
    synopsis: "tend restart NAME|TYPE...",
    summary: "stop a process (web.1) or type (web) and start it again",
    about:
      `Restarts a process (web.1) or every instance of a type (web) in the running
tend, as shutdown stops it (its stop signal, SIGKILL after that tend's -t),
with the same PORT and environment; a stopped one just starts. The others
run on. Waits until it runs again and prints its old and new pid.

Exit status: 0; 1 for an unknown name; 69 when no tend runs or it is
stopping.`,
  },
  stop: {
    synopsis: "tend stop NAME|TYPE...",
    summary: "stop a process or type and keep it stopped",
    about:
      `Stops a process (web.1) or every instance of a type (web) in the running
tend and keeps it stopped, without stopping the others: its exit is not
the one that stops tend. "tend restart" starts it again.

Exit status: 0; 1 for an unknown name; 69 when no tend runs or it is
stopping.`,
  },
  logs: {
    synopsis: "tend logs [NAME|TYPE...]",
    summary: "print the recent output of the processes; --follow for more",
    about:
      `Prints the last lines (up to 1000 each) of every process, or of those named,
from the running tend's memory, merged in the order they came, as
"HH:MM:SS name | line", with tend's events about them. --follow (-F) goes
on printing new lines until Ctrl-C or tend exits. (-f names the Procfile,
as for every command.)

Exit status: 0; 1 for an unknown name; 69 when no tend runs.`,
  },
  help: {
    synopsis: "tend help [COMMAND]",
    summary: 'show help; also "tend COMMAND --help"',
    about: "Shows the help of tend or of one command.",
  },
  version: {
    synopsis: "tend version",
    summary: "print the version; also --version",
    about: "Prints tend's version.",
  },
};

/** `-f, --procfile FILE` */
function _flagName(spec: FlagSpec): string {
  const long = [spec.long, ...(spec.aliases ?? [])].map((n) => `--${n}`)
    .join(", ");
  const names = spec.short ? `-${spec.short}, ${long}` : `    ${long}`;
  return spec.value ? `${names} ${spec.value}` : names;
}

function _flagLines(specs: readonly FlagSpec[]): string {
  const width = Math.max(...specs.map((s) => _flagName(s).length)) + 2;
  return specs.map((s) => `  ${_flagName(s).padEnd(width)}${s.help}`).join(
    "\n",
  );
}

/** Flags every project command takes, listed once in the main help. */
function _common(): FlagSpec[] {
  return FLAGS.filter((f) =>
    ["start", "run", "check", "env", "export"].every((c) =>
      f.commands.includes(c as Command)
    )
  );
}

/**
 * The help text of tend (`topic` undefined) or of one command; undefined
 * for a topic that is not a command.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { helpText } from "./help.ts";
 * assert.match(helpText("start", "1.0.0")!, /--timeout SECONDS/);
 * assert.equal(helpText("nope", "1.0.0"), undefined);
 * ```
 */
export function helpText(
  topic: string | undefined,
  version: string,
): string | undefined {
  if (topic === undefined) {
    const commands = COMMANDS.map((c) => [_COMMANDS[c].synopsis, c] as const);
    const width = Math.max(...commands.map(([s]) => s.length)) + 2;
    return `tend ${version}: run the processes of a Procfile with the environment of .env files

Usage:
${
      commands.map(([s, c]) => `  ${s.padEnd(width)}${_COMMANDS[c].summary}`)
        .join("\n")
    }

Options of start, run, check, env and export (before or after the command):
${_flagLines(_common())}

Exit status: the command's, or 1 for bad input, 2 for bad usage.`;
  }
  if (!(COMMANDS as readonly string[]).includes(topic)) return undefined;
  const command = topic as Command;
  const info = _COMMANDS[command];
  const common = _common();
  // The control commands take only some of them: those are listed here.
  const shares = common.every((f) => f.commands.includes(command));
  const own = FLAGS.filter((f) =>
    f.commands.includes(command) && !(shares && common.includes(f)) &&
    f.commands.length < COMMANDS.length
  );
  const usage = `Usage: ${info.synopsis} [options]\n\n${info.about}`;
  const shared = shares
    ? '\n\nIt also takes the options listed by "tend help".'
    : "";
  return own.length > 0
    ? `${usage}\n\nOptions:\n${_flagLines(own)}${shared}`
    : `${usage}${shared}`;
}

/**
 * The flag reference as a markdown table, for `docs/`: every flag, what it
 * does and which commands take it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { flagTable } from "./help.ts";
 * assert.match(flagTable(), /\| `-f, --procfile FILE` \|/);
 * ```
 */
export function flagTable(): string {
  const rows = FLAGS.map((f) => {
    const commands = f.commands.length === COMMANDS.length
      ? "all"
      : f.commands.join(", ");
    // Markdown would read `*KEY*` as emphasis and `|` as a cell's end.
    const help = f.help.replace(/[*_|]/g, (c) => `\\${c}`);
    return `| \`${_flagName(f).trim()}\` | ${commands} | ${help} |`;
  });
  return ["| flag | commands | meaning |", "| --- | --- | --- |", ...rows]
    .join("\n");
}
