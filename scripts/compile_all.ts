/**
 * Cross-compiles `cli.ts` with `deno compile` for every release target into
 * `dist/tend-VERSION-TARGET`. The version comes from deno.json, the one
 * source of truth.
 *
 * ```sh
 * deno task compile:all                         # every target
 * deno task compile:all x86_64-apple-darwin     # only the ones named
 * ```
 *
 * `deno compile` downloads the base runtime (denort) of each target from
 * dl.deno.land once and caches it in DENO_DIR; offline it fails with
 * "error sending request for url (https://dl.deno.land/...)".
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import meta from "../deno.json" with { type: "json" };

/**
 * The targets of a release, as `deno compile --target` spells them: Linux
 * and macOS only. `tend start` runs every command with /bin/sh and signals
 * process groups, which Windows has neither of.
 */
export const TARGETS: readonly string[] = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
];

const _ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

function _compile(target: string): number {
  const output = join("dist", `tend-${meta.version}-${target}`);
  console.error(`tend: compiling ${output}`);
  const result = spawnSync(process.execPath, [
    "compile",
    "-A",
    "--target",
    target,
    "--output",
    output,
    "cli.ts",
  ], { cwd: _ROOT, stdio: "inherit" });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

if (import.meta.main) {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((t) => !TARGETS.includes(t));
  if (unknown.length > 0) {
    console.error(
      `tend: unknown target ${unknown.join(", ")} (known: ${
        TARGETS.join(", ")
      })`,
    );
    process.exit(2);
  }
  mkdirSync(join(_ROOT, "dist"), { recursive: true });
  // Stop at the first failure: the rest would fail the same way offline.
  for (const target of wanted.length > 0 ? wanted : TARGETS) {
    const status = _compile(target);
    if (status !== 0) {
      console.error(`tend: deno compile failed for ${target}`);
      process.exit(status);
    }
  }
}
