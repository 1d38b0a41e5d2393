/**
 * Reading the files a user names (Procfile, env files, example file) with
 * tend's one-line errors: the file as the user named it, and what is wrong.
 *
 * @module
 */
import { readFileSync, statSync } from "node:fs";
import { TendError } from "./errors.ts";

/**
 * Reads a file as bytes, with tend's one-line errors for a missing file, a
 * directory, or an unreadable file. Returns undefined for a missing file
 * when `optional`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readInput } from "./_input.ts";
 * assert.equal(readInput("/no/such/.env", "/no/such/.env", true), undefined);
 * ```
 */
export function readInput(
  path: string,
  shown: string,
  optional = false,
): Uint8Array | undefined {
  // Every message names a file, even for a name that was empty.
  shown ||= path;
  try {
    // A missing file is the common case (.env, .env.example): no exception
    // for it, which cost 0.8 ms on Deno's start-up path.
    const stat = statSync(path, { throwIfNoEntry: false });
    if (stat === undefined) {
      if (optional) return undefined;
      throw new TendError({ path: shown, message: "no such file" });
    }
    if (stat.isDirectory()) {
      throw new TendError({
        path: shown,
        message: "is a directory, expected a file",
      });
    }
    return readFileSync(path);
  } catch (error) {
    if (error instanceof TendError) throw error;
    const code = (error as { code?: string }).code;
    if (code === "ENOENT" || code === "ENOTDIR") {
      if (optional) return undefined;
      throw new TendError({ path: shown, message: "no such file" });
    }
    if (code === "EACCES" || code === "EPERM") {
      throw new TendError({ path: shown, message: "permission denied" });
    }
    throw new TendError({
      path: shown,
      message: `cannot read: ${(error as Error).message}`,
    });
  }
}
