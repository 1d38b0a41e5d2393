/**
 * The npm package, the way a Node user gets it, offline: built by
 * scripts/build_npm.ts, packed by `npm pack`, installed from the tarball by
 * `npm install -g --prefix` and run by `npx --package`, with Node running
 * the bundle. The rest of the end-to-end suite runs against the same bundle
 * with `deno task test:node`.
 */
import assert from "node:assert/strict";
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { after, describe, it } from "node:test";
import { buildNpm, NODE_ENGINES } from "../../scripts/build_npm.ts";
import {
  assertNoneAlive,
  bodyLines,
  cleanup,
  marker,
  ROOT,
  runTend,
  startTend,
  tempApp,
} from "./_helpers.ts";

const VERSION: string =
  JSON.parse(readFileSync(join(ROOT, "deno.json"), "utf8")).version;

const _BUN = process.env.BUN_BIN ?? "bun";
const _NODE = process.env.NODE_BIN ?? "node";

/** Per test: building, packing and installing take a few seconds. */
const _TIMEOUT = 120_000;

function _works(file: string): boolean {
  return spawnSync(file, ["--version"], { stdio: "ignore" }).status === 0;
}

function _skipReason(): string | false {
  if (!_works(_BUN)) return `${_BUN} not found: Bun bundles the package`;
  if (!_works("npm")) return "npm not found: it packs and installs the package";
  if (!_works(_NODE)) return `${_NODE} not found: the package runs on Node`;
  return false;
}

const _SKIP = _skipReason();

// Made on first use: a skipped run leaves nothing behind.
let _workDir: string | undefined;
after(() => {
  if (_workDir) cleanup(_workDir);
});

function _work(): string {
  _workDir ??= tempApp({}, "tend-npm-");
  return _workDir;
}

/**
 * npm's environment: none of the caller's npm settings (`npx deno task`
 * passes its own prefix down as npm_config_*), an empty user config and a
 * cache of its own, so only the tarball can satisfy an install.
 */
function _npmEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.toLowerCase().startsWith("npm_")) env[k] = v;
  }
  const userconfig = join(_work(), "npmrc");
  writeFileSync(userconfig, "");
  return {
    ...env,
    npm_config_userconfig: userconfig,
    npm_config_cache: join(_work(), "npm-cache"),
    npm_config_update_notifier: "false",
    npm_config_audit: "false",
    npm_config_fund: "false",
  };
}

function _npm(
  command: string,
  args: string[],
  cwd: string,
): SpawnSyncReturns<string> {
  const r = spawnSync(command, args, {
    cwd,
    env: _npmEnv(),
    encoding: "utf8",
    timeout: 60_000,
  });
  if (r.error) throw r.error;
  assert.equal(
    r.status,
    0,
    `${command} ${args.join(" ")}: status ${r.status}\n${r.stderr}${r.stdout}`,
  );
  return r;
}

interface _Packed {
  tarball: string;
  entries: { path: string; size: number; mode: number }[];
  size: number;
  manifest: Record<string, unknown>;
}

let _packed: _Packed | undefined;

/** Builds and packs once; every test starts from the same tarball. */
function _pack(): _Packed {
  if (_packed) return _packed;
  const built = buildNpm({ outDir: join(_work(), "package"), bun: _BUN });
  const out = join(_work(), "tarball");
  mkdirSync(out);
  const r = _npm(
    "npm",
    ["pack", "--json", "--pack-destination", out],
    built.dir,
  );
  const [info] = JSON.parse(r.stdout) as {
    filename: string;
    size: number;
    files: { path: string; size: number; mode: number }[];
  }[];
  _packed = {
    tarball: join(out, info.filename),
    entries: info.files,
    size: info.size,
    manifest: built.manifest,
  };
  return _packed;
}

let _installed: string | undefined;

/** Installs the tarball globally into a prefix of its own; returns its bin. */
function _install(): string {
  if (_installed) return _installed;
  const { tarball } = _pack();
  const prefix = join(_work(), "prefix");
  _npm("npm", [
    "install",
    "--global",
    "--prefix",
    prefix,
    "--offline",
    tarball,
  ], _work());
  _installed = join(prefix, "bin", "tend");
  return _installed;
}

describe("the npm package", { skip: _SKIP }, () => {
  it("packs the bundle, package.json and README, and needs nothing else", {
    timeout: _TIMEOUT,
  }, () => {
    const { entries, manifest, size } = _pack();
    assert.deepEqual(entries.map((e) => e.path).sort(), [
      "README.md",
      "package.json",
      "tend.mjs",
    ]);
    const bundle = entries.find((e) => e.path === "tend.mjs")!;
    assert.ok(bundle.mode & 0o100, "tend.mjs is executable");
    // tend's own sources bundle to about 90 KiB: much more means something
    // else got in.
    assert.ok(bundle.size < 512 * 1024, `tend.mjs is ${bundle.size} bytes`);
    assert.ok(size < 128 * 1024, `the tarball is ${size} bytes`);
    assert.equal(manifest.name, "@tend/tend");
    assert.equal(manifest.version, VERSION);
    assert.equal(manifest.type, "module");
    assert.deepEqual(manifest.bin, { tend: "tend.mjs" });
    assert.deepEqual(manifest.engines, { node: NODE_ENGINES });
    assert.equal(manifest.dependencies, undefined);
    const text = readFileSync(join(_work(), "package", "tend.mjs"), "utf8");
    assert.ok(text.startsWith("#!/usr/bin/env node\n"), text.slice(0, 40));
  });

  it("installs from the tarball offline, and tend --version and start work", {
    timeout: _TIMEOUT,
  }, async () => {
    const tend = _install();
    const mark = marker();
    const app = tempApp({
      // The worker waits for web's line, so both lines are there, in order,
      // before the worker's exit stops web.
      Procfile: [
        `web: echo "web $PORT $GREETING"; touch web-up; exec sleep 1000 # ${mark}`,
        `worker: until [ -e web-up ]; do sleep 0.05; done; echo "worker $PORT"; exit 3`,
        "",
      ].join("\n"),
      ".env": "GREETING=from-env\n",
    });
    try {
      const command = { file: tend, args: [] };
      const version = await runTend(["--version"], { cwd: app, command });
      assert.equal(version.status, 0, version.stderr);
      assert.equal(version.stdout, `tend ${VERSION}\n`);
      assert.equal(version.stderr, "");

      const start = await runTend(["start", "--no-timestamp"], {
        cwd: app,
        command,
        timeout: 60_000,
      });
      assert.equal(start.status, 3, start.stdout + start.stderr);
      assert.deepEqual(bodyLines(start.stdout, "web.1"), [
        "web 5000 from-env",
      ]);
      assert.deepEqual(bodyLines(start.stdout, "worker.1"), ["worker 5100"]);
      assert.deepEqual(
        bodyLines(start.stdout, "system").filter((l) => l.includes("exited")),
        ["worker.1 exited (code=3)", "web.1 exited (signal=SIGTERM)"],
      );
      assert.equal(start.stderr, "");
      await assertNoneAlive(mark);
    } finally {
      cleanup(app);
    }
  });

  it("stops on SIGINT with status 130, as installed", {
    timeout: _TIMEOUT,
  }, async () => {
    const mark = marker();
    const app = tempApp({
      Procfile: `web: echo up; exec sleep 1000 # ${mark}\n`,
    });
    try {
      const tend = startTend(["start", "--no-timestamp"], {
        cwd: app,
        command: { file: _install(), args: [] },
        timeout: 60_000,
      });
      await tend.waitFor(/web\.1 +\| up\n/, 30_000);
      tend.kill("SIGINT");
      const r = await tend.done;
      assert.equal(r.status, 130, r.stdout + r.stderr);
      assert.match(r.stdout, /system \| SIGINT received\n/);
      await assertNoneAlive(mark);
    } finally {
      cleanup(app);
    }
  });

  it("runs with npx from the tarball, offline, in an empty directory", {
    timeout: _TIMEOUT,
  }, () => {
    const { tarball } = _pack();
    const empty = join(_work(), "empty");
    mkdirSync(empty);
    const r = _npm("npx", [
      "--yes",
      "--offline",
      "--package",
      tarball,
      "tend",
      "--version",
    ], empty);
    assert.equal(r.stdout, `tend ${VERSION}\n`);
  });
});
