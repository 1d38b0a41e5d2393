/**
 * Environment loading: env files in order, the process environment, and the
 * required keys of `.env.example`. One function turns files plus the process
 * environment into the final environment that processes get.
 *
 * @module
 */
import { resolve } from "node:path";
import { parse } from "./dotenv.ts";
import { readInput } from "./_input.ts";
import { TendError } from "./errors.ts";

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
   * Called for a file that is missing (when named) or fails to parse; that
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
  for (const name of names) {
    let assigned: Map<string, string>;
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
      });
    } catch (error) {
      if (!(error instanceof TendError) || !options.onError) throw error;
      options.onError(error);
      continue;
    }
    for (const [key, value] of assigned) {
      files.delete(key);
      files.set(key, value);
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
  return { files, env };
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
 * Throws a {@linkcode TendError} naming every key of `required` that is
 * unset or empty in `env`, all in one message.
 *
 * @example
 * ```ts
 * import { checkRequired } from "./env.ts";
 * checkRequired(["HOME"], { HOME: "/root" }, ".env.example"); // passes
 * ```
 */
export function checkRequired(
  required: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  path: string,
): void {
  const missing = required.filter((key) => !env[key]);
  if (missing.length > 0) {
    throw new TendError({
      path,
      message: `required variable${missing.length > 1 ? "s" : ""} not set: ${
        missing.join(", ")
      }`,
    });
  }
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
