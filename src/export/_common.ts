/**
 * What every export format shares: the option, file and format types, file
 * modes, the per-instance environment, the option checks, and the escaping
 * helpers more than one format needs.
 *
 * @module
 */
import { TendError, UsageError } from "../errors.ts";
import type { Instance } from "../formation.ts";
import type { Probe } from "../probe.ts";

/**
 * Options for rendering or writing an export.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type ExportOptions, renderExport } from "./mod.ts";
 * const options: ExportOptions = {
 *   app: "shop",
 *   appRoot: "/srv/shop",
 *   instances: [{ type: "web", index: 1, name: "web.1", command: "serve", port: 5000 }],
 *   env: { GREETING: "hi" },
 *   user: "www",
 * };
 * const conf = renderExport("supervisord", options).get("shop.conf")!.content;
 * assert.match(conf, /^user=www$/m);
 * ```
 */
export interface ExportOptions {
  /**
   * The app name. Lowercased to `[a-z0-9-]` (at most 40 characters,
   * starting with a letter, `app` when nothing is left) for unit, program,
   * file and resource names.
   */
  app: string;
  /** Absolute path of the app; the working directory of every process. */
  appRoot: string;
  /** The instances to export, from `plan()`: types, counts and ports. */
  instances: Instance[];
  /**
   * Type to the types it starts after (`--after`, `#tend TYPE after=`).
   * A `release` type among the instances comes before every other type
   * whether or not it is listed here.
   */
  order?: ReadonlyMap<string, readonly string[]>;
  /** Type to its readiness probe (`--ready`, `#tend TYPE ready=`). */
  ready?: ReadonlyMap<string, Probe>;
  /**
   * The env files' values (not the whole process environment). Each instance
   * gets these plus `PORT` and `PS`, which override same-named values here,
   * exactly as `tend start` gives them.
   */
  env: Record<string, string>;
  /** The user the processes run as (`-u`). */
  user?: string;
  /** Where process logs go (`-l`); each format documents its default. */
  logDir?: string;
  /** The container image for `compose` and `kubernetes`; default `APP:latest`. */
  image?: string;
  /**
   * A directory of templates (`-t`) overriding the built-in ones of
   * `systemd`, `supervisord`, `runit` and `launchd`, file by file; each
   * format's {@linkcode ExportFormat.templates} names the files. Other
   * formats reject it.
   */
  templateDir?: string;
  /** Overwrite existing files instead of failing. */
  force?: boolean;
  /**
   * The absolute directory the files will live in. Only `systemd` needs it
   * (its units name the environment file by absolute path);
   * `writeExport()` sets it to the target directory. Default
   * `/etc/systemd/system`.
   */
  dir?: string;
}

/**
 * One rendered file: its text and its permission bits.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type ExportFile, renderExport } from "./mod.ts";
 * const files = renderExport("runit", {
 *   app: "shop", appRoot: "/srv/shop", env: {},
 *   instances: [{ type: "web", index: 1, name: "web.1", command: "serve", port: 5000 }],
 * });
 * const run: ExportFile = files.get("shop-web-1/run")!;
 * assert.equal(run.mode, 0o755);
 * assert.match(run.content, /^#!\/bin\/sh\n/);
 * ```
 */
export interface ExportFile {
  /** The file's text (UTF-8). */
  content: string;
  /** Permission bits; files holding environment values are `0o600`. */
  mode: number;
}

/**
 * Rendered files by path relative to the export directory, in the order
 * they are written.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type ExportFiles, renderExport } from "./mod.ts";
 * const files: ExportFiles = renderExport("runit", {
 *   app: "shop", appRoot: "/srv/shop", env: {},
 *   instances: [{ type: "web", index: 1, name: "web.1", command: "serve", port: 5000 }],
 * });
 * assert.deepEqual([...files.keys()], ["shop-web-1/run", "shop-web-1/env", "shop-web-1/log/run"]);
 * ```
 */
export type ExportFiles = Map<string, ExportFile>;

/**
 * One export format: its name, the template files `-t DIR` may override, and
 * its renderer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { ExportFormat } from "./mod.ts";
 * const motd: ExportFormat = {
 *   name: "motd",
 *   templates: [],
 *   render: (options) =>
 *     new Map([["motd", { content: `${options.app}\n`, mode: 0o644 }]]),
 * };
 * const files = motd.render({ app: "shop", appRoot: "/srv/shop", instances: [], env: {} });
 * assert.equal(files.get("motd")?.content, "shop\n");
 * ```
 */
export interface ExportFormat {
  /** The name `tend export` takes. */
  readonly name: string;
  /**
   * The template files it reads from a template directory (`-t DIR`), by
   * file name; empty when the format has no templates.
   */
  readonly templates: readonly string[];
  /**
   * Renders the files, doing no I/O except reading templates. Expects
   * options already checked as {@linkcode renderExport} does; throws a
   * {@linkcode TendError} for input the format cannot represent.
   */
  render(options: ExportOptions): ExportFiles;
}

/** Mode for files holding environment values (secrets, often). */
export const SECRET_MODE = 0o600;
/** Mode for plain configuration files. */
export const PLAIN_MODE = 0o644;
/** Mode for scripts. */
export const SCRIPT_MODE = 0o755;

const _ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The shared environment: the env files' values minus `PORT` and `PS`, which
 * every instance sets itself (and which must win). Throws a
 * {@linkcode TendError} for a name that is not a portable variable name,
 * since every format would have to quote it differently or cannot hold it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sharedEnv } from "./_common.ts";
 * assert.deepEqual(sharedEnv({ A: "1", PORT: "9", PS: "x" }), [["A", "1"]]);
 * assert.throws(() => sharedEnv({ "A-B": "1" }), /cannot export environment variable "A-B"/);
 * ```
 */
export function sharedEnv(env: Record<string, string>): [string, string][] {
  const out: [string, string][] = [];
  for (const [key, value] of Object.entries(env)) {
    if (!_ENV_NAME.test(key)) {
      throw new TendError({
        message: `cannot export environment variable ${
          JSON.stringify(key)
        }: names must match [A-Za-z_][A-Za-z0-9_]*`,
      });
    }
    if (key === "PORT" || key === "PS") continue;
    out.push([key, value]);
  }
  return out;
}

/**
 * The full environment of one instance: {@linkcode sharedEnv}, then `PORT`
 * and `PS`, as `tend start` gives them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { instanceEnv } from "./_common.ts";
 * const inst = { type: "web", index: 1, name: "web.1", command: "x", port: 5000 };
 * assert.deepEqual(instanceEnv({ PORT: "1", A: "a" }, inst), [
 *   ["A", "a"], ["PORT", "5000"], ["PS", "web.1"],
 * ]);
 * ```
 */
export function instanceEnv(
  env: Record<string, string>,
  instance: Instance,
): [string, string][] {
  return [
    ...sharedEnv(env),
    ["PORT", String(instance.port)],
    ["PS", instance.name],
  ];
}

/** One process type with its instances, for formats that scale by type. */
export interface TypeGroup {
  /** The process type. */
  type: string;
  /** The command of the type. */
  command: string;
  /** Its instances, in index order. */
  instances: Instance[];
  /** The port of its first instance: the type's base port. */
  port: number;
}

/**
 * Groups instances by process type, in order of first appearance.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { groupByType } from "./_common.ts";
 * const mk = (type: string, index: number, port: number) =>
 *   ({ type, index, name: `${type}.${index}`, command: "x", port });
 * const groups = groupByType([mk("web", 1, 5000), mk("w", 1, 5100), mk("web", 2, 5001)]);
 * assert.deepEqual(groups.map((g) => [g.type, g.instances.length, g.port]), [
 *   ["web", 2, 5000], ["w", 1, 5100],
 * ]);
 * ```
 */
export function groupByType(instances: readonly Instance[]): TypeGroup[] {
  const groups = new Map<string, TypeGroup>();
  for (const instance of instances) {
    let group = groups.get(instance.type);
    if (!group) {
      group = {
        type: instance.type,
        command: instance.command,
        instances: [],
        port: instance.port,
      };
      groups.set(instance.type, group);
    }
    group.instances.push(instance);
  }
  return [...groups.values()];
}

/**
 * Checks the options every format relies on: at least one instance, an
 * absolute app root, a plausible user name. Throws {@linkcode TendError} or
 * {@linkcode UsageError}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TendError, UsageError } from "../errors.ts";
 * import { checkOptions } from "./_common.ts";
 * const web = { type: "web", index: 1, name: "web.1", command: "x", port: 5000 };
 * const options = { app: "a", appRoot: "/srv/a", instances: [web], env: {} };
 * checkOptions(options);
 * assert.throws(() => checkOptions({ ...options, instances: [] }), TendError);
 * assert.throws(() => checkOptions({ ...options, appRoot: "srv/a" }), UsageError);
 * ```
 */
export function checkOptions(options: ExportOptions): void {
  if (options.instances.length === 0) {
    throw new TendError({
      message: "nothing to export: the formation runs no processes",
    });
  }
  if (!options.appRoot.startsWith("/")) {
    throw new UsageError(
      `app root must be an absolute path, got ${
        JSON.stringify(options.appRoot)
      }`,
    );
  }
  // Names every format accepts unquoted; anything else is most likely a
  // mistake, and would need per-format quoting rules nobody documents.
  if (
    options.user !== undefined &&
    !/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(options.user)
  ) {
    throw new UsageError(`bad user name ${JSON.stringify(options.user)}`);
  }
  if (options.logDir !== undefined && !options.logDir.startsWith("/")) {
    throw new UsageError(
      `log directory must be an absolute path, got ${
        JSON.stringify(options.logDir)
      }`,
    );
  }
}

/**
 * Whether text has an ASCII control character (C0 or DEL) other than those
 * in `allowed`. A loop rather than a regular expression, which lint flags.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { hasControl } from "./_common.ts";
 * assert.equal(hasControl("a\nb"), true);
 * assert.equal(hasControl("a\tb", "\t"), false);
 * assert.equal(hasControl("a\x7fb"), true);
 * ```
 */
export function hasControl(text: string, allowed = ""): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if ((code < 0x20 || code === 0x7f) && !allowed.includes(text[i])) {
      return true;
    }
  }
  return false;
}

/**
 * The arguments that run a Procfile command on the host, as `tend start`
 * runs it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { shellArgv } from "./_common.ts";
 * assert.deepEqual(shellArgv("serve $PORT"), ["/bin/sh", "-c", "serve $PORT"]);
 * ```
 */
export function shellArgv(command: string): string[] {
  return ["/bin/sh", "-c", command];
}

/**
 * Doubles every `$`: Compose and Kubernetes read `$$` as a literal `$` and
 * expand the rest (`$VAR`, `$(VAR)`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { doubleDollars } from "./_common.ts";
 * assert.equal(doubleDollars("echo $PORT $$"), "echo $$PORT $$$$");
 * ```
 */
export function doubleDollars(text: string): string {
  // A function, because "$$" in a replacement string means one "$".
  return text.replaceAll("$", () => "$$");
}

/**
 * Quotes text as one POSIX `sh` word: single quotes keep every character,
 * newlines included, literally.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { shellQuote } from "./_common.ts";
 * assert.equal(shellQuote("it's $HOME"), `'it'\\''s $HOME'`);
 * ```
 */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}
