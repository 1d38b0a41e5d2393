/**
 * The one way tests make the directories they work in: a fresh temp
 * directory holding the given files (paths may have subdirectories), and
 * its removal.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

/** Makes a temp directory with `files` in it; returns its path. */
export function tempDir(
  files: Record<string, string | Uint8Array> = {},
  prefix = "tend-test-",
): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  return dir;
}

/** Removes a directory made by {@linkcode tempDir}, and all in it. */
export function cleanup(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
