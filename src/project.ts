/**
 * A project: the app root, its env files, its Procfile and the planned
 * instances, loaded by the rules every command shares. The CLI and a
 * library user get the same answer from one call.
 *
 * The rules, in order:
 * - the app root is `appRoot`, else the Procfile's directory when one is
 *   named, else the working directory;
 * - env files (`.env` by default, relative to the app root) load in order,
 *   later ones win, and the process environment wins over them unless
 *   `override`;
 * - the example file (`.env.example` when it exists) lists keys that must be
 *   set and non-empty;
 * - the Procfile is `procfile`, else `PROCFILE` from that environment, else
 *   `Procfile` in the app root;
 * - the base port is `port`, else `PORT` from that environment, else 5000;
 * - the formation says how many instances of each type run.
 *
 * @module
 */
import { dirname, isAbsolute, resolve } from "node:path";
import { readInput } from "./_input.ts";
import { type Problem, TendError, UsageError } from "./errors.ts";
import { findAssignment } from "./dotenv.ts";
import {
  checkRequired,
  type LoadedEnv,
  loadEnv,
  shadowedWarnings,
} from "./env.ts";
import {
  DEFAULT_PORT,
  type Instance,
  parseFormation,
  parsePort,
  plan,
} from "./formation.ts";
import { RELEASE, resolveReadiness } from "./order.ts";
import type { Probe } from "./probe.ts";
import {
  checkProcfile,
  type ProcfileCheck,
  type ProcfileEntry,
} from "./procfile.ts";

/** What {@linkcode loadProject} needs; every field is optional. */
export interface ProjectOptions {
  /** The Procfile, relative to `cwd` (`-f`). */
  procfile?: string;
  /** Env files, relative to the app root (`-e`); a missing one is an error. */
  envFiles?: readonly string[];
  /** The app's directory, relative to `cwd` (`-d`). */
  appRoot?: string;
  /** The base port (`-p`); a bad value is a usage error. */
  port?: string | number;
  /** Instances per type, as `-c` takes them: `web=2,worker=1`, `all=0`. */
  formation?: string;
  /** The types to run, in this order (default: every type). */
  only?: readonly string[];
  /** `--after` values: `worker=web[,DEP...]`; they win over `#tend` lines. */
  after?: readonly string[];
  /** `--ready` values: `web=PROBE`; they win over `#tend` lines. */
  ready?: readonly string[];
  /** Run the Procfile's `release` type first (default true). */
  release?: boolean;
  /** Let the env files win over the process environment. */
  override?: boolean;
  /** The file listing required keys, relative to the app root; `false` skips the check. */
  example?: string | false;
  /** The process environment (default: none). */
  processEnv?: Readonly<Record<string, string | undefined>>;
  /**
   * Make a reference to a variable set nowhere (`pa$word1`) a problem
   * rather than a warning.
   */
  strict?: boolean;
  /** Where relative `procfile` and `appRoot` start (default: the working directory). */
  cwd?: string;
  /**
   * Whether a Procfile must exist (default true). `tend run` and `tend env`
   * work without one.
   */
  needProcfile?: boolean;
}

/** A loaded project. */
export interface Project {
  /** Absolute path of the app; the processes' working directory. */
  appRoot: string;
  /** The final environment every process gets, before `PORT` and `PS`. */
  env: Record<string, string>;
  /** What the env files assign, in order (what an export carries). */
  files: Map<string, string>;
  /** The Procfile as the user would name it, when one was read. */
  procfile?: string;
  /**
   * The Procfile's absolute path, where tend looked for it (also when it
   * was not found): with the app root, what names a running app.
   */
  procfilePath?: string;
  /** The Procfile's entries, in file order. */
  entries: ProcfileEntry[];
  /** The first port. */
  basePort: number;
  /** The instances to run, with their ports. */
  instances: Instance[];
  /** Type to the types it starts after, as declared (`release` aside). */
  order: Map<string, string[]>;
  /** Type to its readiness probe. */
  ready: Map<string, Probe>;
  /**
   * Warnings with their places: each reference in an env file to a
   * variable set nowhere, which became the empty string (problems instead
   * when `strict`).
   */
  warnings: Problem[];
  /**
   * One warning per env file some of whose keys the process environment
   * overrides with another value, naming the keys (never the values).
   */
  shadowed: Problem[];
}

/** What {@linkcode checkProject} found. */
export interface ProjectCheck {
  /** As much of the project as could be loaded. */
  project: Project;
  /** Every problem, in the order the rules run; empty when valid. */
  problems: Problem[];
}

/**
 * Loads a project and lists every problem instead of stopping at the
 * first, for `tend check`. A bad flag value (`port`, `formation` syntax)
 * still throws a usage error, since nothing can be checked against it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mkdtempSync, writeFileSync } from "node:fs";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { checkProject } from "./project.ts";
 * const dir = mkdtempSync(join(tmpdir(), "tend-"));
 * writeFileSync(join(dir, "Procfile"), "web: serve\nweb: again\n");
 * writeFileSync(join(dir, ".env.example"), "SECRET_KEY=\n");
 * const { problems } = checkProject({ appRoot: dir });
 * assert.deepEqual(problems.map((p) => p.message), [
 *   'duplicate process type "web" (first on line 1)',
 *   "required variable not set: SECRET_KEY (set it in an env file or the environment, or skip this check with --no-example)",
 * ]);
 * ```
 */
export function checkProject(options: ProjectOptions = {}): ProjectCheck {
  const problems: Problem[] = [];
  const note = (error: unknown) => {
    if (!(error instanceof TendError) || error.exitCode !== 1) throw error;
    problems.push(...error.problems);
  };
  const cwd = options.cwd ?? ".";
  const appRoot = resolve(
    cwd,
    options.appRoot ?? (options.procfile ? dirname(options.procfile) : "."),
  );
  const named = options.envFiles?.length ? options.envFiles : undefined;
  const loaded = loadEnv({
    files: named,
    named: named !== undefined,
    cwd: appRoot,
    processEnv: options.processEnv,
    override: options.override,
    onError: note,
  });
  const { env, files } = loaded;
  if (options.strict) problems.push(...loaded.unset);
  const project: Project = {
    appRoot,
    env,
    files,
    entries: [],
    basePort: DEFAULT_PORT,
    instances: [],
    order: new Map(),
    ready: new Map(),
    warnings: options.strict ? [] : loaded.unset,
    shadowed: shadowedWarnings(loaded),
  };
  project.procfilePath = _procfilePath(options, cwd, appRoot, env).path;
  try {
    const procfile = _readProcfile(options, cwd, appRoot, env);
    project.procfile = procfile.shown;
    project.entries = procfile.entries ?? [];
    problems.push(...procfile.problems);
    try {
      Object.assign(
        project,
        resolveReadiness({
          entries: project.entries,
          directives: procfile.directives ?? [],
          after: options.after,
          ready: options.ready,
          path: procfile.shown,
        }, problems),
      );
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  } catch (error) {
    note(error);
  }
  if (options.example !== false) {
    try {
      checkRequired(appRoot, options.example, loaded, problems);
    } catch (error) {
      note(error);
    }
  }
  const types = project.entries.map((e) => e.name);
  const formation = parseFormation(options.formation ?? "");
  if (options.release === false) formation.set(RELEASE, 0);
  if ((formation.get(RELEASE) ?? 0) > 1) {
    problems.push({
      path: project.procfile,
      message: `"${RELEASE}" runs once, before the others: its count is 0 or 1`,
    });
  }
  for (const type of formation.keys()) {
    if (project.procfile && type !== "all" && !types.includes(type)) {
      problems.push({
        path: project.procfile,
        message: `unknown process type "${type}" in the formation (known: ${
          types.join(", ")
        })`,
      });
    }
  }
  try {
    project.basePort = _basePort(options.port, loaded, appRoot);
    if (project.procfile && problems.length === 0) {
      project.instances = plan(project.entries, {
        only: options.only,
        formation,
        basePort: project.basePort,
        path: project.procfile,
      });
    }
  } catch (error) {
    note(error);
  }
  return { project, problems };
}

/**
 * Loads a project by the rules above, or throws a {@linkcode TendError}
 * listing every problem found (exit status 1), or a usage error for a bad
 * flag value (exit status 2).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mkdtempSync, writeFileSync } from "node:fs";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { loadProject } from "./project.ts";
 * const dir = mkdtempSync(join(tmpdir(), "tend-"));
 * writeFileSync(join(dir, "Procfile"), "web: serve\nworker: work\n");
 * writeFileSync(join(dir, ".env"), "GREETING=hi\n");
 * const project = loadProject({ appRoot: dir, formation: "web=2" });
 * assert.equal(project.env.GREETING, "hi");
 * assert.deepEqual(project.instances.map((i) => `${i.name}:${i.port}`), [
 *   "web.1:5000",
 *   "web.2:5001",
 *   "worker.1:5100",
 * ]);
 * ```
 */
export function loadProject(options: ProjectOptions = {}): Project {
  const { project, problems } = checkProject(options);
  if (problems.length > 0) throw new TendError(problems);
  return project;
}

/** The Procfile as named and as an absolute path. */
function _procfilePath(
  options: ProjectOptions,
  cwd: string,
  appRoot: string,
  env: Readonly<Record<string, string>>,
): { shown: string; path: string } {
  // An empty PROCFILE is unset, as the shell treats an empty variable.
  const shown = options.procfile ?? (env.PROCFILE || "Procfile");
  const path = options.procfile ? resolve(cwd, shown) : resolve(appRoot, shown);
  return { shown, path };
}

/** Finds and reads the Procfile: its entries and its problems. */
function _readProcfile(
  options: ProjectOptions,
  cwd: string,
  appRoot: string,
  env: Readonly<Record<string, string>>,
): Partial<ProcfileCheck> & { shown?: string; problems: Problem[] } {
  const { shown, path } = _procfilePath(options, cwd, appRoot, env);
  // Not found where tend looked on its own: say where that was and how to
  // name another file. A file named with -f is where the user said.
  const searched = options.procfile === undefined &&
    options.needProcfile !== false;
  const bytes = readInput(
    path,
    shown,
    options.needProcfile === false || searched,
  );
  if (!bytes) {
    if (!searched) return { problems: [] };
    const how = !env.PROCFILE
      ? "name another with -f FILE or PROCFILE=FILE"
      : "named by PROCFILE; -f FILE names another";
    const where = isAbsolute(shown) ? "" : ` in ${appRoot}`;
    throw new TendError({
      path: shown,
      message: `no such file${where} (${how})`,
    });
  }
  const check = checkProcfile(bytes, shown);
  if (check.problems.length === 0 && check.entries.length === 0) {
    check.problems.push({ path: shown, message: "no process types defined" });
  }
  return { shown, ...check };
}

/**
 * `port`, else `PORT` from the environment, else the default. A bad `PORT`
 * is named where it is: the line of the env file that set it, or the
 * process environment.
 */
function _basePort(
  port: string | number | undefined,
  loaded: LoadedEnv,
  appRoot: string,
): number {
  if (port !== undefined) return parsePort(String(port), "-p/--port");
  const value = loaded.env.PORT;
  if (value === undefined || value === "") return DEFAULT_PORT;
  const file = loaded.files.get("PORT") === value &&
      !loaded.shadowed.includes("PORT")
    ? loaded.sources.get("PORT")
    : undefined;
  try {
    return parsePort(value, file ? "PORT" : "PORT in the environment");
  } catch (error) {
    const message = (error as Error).message;
    if (file === undefined) throw new TendError({ message });
    // Only now is the file read again: the place costs nothing when valid.
    const bytes = readInput(resolve(appRoot, file), file, true);
    const place = bytes ? findAssignment(bytes, "PORT") : undefined;
    throw new TendError({ path: file, ...place, message });
  }
}
