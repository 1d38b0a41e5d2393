/**
 * What the benchmark compares: tend four ways (deno run, bun, the compiled
 * binary, node with the npm package's bundle), the peers users would
 * otherwise pick, with the flags that make them comparable (no colour, a
 * stop timeout), and the bare runtimes (a tiny program that only launches
 * its children, bench/hello.mjs), and how to read their lines.
 *
 * The bench never builds a peer: it looks for each one in bench/.peers/bin
 * (honcho: a source tree in bench/.peers/honcho), then on the PATH, and
 * skips it with the reason when it is not there.
 *
 * @module
 */
import { execFileSync, spawnSync } from "node:child_process";
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

/** The repository root. */
export const ROOT: string = resolve(
  dirname(fileURLToPath(import.meta.url)),
  "..",
);
/**
 * Where the peers live, away from the project's package.json and out of git:
 * npm peers in node_modules/, the Go peers in bin/, honcho's tree in honcho/.
 */
export const PEERS_DIR: string = join(ROOT, "bench", ".peers");
/** The Bun-compiled binary. */
export const BINARY: string = join(ROOT, "dist", "tend");
/** The npm package's bundle, run by Node (`deno task build:npm`). */
export const NPM_BUNDLE: string = join(ROOT, "dist", "npm", "tend.mjs");
/** The bare-runtime baseline: launches its arguments, relays their output. */
export const HELLO: string = join(ROOT, "bench", "hello.mjs");
/** {@linkcode HELLO} compiled by Bun like dist/tend (not committed). */
export const HELLO_BINARY: string = join(PEERS_DIR, "hello-bin");

/** One process type of a benchmark app; its instance is `type.1`. */
export interface Proc {
  type: string;
  command: string;
}

/** A Procfile app in a temp directory. */
export interface App {
  dir: string;
  procfile: string;
  procs: readonly Proc[];
  /** Seconds between the stop signal and SIGKILL. */
  timeout: number;
}

/** Writes a Procfile for `procs` into `dir`. */
export function makeApp(dir: string, procs: readonly Proc[], timeout = 5): App {
  const procfile = join(dir, "Procfile");
  writeFileSync(
    procfile,
    procs.map((p) => `${p.type}: ${p.command}\n`).join(""),
  );
  return { dir, procfile, procs, timeout };
}

/** A command line. */
export interface Cmd {
  file: string;
  args: string[];
  /** Variables added to the bench's environment for this run. */
  env?: Record<string, string>;
  /** Runs once the run is over and its processes are dead. */
  cleanup?: () => void;
}

/** One line of a runner's output, split into instance name and body. */
export interface Parsed {
  name: string;
  body: string;
}

/** What a contender runs on, to set it beside that runtime's baseline. */
export type Runtime = "deno" | "bun" | "bun-compiled" | "node";

/** A runner under test, or a bare-runtime baseline. */
export interface Contender {
  id: string;
  kind: "tend" | "peer" | "baseline";
  runtime?: Runtime;
  /** Set when it cannot be measured here, with the reason. */
  missing?: string;
  /** How to run `app` in the foreground. */
  start(app: App): Cmd;
  /** How to print its version (startup cost); baselines: launch `true`. */
  version: Cmd;
  /** Its version for the report, when `version` cannot tell. */
  describe?: () => string | undefined;
  /**
   * Splits one output line (ANSI codes removed) into instance name and body.
   * An empty name is a line relayed without a prefix (the baselines): it
   * belongs to the only process, when there is one.
   */
  parse(line: string): Parsed | undefined;
}

// "HH:MM:SS name | body": tend, foreman, honcho and the floor.
const _STAMPED = /^\d\d:\d\d:\d\d (\S+) *\| (.*)$/;
// node-foreman: "H:MM:SS AM name |  body"
const _NF = /^\d\d?:\d\d:\d\d [AP]M (\S+) *\| *(.*)$/;
// concurrently: "[name] body"
const _BRACKETED = /^\[([^\]]+)\] (.*)$/;
// goreman: "HH:MM:SS   name | body", the name right-aligned.
const _GOREMAN = /^\d\d:\d\d:\d\d +(\S+) \| (.*)$/;
// hivemind, overmind, forego: "name   | body", the name left-aligned.
const _PADDED = /^(\S+) *\| (.*)$/;

function _parser(re: RegExp): (line: string) => Parsed | undefined {
  return (line) => {
    const m = re.exec(line);
    return m ? { name: m[1], body: m[2] } : undefined;
  };
}

/**
 * For runners that name a process by its type (hivemind, goreman,
 * overmind): the bench runs one instance of each, so type `a` is `a.1`.
 */
function _typeParser(re: RegExp): (line: string) => Parsed | undefined {
  return (line) => {
    const m = re.exec(line);
    return m ? { name: `${m[1]}.1`, body: m[2] } : undefined;
  };
}

/** Parses the floor's lines, which look like tend's. */
export const parseStamped: (line: string) => Parsed | undefined = _parser(
  _STAMPED,
);

function _which(name: string): string | undefined {
  const found = spawnSync("sh", ["-c", `command -v ${name}`], {
    encoding: "utf8",
  });
  const path = found.stdout?.trim();
  return found.status === 0 && path ? path : undefined;
}

function _executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** A peer's binary: bench/.peers/bin first, then the PATH. */
function _peerBin(name: string): string | undefined {
  const local = join(PEERS_DIR, "bin", name);
  return _executable(local) ? local : _which(name);
}

const _NOT_FOUND = "not found in bench/.peers/bin or PATH";

function _tend(
  id: string,
  runtime: Runtime | undefined,
  launcher: Cmd,
  missing?: string,
): Contender {
  return {
    id,
    kind: "tend",
    runtime,
    missing,
    start: (app) => ({
      file: launcher.file,
      args: [
        ...launcher.args,
        "start",
        "-f",
        app.procfile,
        "--no-color",
        "-t",
        String(app.timeout),
      ],
    }),
    version: { file: launcher.file, args: [...launcher.args, "--version"] },
    parse: parseStamped,
  };
}

/**
 * An extra tend contender from the command line, `ID[@RUNTIME]=COMMAND`:
 * another build of tend (say, the one before a change, kept in /tmp) run
 * beside the others. COMMAND is split on spaces; RUNTIME (deno, bun,
 * bun-compiled, node) sets it beside that runtime's baseline.
 */
export function extraContender(spec: string): Contender {
  const m = /^([\w.-]+)(?:@(deno|bun|bun-compiled|node))?=(.+)$/.exec(spec);
  if (!m) {
    throw new Error(
      `--extra takes ID[@RUNTIME]=COMMAND, not "${spec}"`,
    );
  }
  const [file, ...args] = m[3].trim().split(/\s+/);
  const path = file.includes("/") ? file : _which(file);
  return _tend(
    m[1],
    m[2] as Runtime | undefined,
    { file: path ?? file, args },
    path && (!file.includes("/") || existsSync(file))
      ? undefined
      : `${file} not found`,
  );
}

/** The tend launchers: deno run, bun, the compiled binary, and node. */
export function tendContenders(): Contender[] {
  const cli = join(ROOT, "cli.ts");
  const deno = _which("deno") ?? "deno";
  const bun = _which("bun");
  const node = _which("node");
  return [
    _tend("tend-deno", "deno", { file: deno, args: ["run", "-A", cli] }),
    _tend(
      "tend-bun",
      "bun",
      { file: bun ?? "bun", args: [cli] },
      bun ? undefined : "bun is not installed",
    ),
    _tend(
      "tend-bin",
      "bun-compiled",
      { file: BINARY, args: [] },
      existsSync(BINARY) ? undefined : "dist/tend is missing (needs bun)",
    ),
    _tend(
      "tend-node",
      "node",
      { file: node ?? "node", args: [NPM_BUNDLE] },
      !node
        ? "node is not installed"
        : existsSync(NPM_BUNDLE)
        ? undefined
        : "dist/npm/tend.mjs is missing (deno task build:npm)",
    ),
  ];
}

function _hello(
  id: string,
  runtime: Runtime,
  launcher: Cmd,
  missing?: string,
): Contender {
  return {
    id,
    kind: "baseline",
    runtime,
    missing,
    start: (app) => ({
      file: launcher.file,
      args: [...launcher.args, ...app.procs.map((p) => p.command)],
    }),
    version: { file: launcher.file, args: [...launcher.args, "true"] },
    // It relays its children's bytes unchanged: no prefix to parse.
    parse: (line) => ({ name: "", body: line }),
  };
}

/**
 * The bare runtimes: bench/hello.mjs (launch the Procfile's commands with
 * node:child_process, relay their output, nothing else) under each runtime
 * tend runs on, and node for the npm peers. Its cost is the floor of a
 * runner written for that runtime.
 */
export function baselines(): Contender[] {
  const deno = _which("deno") ?? "deno";
  const bun = _which("bun");
  const node = _which("node");
  return [
    _hello("hello-deno", "deno", { file: deno, args: ["run", "-A", HELLO] }),
    _hello(
      "hello-bun",
      "bun",
      { file: bun ?? "bun", args: [HELLO] },
      bun ? undefined : "bun is not installed",
    ),
    _hello(
      "hello-bin",
      "bun-compiled",
      { file: HELLO_BINARY, args: [] },
      existsSync(HELLO_BINARY)
        ? undefined
        : "bench/.peers/hello-bin is missing (needs bun)",
    ),
    _hello(
      "hello-node",
      "node",
      { file: node ?? "node", args: [HELLO] },
      node ? undefined : "node is not installed",
    ),
  ];
}

/** A random port for goreman's RPC server, away from the default 8555. */
function _rpcPort(): number {
  return 40_000 + Math.floor(Math.random() * 20_000);
}

/**
 * overmind keeps its processes in a tmux server: each run gets its own
 * TMUX_TMPDIR (so its socket is known) and its own command socket, under
 * the app's directory; afterwards any tmux server left there is told to
 * quit (the bench has SIGKILLed it already when it carried the run's mark).
 */
function _overmindRun(file: string, app: App): Cmd {
  const dir = mkdtempSync(join(app.dir, "o"));
  return {
    file,
    args: [
      "start",
      "-f",
      app.procfile,
      "-w",
      "bench",
      "-t",
      String(app.timeout),
      "-s",
      join(dir, "s"),
    ],
    env: { TMUX_TMPDIR: dir },
    cleanup: () => {
      const uid = process.getuid?.() ?? 0;
      const sockets = join(dir, `tmux-${uid}`);
      let names: string[] = [];
      try {
        names = readdirSync(sockets);
      } catch {
        // No server started.
      }
      for (const name of names) {
        spawnSync("tmux", ["-S", join(sockets, name), "kill-server"], {
          stdio: "ignore",
          timeout: 5000,
        });
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * forego runs each command as `sh -c "exec COMMAND"`: of a compound
 * command (`echo READY; exec sleep 60`) only the first part would run, as
 * the whole process. A forego user wraps such a command in `sh -c`; so does
 * the Procfile the bench writes for it. Simple commands stay as they are.
 */
function _foregoProcfile(app: App): string {
  if (app.procs.every((p) => /^[\w ./=-]*$/.test(p.command))) {
    return app.procfile;
  }
  const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
  const procfile = join(app.dir, "Procfile.forego");
  writeFileSync(
    procfile,
    app.procs.map((p) =>
      /^[\w ./=-]*$/.test(p.command)
        ? `${p.type}: ${p.command}\n`
        : `${p.type}: sh -c ${quote(p.command)}\n`
    ).join(""),
  );
  return procfile;
}

/** honcho from its source tree in bench/.peers/honcho, else the PATH. */
function _honcho(): Contender {
  const tree = join(PEERS_DIR, "honcho");
  const python = _which("python3");
  const local = python !== undefined &&
    existsSync(join(tree, "honcho", "__main__.py"));
  const installed = local ? undefined : _which("honcho");
  const launcher: Cmd = local
    ? { file: python, args: ["-m", "honcho"], env: { PYTHONPATH: tree } }
    : { file: installed ?? "honcho", args: [] };
  return {
    id: "honcho",
    kind: "peer",
    missing: local || installed
      ? undefined
      : "not found in bench/.peers/honcho or PATH",
    // honcho has no stop timeout: it waits 5 s (KILL_WAIT) before SIGKILL.
    start: (app) => ({
      ...launcher,
      args: [
        ...launcher.args,
        "start",
        "-f",
        app.procfile,
        "--no-colour",
      ],
    }),
    version: { ...launcher, args: [...launcher.args, "version"] },
    // A source tree has no version file (setuptools_scm writes it): ask git.
    describe: local
      ? () => {
        const r = spawnSync("git", ["-C", tree, "describe", "--tags"], {
          encoding: "utf8",
          timeout: 10_000,
        });
        return r.status === 0 ? r.stdout.trim() : undefined;
      }
      : undefined,
    parse: parseStamped,
  };
}

/**
 * The Go peers and honcho, which the bench only looks for. Each gets its
 * no-colour switch where it has one and a stop timeout like tend's `-t`
 * where it has one.
 */
function _fastPeers(): Contender[] {
  const hivemind = _peerBin("hivemind");
  const goreman = _peerBin("goreman");
  const forego = _peerBin("forego");
  const overmind = _peerBin("overmind");
  const tmux = _which("tmux");
  return [
    {
      id: "hivemind",
      kind: "peer",
      missing: hivemind ? undefined : _NOT_FOUND,
      // No switch for colours: its prefixes are always coloured. It stops
      // with SIGINT.
      start: (app) => ({
        file: hivemind ?? "hivemind",
        args: ["-t", String(app.timeout), app.procfile],
      }),
      version: { file: hivemind ?? "hivemind", args: ["--version"] },
      parse: _typeParser(_PADDED),
    },
    {
      id: "goreman",
      kind: "peer",
      missing: goreman ? undefined : _NOT_FOUND,
      // No switch for colours and no stop timeout (10 s, then SIGKILL). Its
      // RPC server would listen on 0.0.0.0:8555: keep it on loopback, on a
      // port of its own.
      start: (app) => ({
        file: goreman ?? "goreman",
        args: ["-f", app.procfile, "-p", String(_rpcPort()), "start"],
        env: { GOREMAN_RPC_ADDR: "127.0.0.1" },
      }),
      version: { file: goreman ?? "goreman", args: ["version"] },
      parse: _typeParser(_GOREMAN),
    },
    {
      id: "forego",
      kind: "peer",
      missing: forego ? undefined : _NOT_FOUND,
      // Its colour library prints no colours for TERM=dumb.
      start: (app) => ({
        file: forego ?? "forego",
        args: [
          "start",
          "-f",
          _foregoProcfile(app),
          "-t",
          String(app.timeout),
        ],
        env: { TERM: "dumb" },
      }),
      version: { file: forego ?? "forego", args: ["version"] },
      parse: _parser(_PADDED),
    },
    {
      id: "overmind",
      kind: "peer",
      missing: !overmind
        ? _NOT_FOUND
        : tmux
        ? undefined
        : "tmux is not installed (overmind runs its processes in tmux)",
      // No switch for colours. It stops with SIGINT.
      start: (app) => _overmindRun(overmind ?? "overmind", app),
      version: { file: overmind ?? "overmind", args: ["--version"] },
      parse: _typeParser(_PADDED),
    },
    _honcho(),
  ];
}

/** The peers; `missing` says why one cannot run. */
export function peerContenders(): Contender[] {
  const foreman = _which("foreman");
  const bin = join(PEERS_DIR, "node_modules", ".bin");
  const nf = join(bin, "nf");
  const conc = join(bin, "concurrently");
  return [
    {
      id: "foreman",
      kind: "peer",
      missing: foreman
        ? undefined
        : "not installed (apt-get install ruby-foreman)",
      start: (app) => ({
        file: foreman ?? "foreman",
        args: [
          "start",
          "-f",
          app.procfile,
          "--no-color",
          "-t",
          String(app.timeout),
        ],
      }),
      version: { file: foreman ?? "foreman", args: ["version"] },
      parse: parseStamped,
    },
    {
      id: "node-foreman",
      kind: "peer",
      runtime: "node",
      missing: existsSync(nf) ? undefined : "not installed (npm foreman)",
      // node-foreman has no stop timeout; it forwards SIGINT only.
      start: (app) => ({ file: nf, args: ["start", "-j", app.procfile] }),
      version: { file: nf, args: ["--version"] },
      parse: _parser(_NF),
    },
    {
      id: "concurrently",
      kind: "peer",
      runtime: "node",
      missing: existsSync(conc)
        ? undefined
        : "not installed (npm concurrently)",
      start: (app) => ({
        file: conc,
        args: [
          "--no-color",
          "--kill-others",
          "--kill-timeout",
          String(Math.round(app.timeout * 1000)),
          "-n",
          app.procs.map((p) => `${p.type}.1`).join(","),
          ...app.procs.map((p) => p.command),
        ],
      }),
      version: { file: conc, args: ["--version"] },
      parse: _parser(_BRACKETED),
    },
    ..._fastPeers(),
  ];
}

/** Installs the missing peers; returns one line per action for the log. */
export function installPeers(log: (line: string) => void): void {
  if (!_which("foreman")) {
    if (_which("apt-get") && process.getuid?.() === 0) {
      log("installing foreman: apt-get install -y ruby-foreman");
      const r = spawnSync("apt-get", ["install", "-y", "ruby-foreman"], {
        stdio: "ignore",
        timeout: 300_000,
      });
      if (r.status !== 0) log("  apt-get failed; foreman is skipped");
    } else {
      log("foreman is missing and apt-get is not usable as root: skipped");
    }
  }
  const bin = join(PEERS_DIR, "node_modules", ".bin");
  if (!existsSync(join(bin, "nf")) || !existsSync(join(bin, "concurrently"))) {
    mkdirSync(PEERS_DIR, { recursive: true });
    log(`installing node-foreman and concurrently into ${PEERS_DIR}`);
    const r = spawnSync(
      "npm",
      [
        "install",
        "--prefix",
        PEERS_DIR,
        "--no-audit",
        "--no-fund",
        "foreman@3",
        "concurrently@9",
      ],
      { stdio: "ignore", timeout: 300_000 },
    );
    if (r.status !== 0) log("  npm install failed; those peers are skipped");
  }
}

function _newestSource(): number {
  let newest = statSync(join(ROOT, "cli.ts")).mtimeMs;
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".ts")) {
        newest = Math.max(newest, statSync(path).mtimeMs);
      }
    }
  };
  walk(join(ROOT, "src"));
  return newest;
}

// The flags of `deno task compile:bun`, for dist/tend and the baseline.
const _BUN_COMPILE = [
  "build",
  "--compile",
  "--minify",
  "--bytecode",
  "--format=esm",
  "--no-compile-autoload-dotenv",
  "--no-compile-autoload-bunfig",
];

/**
 * Compiles `entry` to `out` with Bun when `out` is missing or older than
 * `newest`. It is built aside and renamed, so a run using it never sees
 * half a file. Returns false when the build failed.
 */
function _bunCompile(entry: string, out: string, newest: number): boolean {
  const bun = _which("bun");
  if (!bun) return true;
  if (existsSync(out) && statSync(out).mtimeMs >= newest) return true;
  mkdirSync(dirname(out), { recursive: true });
  const aside = `${out}.bench-${process.pid}`;
  try {
    execFileSync(bun, [..._BUN_COMPILE, entry, "--outfile", aside], {
      stdio: "ignore",
      timeout: 300_000,
      cwd: ROOT,
    });
    renameSync(aside, out);
    return true;
  } catch {
    rmSync(aside, { force: true });
    return false;
  }
}

/** Builds dist/tend with Bun when it is missing or older than the sources. */
export function ensureBinary(log: (line: string) => void): void {
  if (!_which("bun")) return;
  const newest = _newestSource();
  if (existsSync(BINARY) && statSync(BINARY).mtimeMs >= newest) return;
  log("building dist/tend: bun build --compile --minify --bytecode");
  if (!_bunCompile(join(ROOT, "cli.ts"), BINARY, newest)) {
    log("  the build failed; tend-bin is skipped");
  }
}

/**
 * Builds the npm package's bundle (dist/npm/tend.mjs) when it is missing or
 * older than the sources, so that tend on Node is measured beside the other
 * launchers without a separate step.
 */
export function ensureNpmBundle(log: (line: string) => void): void {
  if (!_which("node")) return;
  if (
    existsSync(NPM_BUNDLE) && statSync(NPM_BUNDLE).mtimeMs >= _newestSource()
  ) return;
  log("building dist/npm: deno task build:npm");
  const r = spawnSync(
    process.execPath,
    ["run", "-A", join(ROOT, "scripts", "build_npm.ts")],
    { stdio: "ignore", timeout: 300_000, cwd: ROOT },
  );
  if (r.status !== 0) log("  the build failed; tend-node is skipped");
}

/** Builds the compiled baseline (hello-bin) like dist/tend. */
export function ensureHelloBinary(log: (line: string) => void): void {
  if (!_which("bun")) return;
  const newest = statSync(HELLO).mtimeMs;
  if (existsSync(HELLO_BINARY) && statSync(HELLO_BINARY).mtimeMs >= newest) {
    return;
  }
  log("building bench/.peers/hello-bin: bun build --compile bench/hello.mjs");
  if (!_bunCompile(HELLO, HELLO_BINARY, newest)) {
    log("  the build failed; hello-bin is skipped");
  }
}

/** Versions of everything measured, for the report's header. */
export function versions(contenders: readonly Contender[]): string[] {
  const out: string[] = [];
  const run = (file: string, args: string[], env?: Record<string, string>) => {
    const r = spawnSync(file, args, {
      encoding: "utf8",
      timeout: 30_000,
      env: { ...process.env, ...env },
    });
    return (r.stdout || r.stderr || "").trim().split("\n")[0];
  };
  if (_which("deno")) out.push(run("deno", ["--version"]));
  if (_which("bun")) out.push(`bun ${run("bun", ["--version"])}`);
  if (contenders.some((c) => c.runtime === "node" && !c.missing)) {
    out.push(`node ${run("node", ["--version"]).replace(/^v/, "")}`);
  }
  for (const c of contenders) {
    if (c.kind === "peer" && !c.missing) {
      const text = c.describe?.() ??
        run(c.version.file, c.version.args, c.version.env);
      // "Hivemind version 1.1.0" and "v2.0.0" read as "1.1.0" and "2.0.0".
      const number = /\bv?(\d+\.\d+[^\s,;]*)/.exec(text)?.[1];
      out.push(`${c.id} ${number ?? text}`);
    }
  }
  return out;
}
