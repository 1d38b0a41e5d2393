/**
 * Test helpers: run the real tend CLI in a temp directory, collect what a
 * user would see, and find processes a run left behind.
 *
 * The launcher is chosen by TEND_LAUNCHER: `deno` (deno run -A cli.ts),
 * `bun` (bun cli.ts), `binary` (dist/tend) or `node` (node dist/npm/tend.mjs,
 * the npm package's bundle: `deno task build:npm`); by default the runtime
 * that runs the tests.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

/**
 * The XDG_RUNTIME_DIR of every tend the tests start (unless a test sets
 * its own): their control sockets, and those that tends killed with
 * SIGKILL leave, stay out of the user's own directory and go with the test
 * run. Made again if a test removed it.
 */
export const RUNTIME_DIR: string = join(
  tmpdir(),
  `tend-run-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
);
function _runtimeDir(): string {
  mkdirSync(RUNTIME_DIR, { recursive: true, mode: 0o700 });
  return RUNTIME_DIR;
}
// Deno's test runner does not emit "exit"; it dispatches "unload".
const _removeRuntimeDir = () =>
  rmSync(RUNTIME_DIR, { recursive: true, force: true });
process.once("exit", _removeRuntimeDir);
globalThis.addEventListener?.("unload", _removeRuntimeDir);

/** The repository root. */
export const ROOT: string = resolve(
  dirname(fileURLToPath(import.meta.url)),
  "..",
  "..",
);

/** The command (file + leading args) that starts tend. */
export function launcher(): { file: string; args: string[]; name: string } {
  const chosen = process.env.TEND_LAUNCHER ??
    ((globalThis as { Bun?: unknown }).Bun ? "bun" : "deno");
  const cli = join(ROOT, "cli.ts");
  switch (chosen) {
    case "bun":
      // Bun loads ./.env into process.env by itself unless told not to,
      // which would make the files look like the process environment.
      return {
        file: process.env.BUN_BIN ?? "bun",
        args: ["--no-env-file", cli],
        name: "bun",
      };
    case "binary":
      return { file: join(ROOT, "dist", "tend"), args: [], name: "binary" };
    case "node":
      return {
        file: process.env.NODE_BIN ?? "node",
        args: [join(ROOT, "dist", "npm", "tend.mjs")],
        name: "node",
      };
    case "deno":
      return {
        file: process.env.DENO_BIN ?? "deno",
        args: ["run", "-A", "--quiet", cli],
        name: "deno",
      };
    default:
      // A URL or another command line: split on spaces.
      return {
        file: chosen.split(" ")[0],
        args: chosen.split(" ").slice(1),
        name: chosen,
      };
  }
}

/** A unique marker to put in commands so that `ps` can find their processes. */
export function marker(): string {
  return `tendmark${process.pid}x${Date.now().toString(36)}${
    Math.random().toString(36).slice(2, 8)
  }`;
}

export { cleanup, tempDir as tempApp } from "../_temp.ts";

/**
 * The note a tend without FFI (the npm package on Node) prints once at
 * start-up: the PID 1 tests look for it; the others, which check that
 * stderr is empty, see stderr without it.
 */
export const NO_FFI_NOTE: RegExp =
  /^tend: note: (no FFI|running as PID 1 without FFI)[^\n]*\n/m;

/** What a finished tend run showed. */
export interface Result {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  /** tend's stderr, without {@linkcode NO_FFI_NOTE}. */
  stderr: string;
  /** tend's stderr as it was. */
  rawStderr: string;
  stdoutBytes: Uint8Array;
  ms: number;
}

/** Options for {@linkcode startTend} and {@linkcode runTend}. */
export interface TendOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** Kill tend (SIGKILL) and fail if it runs longer than this. */
  timeout?: number;
  /** Start tend in its own process group (default true), as a shell would. */
  detached?: boolean;
  /** Text for tend's stdin (default: no stdin). */
  input?: string;
  /**
   * A mark from {@linkcode marker} put in tend's environment as
   * `TEND_TEST_MARK`, so that {@linkcode alive} finds every process of the
   * run.
   */
  mark?: string;
  /** Starts tend with this instead of {@linkcode launcher}'s command. */
  command?: { file: string; args: string[] };
}

/** A running tend. */
export class Tend {
  readonly child: ChildProcess;
  readonly started = Date.now();
  #out: Uint8Array[] = [];
  #err = "";
  #waiters: (() => void)[] = [];
  readonly done: Promise<Result>;

  constructor(args: string[], options: TendOptions = {}) {
    const { file, args: pre } = options.command ?? launcher();
    const env: Record<string, string> = {};
    // Colour settings of the developer's shell must not leak into tests.
    const base = {
      ...process.env,
      FORCE_COLOR: undefined,
      NO_COLOR: undefined,
      XDG_RUNTIME_DIR: _runtimeDir(),
    };
    const mark = options.mark ? { TEND_TEST_MARK: options.mark } : {};
    for (const [k, v] of Object.entries({ ...base, ...mark, ...options.env })) {
      if (v !== undefined) env[k] = v;
    }
    this.child = spawn(file, [...pre, ...args], {
      cwd: options.cwd,
      env,
      stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
      detached: options.detached ?? true,
    });
    if (options.input !== undefined) this.child.stdin!.end(options.input);
    this.child.stdout!.on("data", (d: Uint8Array) => {
      this.#out.push(new Uint8Array(d));
      this._wake();
    });
    this.child.stderr!.on("data", (d: Uint8Array) => {
      this.#err += new TextDecoder().decode(d);
      this._wake();
    });
    const limit = options.timeout ?? 30_000;
    this.done = new Promise((resolveDone) => {
      let exited:
        | { status: number | null; signal: NodeJS.Signals | null }
        | undefined;
      let closed = 0;
      const finish = () => {
        if (!exited || closed < 2) return;
        clearTimeout(timer);
        const bytes = _concat(this.#out);
        resolveDone({
          ...exited,
          stdout: new TextDecoder().decode(bytes),
          stderr: this.#err.replace(NO_FFI_NOTE, ""),
          rawStderr: this.#err,
          stdoutBytes: bytes,
          ms: Date.now() - this.started,
        });
      };
      const timer = setTimeout(() => {
        this.#err +=
          `\n[test] tend did not finish within ${limit} ms: killed\n`;
        try {
          process.kill(this.child.pid!, "SIGKILL");
        } catch { /* gone */ }
      }, limit);
      this.child.stdout!.on("close", () => (closed++, finish()));
      this.child.stderr!.on("close", () => (closed++, finish()));
      this.child.on("exit", (status, signal) => {
        exited = { status, signal };
        finish();
      });
    });
  }

  /** Output so far. */
  get stdout(): string {
    return new TextDecoder().decode(_concat(this.#out));
  }

  /** Stderr so far, without {@linkcode NO_FFI_NOTE}. */
  get stderr(): string {
    return this.#err.replace(NO_FFI_NOTE, "");
  }

  /** Sends a signal to tend itself. */
  kill(signal: NodeJS.Signals): void {
    process.kill(this.child.pid!, signal);
  }

  /** Waits until stdout matches `pattern`, or fails after `ms`. */
  async waitFor(pattern: RegExp | string, ms = 10_000): Promise<void> {
    const deadline = Date.now() + ms;
    const test = () =>
      typeof pattern === "string"
        ? this.stdout.includes(pattern)
        : pattern.test(this.stdout);
    while (!test()) {
      if (Date.now() > deadline) {
        throw new Error(
          `timed out waiting for ${pattern}; stdout:\n${this.stdout}\nstderr:\n${this.stderr}`,
        );
      }
      await new Promise<void>((r) => {
        this.#waiters.push(r);
        setTimeout(r, 50);
      });
    }
  }

  private _wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }
}

function _concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Starts tend with `args`. */
export function startTend(args: string[], options: TendOptions = {}): Tend {
  return new Tend(args, options);
}

/** Runs tend with `args` to the end. */
export function runTend(
  args: string[],
  options: TendOptions = {},
): Promise<Result> {
  return new Tend(args, options).done;
}

/**
 * Live processes (zombies aside) that carry `mark` in their command line or
 * their environment, as `PID ARGS` lines. tend execs simple commands, so a
 * mark in a Procfile comment vanishes from `ps`; the environment carries
 * {@linkcode TendOptions.mark} to every descendant, even one that left the
 * process group.
 */
export function alive(mark: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "latin1");
      if (stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")) continue;
      const args = readFileSync(`/proc/${name}/cmdline`, "latin1");
      let environ = "";
      try {
        environ = readFileSync(`/proc/${name}/environ`, "latin1");
      } catch { /* another user's: the command line must do */ }
      if (args.includes(mark) || environ.includes(mark)) {
        found.push(`${name} ${args.replaceAll("\0", " ").trim()}`);
      }
    } catch { /* it ended while we looked */ }
  }
  return found;
}

/**
 * Waits up to `graceMs` for every process with `mark` to be gone (the
 * kernel may take a moment to reap what was just killed); returns the ones
 * still alive, and SIGKILLs them so one bad run does not leak into the next.
 */
export async function leftBehind(
  mark: string,
  graceMs = 1000,
): Promise<string[]> {
  const deadline = Date.now() + graceMs;
  let left = alive(mark);
  while (left.length > 0 && Date.now() < deadline) {
    await sleep(25);
    left = alive(mark);
  }
  for (const line of left) {
    try {
      process.kill(Number(line.split(" ")[0]), "SIGKILL");
    } catch { /* gone */ }
  }
  return left;
}

/** Fails if any process with `mark` is still alive after `graceMs`. */
export async function assertNoneAlive(
  mark: string,
  graceMs = 1000,
): Promise<void> {
  const left = await leftBehind(mark, graceMs);
  if (left.length > 0) {
    throw new Error(`processes left running:\n${left.join("\n")}`);
  }
}

/** Lines of output without tend's `system` lines, prefix removed. */
export function bodyLines(stdout: string, name: string): string[] {
  const out: string[] = [];
  for (const line of stdout.split("\n")) {
    const bar = line.indexOf(" | ");
    if (bar === -1) continue;
    const prefix = line.slice(0, bar).trim().split(/\s+/);
    if (prefix[prefix.length - 1] === name) out.push(line.slice(bar + 3));
  }
  return out;
}

/** Sleeps. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
