/**
 * `tend export FORMAT DIR`: turns a Procfile's planned instances into
 * configuration for a real process supervisor.
 *
 * | format        | files written (APP = sanitized app name)                         |
 * | ------------- | ---------------------------------------------------------------- |
 * | `systemd`     | `APP.target`, `APP-TYPE.target`, `APP-TYPE-N.service`, `APP.env` |
 * | `supervisord` | `APP.conf`                                                       |
 * | `compose`     | `compose.yaml`                                                   |
 * | `kubernetes`  | `APP.yaml` (ConfigMap, Secret, Deployments, Service)             |
 * | `runit`       | `APP-TYPE-N/run`, `APP-TYPE-N/env`, `APP-TYPE-N/log/run`         |
 * | `launchd`     | `APP-TYPE-N.plist`                                               |
 *
 * Every instance gets the env files' values plus `PORT` and `PS`, as with
 * `tend start`; files holding those values are mode 0600. Each format's
 * module documents its escaping, defaults and templates.
 *
 * @module
 */
import {
  chmod,
  copyFile,
  link,
  lstat,
  mkdir,
  mkdtemp,
  rename,
  rm,
  rmdir,
  unlink,
  writeFile,
} from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { TendError, UsageError } from "../errors.ts";
import {
  checkOptions,
  type ExportFile,
  type ExportFiles,
  type ExportFormat,
  type ExportOptions,
} from "./_common.ts";
import { checkTemplateDir } from "./_template.ts";
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
 * import { EXPORT_FORMATS } from "./mod.ts";
 * console.assert(EXPORT_FORMATS.includes("systemd"));
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
 * import { renderExport } from "./mod.ts";
 * const files = renderExport("supervisord", {
 *   app: "shop",
 *   appRoot: "/srv/shop",
 *   env: { GREETING: "hello" },
 *   instances: [{ type: "web", index: 1, name: "web.1", command: "serve", port: 5000 }],
 * });
 * console.assert([...files.keys()].join() === "shop.conf");
 * console.assert(files.get("shop.conf")!.mode === 0o600);
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

function _reason(error: unknown): string {
  const code = (error as { code?: string }).code;
  switch (code) {
    case "ENOTDIR":
      return "a parent is not a directory";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "EROFS":
      return "read-only file system";
    case "ENOSPC":
      return "no space left on device";
    case "EEXIST":
      return "already exists";
    default:
      return error instanceof Error ? error.message : String(error);
  }
}

async function _kind(path: string): Promise<"missing" | "dir" | "other"> {
  try {
    return (await lstat(path)).isDirectory() ? "dir" : "other";
  } catch (error) {
    if ((error as { code?: string }).code === "ENOENT") return "missing";
    throw error;
  }
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
 * @example
 * ```ts
 * import { writeExport } from "./mod.ts";
 * import { mkdtempSync } from "node:fs";
 * import { join } from "node:path";
 * import { tmpdir } from "node:os";
 * const dir = join(mkdtempSync(join(tmpdir(), "tend-")), "out");
 * const written = await writeExport("compose", dir, {
 *   app: "shop",
 *   appRoot: "/srv/shop",
 *   env: {},
 *   instances: [{ type: "web", index: 1, name: "web.1", command: "serve", port: 5000 }],
 * });
 * console.assert(written[0] === join(dir, "compose.yaml"));
 * ```
 */
export async function writeExport(
  format: string,
  dir: string,
  options: ExportOptions,
): Promise<string[]> {
  const root = resolve(dir);
  const files = renderExport(format, { ...options, dir: options.dir ?? root });
  const shown = (rel: string) => join(dir, rel);

  // Check everything before touching the disk.
  const rootKind = await _kind(root).catch((error) => {
    throw new TendError({
      path: dir,
      message: `cannot create directory: ${_reason(error)}`,
    });
  });
  if (rootKind === "other") {
    throw new TendError({ path: dir, message: "not a directory" });
  }
  const existing = new Set<string>();
  for (const rel of files.keys()) {
    // Each ancestor inside the export must be a directory or missing.
    const parts = rel.split("/");
    for (let i = 1; i <= parts.length; i++) {
      const sub = parts.slice(0, i).join("/");
      const kind = rootKind === "missing"
        ? "missing"
        : await _kind(join(root, sub)).catch((error) => {
          throw new TendError({ path: shown(sub), message: _reason(error) });
        });
      const isFile = i === parts.length;
      if (isFile && kind === "dir") {
        throw new TendError({ path: shown(sub), message: "is a directory" });
      }
      if (!isFile && kind === "other") {
        throw new TendError({ path: shown(sub), message: "not a directory" });
      }
      if (isFile && kind === "other") {
        if (!options.force) {
          throw new TendError({
            path: shown(sub),
            message: "already exists (use --force to overwrite)",
          });
        }
        existing.add(rel);
      }
    }
  }

  // Directories this call creates, outermost first, removed on failure.
  const created: string[] = [];
  const renamed: string[] = [];
  const backups: [string, string][] = [];
  let tmp: string | undefined;
  // One level at a time, so a failure part-way still knows what to remove.
  const makeDir = async (path: string, shownPath: string) => {
    try {
      const missing: string[] = [];
      for (let p = path; (await _kind(p)) === "missing"; p = dirname(p)) {
        missing.unshift(p);
      }
      for (const p of missing) {
        await mkdir(p);
        created.push(p);
      }
    } catch (error) {
      throw new TendError({
        path: shownPath,
        message: `cannot create directory: ${_reason(error)}`,
      });
    }
  };
  try {
    await makeDir(root, dir);
    try {
      tmp = await mkdtemp(join(root, ".tend-export-"));
    } catch (error) {
      throw new TendError({
        path: dir,
        message: `cannot write here: ${_reason(error)}`,
      });
    }
    for (const [rel, file] of files) {
      const path = join(tmp, rel);
      try {
        await mkdir(dirname(path), { recursive: true });
        await writeFile(path, file.content, { mode: file.mode });
        // writeFile's mode is filtered by the umask; the mode is part of
        // the export (0600 for secrets, 0755 for scripts).
        await chmod(path, file.mode);
      } catch (error) {
        throw new TendError({
          path: shown(rel),
          message: `cannot write: ${_reason(error)}`,
        });
      }
    }
    for (const rel of files.keys()) {
      const dest = join(root, rel);
      await makeDir(dirname(dest), shown(dirname(rel)));
      if (!options.force && (await _kind(dest)) !== "missing") {
        // Appeared since the check above.
        throw new TendError({
          path: shown(rel),
          message: "already exists (use --force to overwrite)",
        });
      }
      try {
        if (existing.has(rel)) {
          // Keep the old file until the end, to put it back on failure.
          const backup = join(tmp, ".tend-old", rel);
          await mkdir(dirname(backup), { recursive: true });
          await link(dest, backup).catch(() => copyFile(dest, backup));
          backups.push([backup, dest]);
        }
        await rename(join(tmp, rel), dest);
      } catch (error) {
        throw new TendError({
          path: shown(rel),
          message: `cannot write: ${_reason(error)}`,
        });
      }
      if (!existing.has(rel)) renamed.push(dest);
    }
  } catch (error) {
    // Undo: files that did not exist before, the replaced ones, then the
    // directories made.
    for (const path of renamed) await unlink(path).catch(() => {});
    for (const [backup, dest] of backups) {
      await rename(backup, dest).catch(() => {});
    }
    if (tmp) await rm(tmp, { recursive: true, force: true }).catch(() => {});
    for (const path of created.reverse()) await rmdir(path).catch(() => {});
    throw error;
  }
  await rm(tmp, { recursive: true, force: true }).catch(() => {});
  return [...files.keys()].map(shown);
}
