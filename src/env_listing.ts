/**
 * What `tend env` prints: the environment tend gives a process, as `.env`
 * text. By default only what tend contributes (the env files' keys with the
 * values a process sees, and `PORT`, plus `PS` for a type's instance), not
 * the shell's whole environment, which the user already has. Loaded only
 * by `tend env`.
 *
 * @module
 */
import { stringify } from "./dotenv_stringify.ts";
import { isSecretName } from "./env.ts";
import { TendError } from "./errors.ts";
import type { Project } from "./project.ts";

/** What {@linkcode envListing} shows. */
export interface EnvListingOptions {
  /**
   * A process type: show what its first instance gets under `tend start`
   * (its `PORT` and `PS`). Without it, what `tend run` gives: the base
   * `PORT`, no `PS`.
   */
  type?: string;
  /** The whole environment, the process environment included. */
  all?: boolean;
  /** Print the values of secret-looking keys instead of `********`. */
  showSecrets?: boolean;
  /** More variables tend gives the process (the colour hints of `tend start`). */
  extra?: Readonly<Record<string, string>>;
}

/**
 * The environment a process gets, as `.env` text sorted by key, with the
 * values of secret-looking keys ({@linkcode isSecretName}) masked. Throws a
 * {@linkcode TendError} for a type the Procfile does not define.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mkdtempSync, writeFileSync } from "node:fs";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { envListing } from "./env_listing.ts";
 * import { loadProject } from "./project.ts";
 * const dir = mkdtempSync(join(tmpdir(), "tend-"));
 * writeFileSync(join(dir, "Procfile"), "web: serve\nworker: work\n");
 * writeFileSync(join(dir, ".env"), "API_KEY=k\nGREETING=hi\n");
 * const project = loadProject({ appRoot: dir, processEnv: { HOME: "/root" } });
 * assert.equal(
 *   envListing(project, { type: "worker" }),
 *   "API_KEY=********\nGREETING=hi\nPORT=5100\nPS=worker.1\n",
 * );
 * assert.equal(envListing(project), "API_KEY=********\nGREETING=hi\nPORT=5000\n");
 * ```
 */
export function envListing(
  project: Project,
  options: EnvListingOptions = {},
): string {
  const added: Record<string, string> = {
    ...options.extra,
    PORT: String(project.basePort),
  };
  if (options.type !== undefined) {
    const instance = project.instances.find((i) => i.type === options.type);
    if (!instance) {
      throw new TendError({
        path: project.procfile,
        message: `unknown process type "${options.type}" (known: ${
          project.entries.map((e) => e.name).join(", ")
        })`,
      });
    }
    added.PORT = String(instance.port);
    added.PS = instance.name;
  }
  // The value a process sees: the process environment's when it wins.
  const base = options.all ? project.env : Object.fromEntries(
    [...project.files.keys()].map((key) => [key, project.env[key]]),
  );
  const pairs = Object.entries({ ...base, ...added })
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    // Names the grammar cannot write (`BASH_FUNC_x%%`) are left out.
    .filter(([key]) => /^[A-Za-z0-9_.-]+$/.test(key))
    .map(([key, value]): [string, string] => [
      key,
      !options.showSecrets && isSecretName(key) && value ? "********" : value,
    ]);
  return stringify(pairs);
}
