/**
 * Writing rendered files into a directory, all or nothing, in three steps:
 * check (everything that can be known before touching the disk), stage
 * (every file written, with its mode, into a temporary directory inside the
 * target) and commit (each file renamed into place). A failure in stage or
 * commit undoes what was done: added files and created directories go,
 * replaced files come back.
 *
 * Staging inside the target keeps each commit a `rename` within one file
 * system, so no reader ever sees a half-written file.
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
import { TendError } from "../errors.ts";
import type { ExportFiles } from "./_common.ts";

/** Prefix of the staging directory inside the target. */
const _STAGING_PREFIX = ".tend-export-";
/** Where, inside the staging directory, replaced files wait for the end. */
const _BACKUPS = ".tend-old";
const _EXISTS = "already exists (use --force to overwrite)";

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

function _failed(path: string, what: string, error: unknown): TendError {
  return new TendError({ path, message: `${what}: ${_reason(error)}` });
}

async function _kind(path: string): Promise<"missing" | "dir" | "other"> {
  try {
    return (await lstat(path)).isDirectory() ? "dir" : "other";
  } catch (error) {
    if ((error as { code?: string }).code === "ENOENT") return "missing";
    throw error;
  }
}

/** A checked write: what goes where, and which files it replaces. */
interface _Plan {
  /** The target directory as the user gave it, for messages. */
  readonly dir: string;
  /** It, absolute. */
  readonly root: string;
  /** The files, by path relative to the target. */
  readonly files: ExportFiles;
  /** Whether existing files may be replaced. */
  readonly force: boolean;
  /** The files that exist now and will be replaced (only with `force`). */
  readonly replaced: ReadonlySet<string>;
  /** A relative path as the user should see it: joined to their `dir`. */
  readonly shown: (rel: string) => string;
}

/**
 * What a write has changed so far, so that a failure can undo it: the
 * directories it created (outermost first), the files it added, the files it
 * replaced (with where their old content waits), and the staging directory.
 */
class _Changes {
  readonly createdDirs: string[] = [];
  readonly addedFiles: string[] = [];
  readonly backups: { backup: string; dest: string }[] = [];
  staging: string | undefined;

  /**
   * Creates `path` and its missing parents one level at a time, so that a
   * failure part-way still knows what to remove.
   */
  async makeDirs(path: string, shown: string): Promise<void> {
    try {
      const missing: string[] = [];
      for (let p = path; (await _kind(p)) === "missing"; p = dirname(p)) {
        missing.unshift(p);
      }
      for (const p of missing) {
        await mkdir(p);
        this.createdDirs.push(p);
      }
    } catch (error) {
      throw _failed(shown, "cannot create directory", error);
    }
  }

  /** Removes the staging directory (and the backups in it). */
  async removeStaging(): Promise<void> {
    if (this.staging === undefined) return;
    await rm(this.staging, { recursive: true, force: true }).catch(() => {});
  }

  /**
   * Undoes everything, best effort: the added files, then the replaced ones
   * back, then the staging directory, then the created directories,
   * innermost first.
   */
  async undo(): Promise<void> {
    for (const path of this.addedFiles) await unlink(path).catch(() => {});
    for (const { backup, dest } of this.backups) {
      await rename(backup, dest).catch(() => {});
    }
    await this.removeStaging();
    for (const path of [...this.createdDirs].reverse()) {
      await rmdir(path).catch(() => {});
    }
  }
}

/**
 * Checks the write without changing anything: the target is a directory or
 * missing, every parent of every file inside it is too, no file is a
 * directory, and no file exists unless `force`.
 */
async function _check(
  dir: string,
  files: ExportFiles,
  force: boolean,
): Promise<_Plan> {
  const root = resolve(dir);
  const shown = (rel: string) => join(dir, rel);
  const rootKind = await _kind(root).catch((error) => {
    throw _failed(dir, "cannot create directory", error);
  });
  if (rootKind === "other") {
    throw new TendError({ path: dir, message: "not a directory" });
  }
  const replaced = new Set<string>();
  for (const rel of files.keys()) {
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
        if (!force) throw new TendError({ path: shown(sub), message: _EXISTS });
        replaced.add(rel);
      }
    }
  }
  return { dir, root, files, force, replaced, shown };
}

/**
 * Creates the target and a staging directory inside it, and writes every
 * file there with its mode.
 */
async function _stage(plan: _Plan, changes: _Changes): Promise<string> {
  await changes.makeDirs(plan.root, plan.dir);
  let staging: string;
  try {
    staging = await mkdtemp(join(plan.root, _STAGING_PREFIX));
  } catch (error) {
    throw _failed(plan.dir, "cannot write here", error);
  }
  changes.staging = staging;
  for (const [rel, file] of plan.files) {
    const path = join(staging, rel);
    try {
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, file.content, { mode: file.mode });
      // writeFile's mode is filtered by the umask; the mode is part of the
      // export (0600 for secrets, 0755 for scripts).
      await chmod(path, file.mode);
    } catch (error) {
      throw _failed(plan.shown(rel), "cannot write", error);
    }
  }
  return staging;
}

/**
 * Renames each staged file into place, first keeping a link to (or copy of)
 * any file it replaces so that {@linkcode _Changes.undo} can put it back.
 */
async function _commit(
  plan: _Plan,
  staging: string,
  changes: _Changes,
): Promise<void> {
  for (const rel of plan.files.keys()) {
    const dest = join(plan.root, rel);
    await changes.makeDirs(dirname(dest), plan.shown(dirname(rel)));
    if (!plan.force && (await _kind(dest)) !== "missing") {
      // Appeared since the check.
      throw new TendError({ path: plan.shown(rel), message: _EXISTS });
    }
    const replacing = plan.replaced.has(rel);
    try {
      if (replacing) {
        const backup = join(staging, _BACKUPS, rel);
        await mkdir(dirname(backup), { recursive: true });
        await link(dest, backup).catch(() => copyFile(dest, backup));
        changes.backups.push({ backup, dest });
      }
      await rename(join(staging, rel), dest);
    } catch (error) {
      throw _failed(plan.shown(rel), "cannot write", error);
    }
    if (!replacing) changes.addedFiles.push(dest);
  }
}

/**
 * Writes `files` into `dir` (created if needed), all or nothing. Without
 * `force` an existing file is an error; with it, the file is replaced (and
 * put back if the write fails). Every failure is a {@linkcode TendError}
 * naming the path as `dir` joined with it. Returns the written paths, in
 * the order of `files`.
 */
export async function writeFiles(
  dir: string,
  files: ExportFiles,
  force: boolean,
): Promise<string[]> {
  const plan = await _check(dir, files, force);
  const changes = new _Changes();
  try {
    const staging = await _stage(plan, changes);
    await _commit(plan, staging, changes);
  } catch (error) {
    await changes.undo();
    throw error;
  }
  await changes.removeStaging();
  return [...files.keys()].map(plan.shown);
}
