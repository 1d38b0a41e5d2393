/**
 * Builds the npm package of tend, for Node users, into `dist/npm/`: `cli.ts`
 * and everything it imports bundled by Bun into one ES module, `tend.mjs`
 * (the package's `bin`), beside a generated `package.json` and `README.md`.
 * The version comes from deno.json, the one source of truth.
 *
 * ```sh
 * deno task build:npm                  # dist/npm/
 * cd dist/npm && npm pack              # tend-tend-VERSION.tgz
 * npm publish dist/npm                 # what a release would run
 * ```
 *
 * Bun bundles offline; set BUN_BIN to use another bun than the one on PATH.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import meta from "../deno.json" with { type: "json" };

const _ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Where `deno task build:npm` puts the package. */
export const NPM_DIR: string = join(_ROOT, "dist", "npm");

/** The bundled command, relative to the package's root. */
export const NPM_BIN = "tend.mjs";

/** The oldest Node the package claims to run on. */
export const NODE_ENGINES = ">=18";

/** Options for {@linkcode buildNpm}. */
export interface BuildNpmOptions {
  /** The directory to (re)create; default {@linkcode NPM_DIR}. */
  outDir?: string;
  /** The bun to bundle with; default `$BUN_BIN`, else `bun` on PATH. */
  bun?: string;
}

/** What {@linkcode buildNpm} wrote. */
export interface NpmPackage {
  dir: string;
  /** The generated package.json, as an object. */
  manifest: Record<string, unknown>;
  /** Every file of the package, relative to `dir`. */
  files: string[];
  /** Size of the bundle in bytes. */
  bundleBytes: number;
}

/** The package.json that npm publishes. */
export function npmManifest(): Record<string, unknown> {
  return {
    name: meta.name,
    version: meta.version,
    description:
      "A Procfile process manager: runs the processes of a Procfile with the environment of .env files, like foreman and honcho",
    keywords: [
      "procfile",
      "foreman",
      "honcho",
      "process-manager",
      "dotenv",
      "twelve-factor",
      "12factor",
      "cli",
    ],
    license: meta.license,
    type: "module",
    bin: { tend: NPM_BIN },
    files: [NPM_BIN, "README.md"],
    engines: { node: NODE_ENGINES },
    // `tend start` runs /bin/sh and signals process groups: npm refuses the
    // install on Windows instead of shipping a command that cannot work.
    os: ["linux", "darwin"],
    // A scoped package is private on npm unless published as public.
    publishConfig: { access: "public" },
  };
}

const _README = `# tend

A Procfile process manager for twelve-factor apps, like foreman and honcho. It
reads your \`Procfile\` and \`.env\`, starts every process type with the right
\`PORT\`, merges their output into one stream of aligned, coloured, timestamped
lines, and stops them all cleanly: no output line lost, no process left behind.

This package is tend's command line for Node.js ${NODE_ENGINES} on Linux and
macOS: one JavaScript file, no dependencies.

\`\`\`sh
npm install -g ${meta.name}      # then: tend start
npx ${meta.name} start           # or without installing
\`\`\`

\`\`\`
tend start [TYPE...]      run every process type, or the ones named
tend run CMD [ARG...]     run a one-off command with the environment loaded
tend check                validate the Procfile, env files and required variables
tend env                  print the environment processes get, as .env text
tend export FORMAT DIR    write config for systemd, supervisord, compose, kubernetes, ...
tend help [COMMAND]       show help; also "tend COMMAND --help"
\`\`\`

A \`Procfile\` has one process type per line:

\`\`\`
web: node server.js --port $PORT
worker: node worker.js
\`\`\`

\`tend start\` stops everything when one process exits or on Ctrl-C (SIGINT),
SIGTERM or SIGHUP, and exits with the status of the first process that exited
(128+n when signal n stopped it). \`tend help start\` lists the options.

The same tend runs on Deno and Bun; its library API is published on JSR as
\`${meta.name}\`.

License: ${meta.license}.
`;

/** Lines of `text` that import a module other than a `node:` built-in. */
function _foreignImports(text: string): string[] {
  const out: string[] = [];
  const re = /^\s*(?:import|export)\b[^'"]*?\bfrom\s*["']([^"']+)["']/gm;
  for (const m of text.matchAll(re)) {
    if (!m[1].startsWith("node:")) out.push(m[0].trim());
  }
  for (const m of text.matchAll(/\b(?:import|require)\(\s*["']([^"']+)/g)) {
    if (!m[1].startsWith("node:")) out.push(m[0]);
  }
  return out;
}

/**
 * Builds the package into `outDir` (emptied first) and returns what it
 * wrote. Throws with Bun's output when the bundling fails, and when the
 * bundle would not stand alone on Node.
 */
export function buildNpm(options: BuildNpmOptions = {}): NpmPackage {
  const dir = options.outDir ?? NPM_DIR;
  const bun = options.bun ?? process.env.BUN_BIN ?? "bun";
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const bundle = join(dir, NPM_BIN);
  const built = spawnSync(bun, [
    "build",
    "--target=node",
    "--format=esm",
    // cli.ts runs main() only as the entry module; Node before 24 has no
    // import.meta.main, and Bun's stand-in for it (`require.main`) means
    // nothing in an ES module.
    "--define",
    "import.meta.main=true",
    "cli.ts",
    "--outfile",
    bundle,
  ], { cwd: _ROOT, encoding: "utf8" });
  if (built.error) {
    throw new Error(`cannot run ${bun}: ${built.error.message}`);
  }
  if (built.status !== 0) {
    throw new Error(
      `bun build failed (status ${built.status}):\n${built.stderr}${built.stdout}`,
    );
  }
  let text = readFileSync(bundle, "utf8");
  // Bun keeps cli.ts's `deno run` shebang; npm links the bin as is.
  text = "#!/usr/bin/env node\n" +
    (text.startsWith("#!") ? text.slice(text.indexOf("\n") + 1) : text);
  const foreign = _foreignImports(text);
  if (foreign.length > 0) {
    throw new Error(
      `the bundle imports more than node: built-ins:\n${foreign.join("\n")}`,
    );
  }
  if (/import\.meta\.main|require\.main/.test(text)) {
    throw new Error("the bundle still asks whether it is the main module");
  }
  writeFileSync(bundle, text);
  chmodSync(bundle, 0o755);

  const manifest = npmManifest();
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify(manifest, null, 2) + "\n",
  );
  writeFileSync(join(dir, "README.md"), _README);
  const files = [NPM_BIN, "package.json", "README.md"];
  // npm adds a LICENSE file of the package root to the tarball by itself.
  for (const name of ["LICENSE", "LICENSE.md"]) {
    if (existsSync(join(_ROOT, name))) {
      copyFileSync(join(_ROOT, name), join(dir, name));
      files.push(name);
    }
  }
  return {
    dir,
    manifest,
    files,
    bundleBytes: new TextEncoder().encode(text).length,
  };
}

if (import.meta.main) {
  try {
    const built = buildNpm();
    console.error(
      `tend: built ${built.dir} (${built.files.join(", ")}; ${NPM_BIN} ${
        (built.bundleBytes / 1024).toFixed(1)
      } KiB)`,
    );
  } catch (error) {
    console.error(`tend: ${(error as Error).message}`);
    process.exit(1);
  }
}
