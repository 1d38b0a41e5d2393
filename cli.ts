#!/usr/bin/env -S deno run -A
/**
 * The `tend` command line: a thin shell that turns arguments into calls of
 * the library in `mod.ts` and prints what they return.
 *
 * ```sh
 * deno run -A cli.ts start            # run every process type of ./Procfile
 * deno run -A cli.ts run 'echo $PORT' # one-off command with the env loaded
 * ```
 *
 * @module
 */
import { basename, resolve } from "node:path";
import process from "node:process";
import meta from "./deno.json" with { type: "json" };
import { policyOptions, projectOptions } from "./src/_flag_values.ts";
import { COMMANDS, type Flags, parseArgs } from "./src/args.ts";
import {
  formatProblem,
  type Problem,
  TendError,
  UsageError,
} from "./src/errors.ts";
import { checkProject, loadProject } from "./src/project.ts";
import {
  args,
  exit,
  onStopSignals,
  openStdout,
  printError,
} from "./src/runtime.ts";
import { startHints, startOutput } from "./src/start_output.ts";
import {
  EXIT_ALREADY_RUNNING,
  EXIT_BROKEN_PIPE,
  EXIT_FAILURE,
  EXIT_INTERNAL,
} from "./src/status.ts";
import { Supervisor } from "./src/supervisor.ts";

/** tend's version, from deno.json. */
export const VERSION: string = meta.version;

/** How long a stop signal lets one write to a stalled stdout wait. */
const _STALL_MS = 100;

/** Prints warnings, once each, with their places. */
function _warn(warnings: readonly Problem[]): void {
  for (const w of warnings) printError(`tend: warning: ${formatProblem(w)}`);
}

async function _start(flags: Flags, positionals: string[]): Promise<number> {
  const project = loadProject(projectOptions(flags, process.env, positionals));
  const { instances, procfile } = project;
  _warn([...project.warnings, ...project.shadowed]);
  if (instances.length === 0) {
    throw new TendError({
      path: procfile,
      message: "no processes to start (formation is 0 for every type)",
    });
  }
  const options = policyOptions(flags, project);
  const { startControl } = await import("./src/control_start.ts");
  const control = await startControl(project, VERSION, options, _warn, (m) => {
    printError(`tend: ${m}`);
    supervisor.shutdown(EXIT_ALREADY_RUNNING);
  });
  // A reader that went away (`tend start | head`) stops tend like SIGPIPE.
  // The sink can only break once the supervisor below writes through it.
  const sink = openStdout(() => supervisor.shutdown(EXIT_BROKEN_PIPE));
  const names = instances.map((i) => i.name);
  const output = await startOutput(
    flags,
    sink,
    names,
    project.env,
    control.history,
  );
  const supervisor = new Supervisor({
    instances,
    env: output.env,
    printer: output.printer,
    cwd: project.appRoot,
    adoptOrphans: true,
    onNote: (text: string) => printError(`tend: note: ${text}`),
    ...options,
  });
  control.attach(supervisor);
  const stopListening = onStopSignals((signal) => {
    // Once told to stop, tend stops waiting on a reader that does not read
    // (a paused pager, `| sleep`): its output is dropped after a stalled
    // write, else the stop would wait on the reader forever.
    sink.limitStall(_STALL_MS);
    supervisor.stop(signal);
  });
  const status = await supervisor.run();
  stopListening();
  await output.close();
  await control.close();
  return status;
}

function _check(flags: Flags): number {
  const { project, problems } = checkProject(
    projectOptions(flags, process.env),
  );
  for (const problem of problems) printError(`tend: ${formatProblem(problem)}`);
  _warn([...project.warnings, ...project.shadowed]);
  if (problems.length > 0) return EXIT_FAILURE;
  const types = project.entries.map((e) => e.name);
  printError(`Valid procfile detected (${types.join(", ")})`);
  return 0;
}

async function _env(flags: Flags, positionals: string[]): Promise<number> {
  const { envListing } = await import("./src/env_listing.ts");
  const [type] = positionals;
  const project = loadProject({
    ...projectOptions(flags, process.env),
    needProcfile: type !== undefined,
  });
  _warn(project.warnings);
  const extra = startHints(flags, project.env);
  process.stdout.write(envListing(project, { ...flags, type, extra }));
  return 0;
}

async function _run(
  flags: Flags,
  positionals: string[],
  exact: boolean,
): Promise<number> {
  const project = loadProject({
    ...projectOptions(flags, process.env),
    needProcfile: false,
  });
  _warn(project.warnings);
  const { runCommand, runTarget } = await import("./src/run.ts");
  const { argv, env } = runTarget(project, positionals, exact);
  return await runCommand(argv, { env, cwd: project.appRoot, exact });
}

async function _export(flags: Flags, positionals: string[]): Promise<number> {
  const { EXPORT_FORMATS, writeExport } = await import("./src/export/mod.ts");
  const [format, dir, extra] = positionals;
  const formats = EXPORT_FORMATS.join(", ");
  if (!format || !dir || extra !== undefined) {
    throw new UsageError(
      `"tend export" takes FORMAT and DIR (formats: ${formats})`,
    );
  }
  if (!EXPORT_FORMATS.includes(format)) {
    throw new UsageError(
      `unknown export format "${format}" (formats: ${formats})`,
    );
  }
  const project = loadProject(projectOptions(flags, process.env));
  _warn(project.warnings);
  const written = await writeExport(format, resolve(dir), {
    app: flags.app ?? basename(project.appRoot),
    appRoot: project.appRoot,
    instances: project.instances,
    order: project.order,
    ready: project.ready,
    env: Object.fromEntries(project.files),
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

async function _help(topic: string | undefined): Promise<number> {
  const { helpText } = await import("./src/help.ts");
  const text = helpText(topic, VERSION);
  if (text === undefined) {
    throw new UsageError(
      `no help for "${topic}" (commands: ${COMMANDS.join(", ")})`,
    );
  }
  process.stdout.write(text + "\n");
  return 0;
}

/**
 * Runs the `tend` command line and resolves with the exit status. Errors in
 * the input become one line on stderr and their documented status.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { main } from "./cli.ts";
 * assert.equal(await main(["--version"]), 0);
 * ```
 */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    const { command, positionals, flags, dashdash } = parseArgs(argv);
    if (command === "version" || flags.version) {
      process.stdout.write(`tend ${VERSION}\n`);
      return 0;
    }
    if (command === "help") return await _help(positionals[0]);
    if (flags.help) return await _help(command);
    switch (command) {
      case "start":
        return await _start(flags, positionals);
      case "run":
        return await _run(flags, positionals, dashdash);
      case "check":
        return _check(flags);
      case "env":
        return await _env(flags, positionals);
      case "export":
        return await _export(flags, positionals);
      default: {
        const { controlCommand } = await import("./src/control_cli.ts");
        return await controlCommand(command, flags, positionals);
      }
    }
  } catch (error) {
    if (error instanceof TendError) {
      // One line per problem, each with tend's prefix and its place.
      for (const problem of error.problems) {
        printError(`tend: ${formatProblem(problem)}`);
      }
      return error.exitCode;
    }
    printError(
      `tend: internal error: ${
        error instanceof Error ? error.message : String(error)
      }`,
    );
    return EXIT_INTERNAL;
  }
}

if (import.meta.main) {
  exit(await main(args()));
}
