#!/usr/bin/env -S deno run -A
/**
 * The `tend` command line: a thin shell that turns arguments into calls of
 * the library in `mod.ts`.
 *
 * ```sh
 * deno run -A cli.ts start            # run every process type of ./Procfile
 * deno run -A cli.ts run 'echo $PORT' # one-off command with the env loaded
 * ```
 *
 * @module
 */
import { basename, dirname, resolve } from "node:path";
import process from "node:process";
import meta from "./deno.json" with { type: "json" };
import { type Flags, parseArgs, splitList } from "./src/args.ts";
import { stringify } from "./src/dotenv.ts";
import { EXPORT_FORMATS, writeExport } from "./src/export/mod.ts";
import {
  checkRequired,
  DEFAULT_EXAMPLE_FILE,
  exampleKeys,
  isSecretName,
  loadEnv,
  readInput,
} from "./src/env.ts";
import {
  formatProblem,
  type Problem,
  TendError,
  UsageError,
} from "./src/errors.ts";
import {
  DEFAULT_PORT,
  parseFormation,
  parsePort,
  plan,
} from "./src/formation.ts";
import { Printer, wantColor } from "./src/output.ts";
import {
  checkProcfile,
  parseProcfile,
  type ProcfileEntry,
} from "./src/procfile.ts";
import { runCommand } from "./src/run.ts";
import {
  args,
  exit,
  onStopSignals,
  openStdout,
  printError,
  stdoutIsTerminal,
} from "./src/runtime.ts";
import {
  type Signal,
  Supervisor,
  type TypeSelection,
} from "./src/supervisor.ts";
import { constants } from "node:os";

/** tend's version, from deno.json. */
export const VERSION: string = meta.version;

const _HELP: Record<string, string> = {
  main:
    `tend ${VERSION}: run the processes of a Procfile with the environment of .env files

Usage:
  tend start [TYPE...]      run every process type, or the ones named
  tend run CMD [ARG...]     run a one-off command with the environment loaded
  tend check                validate the Procfile, env files and required variables
  tend env                  print the environment processes get, as .env text
  tend export FORMAT DIR    write config for systemd, supervisord, compose, kubernetes, ...
  tend help [COMMAND]       show help; also "tend COMMAND --help"

Options for every command (before or after it):
  -f, --procfile FILE       Procfile to use (default: $PROCFILE, else ./Procfile)
  -e, --env FILE[,FILE]     env files, later ones win (default: .env)
  -d, --app-root DIR        directory of the app (default: the Procfile's)
  -c, --concurrency SPEC    instances per type: web=2,worker=1 (all=N sets the default)
  -m, --formation SPEC      same as -c (foreman's name)
  -p, --port N              base port (default: $PORT, else 5000)
      --override            env files win over the process environment
      --example FILE        file listing required keys (default: .env.example)
      --version             print the version
  -h, --help                show help

Exit status: the command's, or 1 for bad input, 2 for bad usage.`,
  start: `Usage: tend start [TYPE...] [options]

Runs every process type (or the types named) with PORT and PS set, prints
their merged output as "HH:MM:SS name | line", and stops them all when one
exits or tend gets SIGINT, SIGTERM or SIGHUP.

Options (plus those of "tend help"):
  -t, --timeout SECONDS     wait before SIGKILL after the stop signal (default 5)
  -q, --quiet TYPES         do not print the output of these types
      --no-color            no colours (also NO_COLOR; FORCE_COLOR forces them)
      --no-prefix           print bare lines, without time and name
      --no-timestamp        leave the time out of the prefix
      --can-die TYPES       these may exit without stopping the others ("all")
      --restart TYPES       restart these when they exit, with backoff ("all")
      --max-restarts N      stop restarting an instance after N restarts
      --stop-signal T=SIG   first signal for type T at shutdown (default TERM)

Exit status: 128+n when signal n stopped tend (130, 143, 129); otherwise the
status of the first process that exited.`,
  run: `Usage: tend run [options] CMD [ARG...]
       tend run [options] -- CMD [ARG...]

Runs a one-off command with the env files loaded and PORT set. One argument
runs through "sh -c" (so "tend run 'echo $PORT'" works); several run as an
exact argument vector. stdin, stdout and stderr are the terminal's.
Exits with the command's status (128+n if signal n killed it).`,
  check: `Usage: tend check [options]

Validates the Procfile, the env files and the required variables, and lists
every problem as FILE:LINE: message. Exit status 0 when valid, else 1.`,
  env: `Usage: tend env [options] [--show-secrets]

Prints the environment processes get, as .env text. Values of keys that look
secret (*KEY*, *SECRET*, *TOKEN*, *PASSWORD*) are masked unless --show-secrets.`,
  export: `Usage: tend export FORMAT DIR [options]

Writes configuration for an engine that runs fleets, with the env files'
values plus PORT and PS per instance, as "tend start" would give them.
FORMAT: systemd, supervisord, compose, kubernetes, runit, launchd.
Formation (-c/-m), ports (-p) and env files (-e) work as for "tend start".
  -a, --app NAME            app name (default: the app root's directory name)
  -u, --user USER           user to run as
  -l, --log DIR             log directory
      --image IMAGE         container image (compose, kubernetes)
  -t, --template DIR        templates that override the built-in ones
      --force               overwrite existing files`,
};

interface _Context {
  appRoot: string;
  env: Record<string, string>;
  files: Map<string, string>;
}

function _appRoot(flags: Flags): string {
  const root = resolve(
    flags.appRoot ?? (flags.procfile ? dirname(flags.procfile) : "."),
  );
  return root;
}

function _loadEnv(
  flags: Flags,
  onError?: (error: TendError) => void,
): _Context {
  const appRoot = _appRoot(flags);
  const named = splitList(flags.env);
  const { env, files } = loadEnv({
    files: named,
    named: named.length > 0,
    cwd: appRoot,
    processEnv: process.env,
    override: flags.override,
    onError,
  });
  return { appRoot, env, files };
}

/** Checks the keys of the example file; returns the problem, if any. */
function _required(flags: Flags, ctx: _Context): void {
  const shown = flags.example ?? DEFAULT_EXAMPLE_FILE;
  const bytes = readInput(
    resolve(ctx.appRoot, shown),
    shown,
    flags.example === undefined,
  );
  if (bytes) checkRequired(exampleKeys(bytes, shown), ctx.env, shown);
}

function _procfile(
  flags: Flags,
  ctx: _Context,
): { path: string; shown: string; text: string } {
  const shown = flags.procfile ?? ctx.env.PROCFILE ?? "Procfile";
  const path = flags.procfile ? resolve(shown) : resolve(ctx.appRoot, shown);
  const bytes = readInput(path, shown)!;
  return { path, shown, text: new TextDecoder().decode(bytes) };
}

function _basePort(flags: Flags, env: Record<string, string>): number {
  if (flags.port !== undefined) return parsePort(flags.port, "-p/--port");
  if (env.PORT === undefined || env.PORT === "") return DEFAULT_PORT;
  try {
    return parsePort(env.PORT, "PORT");
  } catch (error) {
    throw new TendError({ message: (error as Error).message });
  }
}

function _types(
  values: string[] | undefined,
  entries: ProcfileEntry[],
  flag: string,
): TypeSelection | undefined {
  const list = splitList(values);
  if (list.length === 0) return undefined;
  if (list.includes("all")) return "all";
  const known = entries.map((e) => e.name);
  for (const type of list) {
    if (!known.includes(type)) {
      throw new UsageError(
        `unknown process type "${type}" in ${flag} (known: ${
          known.join(", ")
        })`,
      );
    }
  }
  return new Set(list);
}

function _stopSignals(
  values: string[] | undefined,
  entries: ProcfileEntry[],
): Map<string, Signal> {
  const signals = new Map<string, Signal>();
  const known = entries.map((e) => e.name);
  for (const item of splitList(values)) {
    const match = /^([A-Za-z0-9_-]+)=(?:SIG)?([A-Za-z0-9]+)$/.exec(item);
    const name = match ? `SIG${match[2].toUpperCase()}` : "";
    if (!match || !(name in constants.signals)) {
      throw new UsageError(
        `bad --stop-signal ${
          JSON.stringify(item)
        }: expected TYPE=SIGNAL, e.g. web=INT`,
      );
    }
    const targets = match[1] === "all" ? known : [match[1]];
    for (const type of targets) {
      if (!known.includes(type)) {
        throw new UsageError(
          `unknown process type "${type}" in --stop-signal (known: ${
            known.join(", ")
          })`,
        );
      }
      signals.set(type, name as Signal);
    }
  }
  return signals;
}

function _timeout(value: string | undefined): number {
  if (value === undefined) return 5000;
  const seconds = /^\d+(\.\d+)?$/.test(value) ? Number(value) : NaN;
  if (!Number.isFinite(seconds)) {
    throw new UsageError(
      `bad timeout ${JSON.stringify(value)}: expected seconds, e.g. 5 or 0.5`,
    );
  }
  return Math.round(seconds * 1000);
}

function _count(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) {
    throw new UsageError(
      `bad ${flag} ${JSON.stringify(value)}: expected a count`,
    );
  }
  return Number(value);
}

/** How long a stop signal lets one write to a stalled stdout wait. */
const _STALL_MS = 100;

/** parse -> plan: the env, the Procfile and the instances to run. */
function _plan(flags: Flags, only: string[] = []) {
  const ctx = _loadEnv(flags);
  _required(flags, ctx);
  const procfile = _procfile(flags, ctx);
  const entries = parseProcfile(procfile.text, procfile.shown);
  const formation = parseFormation(
    (flags.formation ?? []).join(","),
    entries.map((e) => e.name),
  );
  const instances = plan(entries, {
    only,
    formation,
    basePort: _basePort(flags, ctx.env),
    path: procfile.shown,
  });
  return { ctx, procfile, entries, instances };
}

async function _start(flags: Flags, positionals: string[]): Promise<number> {
  const { ctx, procfile, entries, instances } = _plan(flags, positionals);
  if (instances.length === 0) {
    throw new TendError({
      path: procfile.shown,
      message: "no processes to start (formation is 0 for every type)",
    });
  }
  const options = {
    timeout: _timeout(flags.timeout),
    quiet: _types(flags.quiet, entries, "--quiet"),
    canDie: _types(flags.canDie, entries, "--can-die"),
    restart: _types(flags.restart, entries, "--restart"),
    maxRestarts: _count(flags.maxRestarts, "--max-restarts"),
    stopSignals: _stopSignals(flags.stopSignal, entries),
  };
  // A reader that went away (`tend start | head`) stops tend like SIGPIPE.
  // The sink can only break once the supervisor below writes through it.
  const sink = openStdout(() => supervisor.shutdown(141));
  const printer = new Printer(sink, instances.map((i) => i.name), {
    color: wantColor({
      isTerminal: stdoutIsTerminal(),
      env: process.env,
      noColor: flags.noColor,
    }),
    prefix: !flags.noPrefix,
    timestamp: !flags.noTimestamp,
  });
  const supervisor = new Supervisor({
    instances,
    env: ctx.env,
    printer,
    cwd: ctx.appRoot,
    ...options,
  });
  if (process.pid === 1) {
    printer.system(
      "running as PID 1: orphaned grandchildren are not reaped; use `docker run --init`",
    );
  }
  const stopListening = onStopSignals((signal) => {
    // Once told to stop, tend stops waiting on a reader that does not read
    // (a paused pager, `| sleep`): its output is dropped after a stalled
    // write, else the stop would wait on the reader forever.
    sink.limitStall(_STALL_MS);
    supervisor.stop(signal);
  });
  const status = await supervisor.run();
  stopListening();
  return status;
}

function _check(flags: Flags): number {
  const problems: Problem[] = [];
  const note = (error: TendError) => problems.push(...error.problems);
  let ctx: _Context;
  try {
    ctx = _loadEnv(flags, note);
  } catch (error) {
    if (!(error instanceof TendError)) throw error;
    note(error);
    ctx = {
      appRoot: _appRoot(flags),
      env: { ...process.env } as Record<string, string>,
      files: new Map(),
    };
  }
  let types: string[] = [];
  try {
    const procfile = _procfile(flags, ctx);
    const checked = checkProcfile(procfile.text, procfile.shown);
    problems.push(...checked.problems);
    types = checked.entries.map((e) => e.name);
    if (checked.problems.length === 0 && types.length === 0) {
      problems.push({
        path: procfile.shown,
        message: "no process types defined",
      });
    }
    if (flags.formation) parseFormation(flags.formation.join(","), types);
  } catch (error) {
    if (!(error instanceof TendError)) throw error;
    note(error);
  }
  try {
    _required(flags, ctx);
  } catch (error) {
    if (!(error instanceof TendError)) throw error;
    note(error);
  }
  if (problems.length > 0) {
    for (const problem of problems) {
      printError(`tend: ${formatProblem(problem)}`);
    }
    return 1;
  }
  printError(`Valid procfile detected (${types.join(", ")})`);
  return 0;
}

function _env(flags: Flags): number {
  const ctx = _loadEnv(flags);
  const pairs = Object.entries(ctx.env)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .filter(([key]) => /^[A-Za-z0-9_.-]+$/.test(key))
    .map((
      [key, value],
    ): [string, string] => [
      key,
      !flags.showSecrets && isSecretName(key) && value ? "********" : value,
    ]);
  process.stdout.write(stringify(pairs));
  return 0;
}

async function _run(
  flags: Flags,
  positionals: string[],
  exact: boolean,
): Promise<number> {
  if (positionals.length === 0) {
    throw new UsageError('"tend run" needs a command, e.g. tend run -- ls -l');
  }
  const ctx = _loadEnv(flags);
  _required(flags, ctx);
  const env = { ...ctx.env, PORT: String(_basePort(flags, ctx.env)) };
  return await runCommand(positionals, { env, cwd: ctx.appRoot, exact });
}

async function _export(flags: Flags, positionals: string[]): Promise<number> {
  const [format, dir, extra] = positionals;
  if (!format || !dir || extra !== undefined) {
    throw new UsageError(
      `"tend export" takes FORMAT and DIR (formats: ${
        EXPORT_FORMATS.join(", ")
      })`,
    );
  }
  if (!EXPORT_FORMATS.includes(format)) {
    throw new UsageError(
      `unknown export format "${format}" (formats: ${
        EXPORT_FORMATS.join(", ")
      })`,
    );
  }
  const { ctx, instances } = _plan(flags);
  const written = await writeExport(format, resolve(dir), {
    app: flags.app ?? basename(ctx.appRoot),
    appRoot: ctx.appRoot,
    instances,
    env: Object.fromEntries(ctx.files),
    user: flags.user,
    logDir: flags.log === undefined ? undefined : resolve(flags.log),
    image: flags.image,
    templateDir: flags.template === undefined
      ? undefined
      : resolve(flags.template),
    force: flags.force,
  });
  for (const path of written) printError(`wrote ${path}`);
  return 0;
}

/**
 * Runs the `tend` command line and resolves with the exit status. Errors in
 * the input become one line on stderr and their documented status.
 *
 * @example
 * ```ts
 * import { main } from "./cli.ts";
 * const status = await main(["--version"]);
 * console.assert(status === 0);
 * ```
 */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    const { command, positionals, flags, dashdash } = parseArgs(argv);
    if (command === "version" || flags.version) {
      process.stdout.write(`tend ${VERSION}\n`);
      return 0;
    }
    if (command === "help" || flags.help) {
      const topic = command === "help" ? positionals[0] ?? "main" : command;
      const text = _HELP[topic];
      if (!text) {
        throw new UsageError(
          `no help for "${topic}" (commands: start, run, check, env, export)`,
        );
      }
      process.stdout.write(text + "\n");
      return 0;
    }
    switch (command) {
      case "start":
        return await _start(flags, positionals);
      case "run":
        return await _run(flags, positionals, dashdash);
      case "check":
        if (positionals.length) {
          throw new UsageError(`"tend check" takes no arguments`);
        }
        return _check(flags);
      case "env":
        return _env(flags);
      case "export":
        return await _export(flags, positionals);
    }
  } catch (error) {
    if (error instanceof TendError) {
      // One line per problem, each with tend's prefix and its place.
      const problems = error.problems.length > 0
        ? error.problems
        : [{ message: error.message }];
      for (const problem of problems) {
        printError(`tend: ${formatProblem(problem)}`);
      }
      return error.exitCode;
    }
    printError(
      `tend: internal error: ${
        error instanceof Error ? error.message : String(error)
      }`,
    );
    return 70;
  }
}

if (import.meta.main) {
  exit(await main(args()));
}
