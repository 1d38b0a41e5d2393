/**
 * `tend export FORMAT DIR`: turns a Procfile's planned instances into
 * configuration for a real process supervisor.
 *
 * | format        | files written (APP = sanitized app name)                                |
 * | ------------- | ----------------------------------------------------------------------- |
 * | `systemd`     | `APP.target`, `APP-TYPE.target`, `APP-TYPE-N.service`, `APP.env`        |
 * | `supervisord` | `APP.conf`                                                              |
 * | `compose`     | `compose.yaml`                                                          |
 * | `kubernetes`  | `APP.yaml` (ConfigMap, Secret, Job for `release`, Deployments, Service) |
 * | `runit`       | `APP-TYPE-N/run`, `env`, `log/run`, and `check` where there is one      |
 * | `launchd`     | `APP-TYPE-N.plist`                                                      |
 *
 * Every instance gets the env files' values plus `PORT` and `PS`, as with
 * `tend start`; files holding those values are mode 0600. A `release` type
 * runs once, before the rest, and the start order (`options.order`) and
 * probes (`options.ready`) go as far as each engine can take them
 * (docs/export.md). Each format's module documents its escaping, defaults,
 * templates, and what of the release phase, order and probes it expresses.
 *
 * @module
 */
import { resolve } from "node:path";
import { UsageError } from "../errors.ts";
import {
  checkOptions,
  type ExportFile,
  type ExportFiles,
  type ExportFormat,
  type ExportOptions,
} from "./_common.ts";
import { checkTemplateDir } from "./_template.ts";
import { writeFiles } from "./_write.ts";
import { compose } from "./compose.ts";
import { kubernetes } from "./kubernetes.ts";
import { launchd } from "./launchd.ts";
import { runit } from "./runit.ts";
import { supervisord } from "./supervisord.ts";
import { systemd } from "./systemd.ts";

export type { ExportFile, ExportFiles, ExportFormat, ExportOptions };

// In the order the help lists them.
const _FORMATS: readonly ExportFormat[] = [
  systemd,
  supervisord,
  compose,
  kubernetes,
  runit,
  launchd,
];

/**
 * The formats `tend export` knows, in the order the help lists them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EXPORT_FORMATS } from "./mod.ts";
 * assert.deepEqual(EXPORT_FORMATS, [
 *   "systemd", "supervisord", "compose", "kubernetes", "runit", "launchd",
 * ]);
 * ```
 */
export const EXPORT_FORMATS: readonly string[] = Object.freeze(
  _FORMATS.map((format) => format.name),
);

/**
 * Renders an export: relative path to content and mode. Does no I/O except
 * reading template files when `options.templateDir` is set. Throws a
 * {@linkcode UsageError} for an unknown format and a {@linkcode TendError}
 * for input the format cannot represent (each format's module says what).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderExport } from "./mod.ts";
 * const options = {
 *   app: "shop",
 *   appRoot: "/srv/shop",
 *   env: { GREETING: "hello" },
 *   instances: [{ type: "web", index: 1, name: "web.1", command: "serve", port: 5000 }],
 * };
 * const files = renderExport("supervisord", options);
 * assert.deepEqual([...files.keys()], ["shop.conf"]);
 * assert.equal(files.get("shop.conf")!.mode, 0o600);
 * assert.throws(() => renderExport("upstart", options), /unknown export format/);
 * ```
 */
export function renderExport(
  format: string,
  options: ExportOptions,
): ExportFiles {
  const descriptor = _FORMATS.find((known) => known.name === format);
  if (!descriptor) {
    throw new UsageError(
      `unknown export format ${JSON.stringify(format)} (known: ${
        EXPORT_FORMATS.join(", ")
      })`,
    );
  }
  checkOptions(options);
  checkTemplateDir(format, descriptor.templates, options.templateDir);
  return descriptor.render(options);
}

/**
 * Renders the export and writes it into `dir`, creating it if needed.
 * All or nothing: an existing file (without `force`), a path that cannot be
 * created, or any write error is a {@linkcode TendError} naming the path,
 * and leaves `dir` as it was. Everything is checked first; files are then
 * written into a temporary directory inside `dir` and renamed into place,
 * and a failure part-way removes what was added and puts replaced files
 * back. Returns the written paths (`dir` joined with each file's relative
 * path).
 *
 * For example `await writeExport("systemd", "/etc/systemd/system", options)`
 * writes `shop.target`, `shop-web.target`, `shop-web-1.service` and
 * `shop.env` there and returns their paths.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeExport } from "./mod.ts";
 * const options = {
 *   app: "shop",
 *   appRoot: "/srv/shop",
 *   env: {},
 *   instances: [{ type: "web", index: 1, name: "web.1", command: "serve", port: 5000 }],
 * };
 * // Rendering and its checks come before the disk is touched, so these
 * // write nothing (and the example runs without file permissions).
 * await assert.rejects(
 *   writeExport("upstart", "/etc/systemd/system", options),
 *   /unknown export format "upstart"/,
 * );
 * await assert.rejects(
 *   writeExport("systemd", "/etc/systemd/system", { ...options, user: "a b" }),
 *   /bad user name "a b"/,
 * );
 * ```
 */
export async function writeExport(
  format: string,
  dir: string,
  options: ExportOptions,
): Promise<string[]> {
  const files = renderExport(format, {
    ...options,
    dir: options.dir ?? resolve(dir),
  });
  return await writeFiles(dir, files, options.force ?? false);
}
