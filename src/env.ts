/**
 * Environment loading: env files in order, the process environment, and the
 * required keys of `.env.example`. One function turns files plus the process
 * environment into the final environment that processes get.
 *
 * @module
 */
import { resolve } from "node:path";
import { parse, type UnsetReference } from "./dotenv.ts";
import { readInput } from "./_input.ts";
import { type Problem, TendError } from "./errors.ts";

/** The env file read when none is named. */
export const DEFAULT_ENV_FILE = ".env";
/** The file listing required keys, when it exists. */
export const DEFAULT_EXAMPLE_FILE = ".env.example";

/** Options for {@linkcode loadEnv}. */
export interface LoadEnvOptions {
  /** Env files in order; later files win. Default: `[".env"]`. */
  files?: readonly string[];
  /** True when the user named the files: then a missing one is an error. */
  named?: boolean;
  /** Directory that relative file names are resolved against. */
  cwd?: string;
  /** The process environment (default: empty). */
  processEnv?: Readonly<Record<string, string | undefined>>;
  /** Let the files win over the process environment. */
  override?: boolean;
  /**
   * Called for a file that is missing (when named) or unreadable, and for
   * every malformed statement of a file (each error once, in order); that
   * file is skipped and loading goes on, so `tend check` can list every
   * problem. Without it the first problem throws.
   */
  onError?: (error: TendError) => void;
}

/** The result of {@linkcode loadEnv}. */
export interface LoadedEnv {
  /** What the files assign, after interpolation, in order (files only). */
  files: Map<string, string>;
  /** The final environment: process env and files per the precedence. */
  env: Record<string, string>;
  /** The file each key of `files` comes from (the last that assigned it). */
  sources: Map<string, string>;
  /**
   * Each `$NAME` or `${NAME}` in a file that loaded whose NAME was set
   * nowhere at that point, so it became the empty string (`pa$word1`), with
   * its place and the fix, in file order.
   */
  unset: Problem[];
  /**
   * Keys of `files` whose value the process environment hides (it holds
   * another value, and `override` is off), in file order. Keys only: their
   * values may be secrets.
   */
  shadowed: string[];
  /** The files that were skipped because of errors (with `onError`). */
  failed: string[];
}

/**
 * Loads env files and combines them with the process environment. Files load
 * in order and later ones win; the process environment wins over all files
 * unless `override`. A file that fails to parse throws a
 * {@linkcode TendError} with its place, and nothing is applied.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadEnv } from "./env.ts";
 * const { env } = loadEnv({ files: ["/no/such/.env"], processEnv: { HOME: "/root" } });
 * assert.equal(env.HOME, "/root");
 * ```
 */
export function loadEnv(options: LoadEnvOptions = {}): LoadedEnv {
  const names = options.files?.length ? options.files : [DEFAULT_ENV_FILE];
  const processEnv = options.processEnv ?? {};
  const files = new Map<string, string>();
  const sources = new Map<string, string>();
  const refs: [string, UnsetReference][] = [];
  const failed: string[] = [];
  for (const name of names) {
    let assigned = new Map<string, string>();
    const errors: TendError[] = [];
    const found: UnsetReference[] = [];
    try {
      const bytes = readInput(
        resolve(options.cwd ?? ".", name),
        name,
        !options.named,
      );
      if (!bytes) continue;
      assigned = parse(bytes, {
        path: name,
        processEnv,
        override: options.override,
        initial: files,
        // Every error of the file when someone lists them, else the first.
        onError: options.onError && ((error) => errors.push(error)),
        onUnset: (ref) => found.push(ref),
      });
    } catch (error) {
      if (!(error instanceof TendError) || !options.onError) throw error;
      errors.push(error);
    }
    if (errors.length > 0) {
      for (const error of errors) options.onError!(error);
      failed.push(name);
      continue;
    }
    for (const ref of found) refs.push([name, ref]);
    for (const [key, value] of assigned) {
      files.delete(key);
      files.set(key, value);
      sources.set(key, name);
    }
  }
  const env: Record<string, string> = {};
  const fromProcess = Object.entries(processEnv).filter((
    e,
  ): e is [string, string] => e[1] !== undefined);
  if (options.override) {
    for (const [key, value] of fromProcess) env[key] = value;
    for (const [key, value] of files) env[key] = value;
  } else {
    for (const [key, value] of files) env[key] = value;
    for (const [key, value] of fromProcess) env[key] = value;
  }
  const shadowed = [...files].filter(([key, value]) => env[key] !== value)
    .map(([key]) => key);
  const unset = refs.map(([path, ref]) => _unsetProblem(path, ref, files));
  return { files, env, sources, unset, shadowed, failed };
}

/** The warning for one reference to a name set nowhere, with the fix. */
function _unsetProblem(
  path: string,
  ref: UnsetReference,
  files: ReadonlyMap<string, string>,
): Problem {
  // Assigned further down (or in a later file): the order is the mistake.
  const message = files.has(ref.name) && ref.name !== ref.key
    ? `${ref.text} is not set yet here (${ref.name} is assigned later), so it becomes ""; assign ${ref.name} before ${ref.key}`
    : `${ref.text} is not set, so it becomes ""; for a literal "$" write \\${ref.text} or single-quote the value`;
  return { path, line: ref.line, column: ref.column, message };
}

/**
 * The keys an example file lists: every key it assigns, and every line that
 * names a key alone (`SECRET_KEY`), which the dotenv grammar reads as
 * setting nothing.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { exampleKeys } from "./env.ts";
 * assert.ok(exampleKeys("A=1\nexport B\n# C\n").join() === "A,B");
 * ```
 */
export function exampleKeys(
  text: string | Uint8Array,
  path = DEFAULT_EXAMPLE_FILE,
): string[] {
  const keys = new Set(parse(text, { path }).keys());
  const source = typeof text === "string"
    ? text
    : new TextDecoder().decode(text);
  for (const line of source.split(/\r\n|\r|\n/)) {
    const bare = /^[ \t]*(?:export[ \t]+)?([A-Za-z0-9_.-]+)[ \t]*(?:#.*)?$/
      .exec(line);
    if (bare && bare[1] !== "export") keys.add(bare[1]);
  }
  return [...keys];
}

/**
 * Whether a key looks secret (`*KEY*`, `*SECRET*`, `*TOKEN*`, `*PASSWORD*`,
 * any case): `tend env` masks its value and the Kubernetes export puts it in
 * the Secret rather than the ConfigMap. One rule, so the two never disagree.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isSecretName } from "./env.ts";
 * assert.ok(isSecretName("STRIPE_api_key") && !isSecretName("GREETING"));
 * ```
 */
export function isSecretName(name: string): boolean {
  return /KEY|SECRET|TOKEN|PASSWORD/i.test(name);
}

/**
 * Adds to `problems` the keys of the example file (`example`, else
 * `.env.example` when it exists, relative to `appRoot`) that the loaded
 * environment leaves unset or empty, as one problem naming them all.
 */
export function checkRequired(
  appRoot: string,
  example: string | undefined,
  loaded: LoadedEnv,
  problems: Problem[],
): void {
  const shown = example ?? DEFAULT_EXAMPLE_FILE;
  const bytes = readInput(
    resolve(appRoot, shown),
    shown,
    example === undefined,
  );
  if (!bytes) return;
  const missing = exampleKeys(bytes, shown).filter((key) => !loaded.env[key]);
  if (missing.length === 0) return;
  // A key may be set in a file that failed: say so rather than suggest
  // setting it again.
  const fix = loaded.failed.length > 0
    ? `not loaded because of errors: ${loaded.failed.join(", ")};`
    : `set ${
      missing.length > 1 ? "them" : "it"
    } in an env file or the environment,`;
  problems.push({
    path: shown,
    message: `required variable${missing.length > 1 ? "s" : ""} not set: ${
      missing.join(", ")
    } (${fix} or skip this check with --no-example)`,
  });
}

/**
 * One warning per env file some of whose keys the process environment
 * overrides with another value, naming the keys (never the values).
 */
export function shadowedWarnings(loaded: LoadedEnv): Problem[] {
  const byFile = new Map<string, string[]>();
  for (const key of loaded.shadowed) {
    const path = loaded.sources.get(key) ?? "";
    byFile.set(path, [...byFile.get(path) ?? [], key]);
  }
  return [...byFile].map(([path, keys]) => ({
    path,
    message: `the process environment overrides ${
      keys.sort().join(", ")
    } from this file (--override makes the env files win)`,
  }));
}
