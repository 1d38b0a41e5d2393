/**
 * What the benchmark compares: tend four ways (deno run, bun, the compiled
 * binary, node with the npm package's bundle) and the peers users would
 * otherwise pick, with the flags that make them comparable (no colour, a stop
 * timeout), and how to read their lines.
 *
 * @module
 */
import { execFileSync, spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  renameSync,
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
/** Where the npm peers are installed, away from the project's package.json. */
export const PEERS_DIR: string = join(ROOT, "bench", ".peers");
/** The compiled binary (issue 4). */
export const BINARY: string = join(ROOT, "dist", "tend");
/** The npm package's bundle, run by Node (`deno task build:npm`). */
export const NPM_BUNDLE: string = join(ROOT, "dist", "npm", "tend.mjs");

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
}

/** One line of a runner's output, split into instance name and body. */
export interface Parsed {
  name: string;
  body: string;
}

/** A runner under test. */
export interface Contender {
  id: string;
  kind: "tend" | "peer";
  /** Set when it cannot be measured here, with the reason. */
  missing?: string;
  /** How to run `app` in the foreground. */
  start(app: App): Cmd;
  /** How to print its version (startup cost). */
  version: Cmd;
  /** Splits one output line (ANSI codes removed) into name and body. */
  parse(line: string): Parsed | undefined;
}

// "HH:MM:SS name | body": tend, foreman and the floor.
const _STAMPED = /^\d\d:\d\d:\d\d (\S+) *\| (.*)$/;
// node-foreman: "H:MM:SS AM name |  body"
const _NF = /^\d\d?:\d\d:\d\d [AP]M (\S+) *\| *(.*)$/;
// concurrently: "[name] body"
const _BRACKETED = /^\[([^\]]+)\] (.*)$/;

function _parser(re: RegExp): (line: string) => Parsed | undefined {
  return (line) => {
    const m = re.exec(line);
    return m ? { name: m[1], body: m[2] } : undefined;
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

function _tend(id: string, launcher: Cmd, missing?: string): Contender {
  return {
    id,
    kind: "tend",
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

/** The tend launchers: deno run, bun, the compiled binary, and node. */
export function tendContenders(): Contender[] {
  const cli = join(ROOT, "cli.ts");
  const deno = _which("deno") ?? "deno";
  const bun = _which("bun");
  const node = _which("node");
  return [
    _tend("tend-deno", { file: deno, args: ["run", "-A", cli] }),
    _tend(
      "tend-bun",
      { file: bun ?? "bun", args: [cli] },
      bun ? undefined : "bun is not installed",
    ),
    _tend(
      "tend-bin",
      { file: BINARY, args: [] },
      existsSync(BINARY) ? undefined : "dist/tend is missing (needs bun)",
    ),
    _tend(
      "tend-node",
      { file: node ?? "node", args: [NPM_BUNDLE] },
      !node
        ? "node is not installed"
        : existsSync(NPM_BUNDLE)
        ? undefined
        : "dist/npm/tend.mjs is missing (deno task build:npm)",
    ),
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
      missing: existsSync(nf) ? undefined : "not installed (npm foreman)",
      // node-foreman has no stop timeout; it forwards SIGINT only.
      start: (app) => ({ file: nf, args: ["start", "-j", app.procfile] }),
      version: { file: nf, args: ["--version"] },
      parse: _parser(_NF),
    },
    {
      id: "concurrently",
      kind: "peer",
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
  ];
}

/** Why honcho is not in the table. */
export const HONCHO_NOTE =
  "honcho (Python) is not measured: PyPI is unreachable from this machine and Debian has no honcho package.";

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

/**
 * Builds dist/tend with Bun when it is missing or older than the sources.
 * It is built aside and renamed, so a test using it never sees half a file.
 */
export function ensureBinary(log: (line: string) => void): void {
  const bun = _which("bun");
  if (!bun) return;
  if (existsSync(BINARY) && statSync(BINARY).mtimeMs >= _newestSource()) {
    return;
  }
  log("building dist/tend: bun build --compile --minify --bytecode");
  mkdirSync(dirname(BINARY), { recursive: true });
  const aside = `${BINARY}.bench-${process.pid}`;
  try {
    execFileSync(bun, [
      "build",
      "--compile",
      "--minify",
      "--bytecode",
      "--format=esm",
      join(ROOT, "cli.ts"),
      "--outfile",
      aside,
    ], { stdio: "ignore", timeout: 300_000, cwd: ROOT });
    renameSync(aside, BINARY);
  } catch {
    log("  the build failed; tend-bin is skipped");
  }
}

/** Versions of everything measured, for the report's header. */
export function versions(contenders: readonly Contender[]): string[] {
  const out: string[] = [];
  const run = (file: string, args: string[]) => {
    const r = spawnSync(file, args, { encoding: "utf8", timeout: 30_000 });
    return (r.stdout || r.stderr || "").trim().split("\n")[0];
  };
  if (_which("deno")) out.push(run("deno", ["--version"]));
  if (_which("bun")) out.push(`bun ${run("bun", ["--version"])}`);
  for (const c of contenders) {
    if (c.kind === "peer" && !c.missing) {
      out.push(`${c.id} ${run(c.version.file, c.version.args)}`);
    }
  }
  return out;
}
