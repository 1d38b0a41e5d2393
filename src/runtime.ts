/**
 * The only module that knows which runtime it runs on (Deno, Bun or Node):
 * the stdout writer, TTY detection, signal hooks, exiting, starting child
 * processes, and the two libc calls reached through the runtime's FFI.
 * Everything else is plain TypeScript over `node:` built-ins.
 *
 * @module
 */
import type { ChildProcess, spawn as nodeSpawn } from "node:child_process";
import { close, constants, fstatSync, openSync, writev } from "node:fs";
import process from "node:process";
import { QueuedSink } from "./sink.ts";

interface _DenoFile {
  write(p: Uint8Array): Promise<number>;
  isTerminal(): boolean;
}
interface _DenoNamespace {
  stdout: _DenoFile;
  stderr: _DenoFile;
  args: readonly string[];
  Command: new (file: string, options: _DenoCommandOptions) => {
    spawn(): _DenoChild;
  };
  dlopen(path: string, symbols: Record<string, unknown>): _Library<bigint>;
  permissions: { querySync(d: { name: "ffi" }): { state: string } };
}

/** A loaded libc with the two symbols tend uses; `W` is a 64-bit word. */
interface _Library<W> {
  symbols: {
    prctl(option: number, a: W, b: W, c: W, d: W): number;
    waitpid(pid: number, status: Int32Array, options: number): number;
    localtime_r(time: BigInt64Array, tm: Int32Array): unknown;
  };
}

/** The `Deno` namespace when running on Deno, else undefined. */
function _deno(): _DenoNamespace | undefined {
  return (globalThis as unknown as { Deno?: _DenoNamespace }).Deno;
}

/**
 * Opens tend's stdout as a {@linkcode ByteSink}. On Deno it writes with
 * `Deno.stdout.write`, because Deno's `process.stdout.write` blocks the event
 * loop on a full pipe (tend would stop reacting to signals); on Bun and Node
 * it uses `process.stdout` with its write callback.
 *
 * @example
 * ```ts
 * import { openStdout } from "./runtime.ts";
 * const stdout = openStdout();
 * stdout.write(new TextEncoder().encode("hello\n"));
 * await stdout.flush();
 * ```
 */
export function openStdout(
  onBroken?: (error: unknown) => void,
): QueuedSink {
  const deno = _deno();
  if (deno) {
    const file = deno.stdout;
    return new QueuedSink(
      async (bytes) => {
        let at = 0;
        while (at < bytes.length) at += await file.write(bytes.subarray(at));
      },
      onBroken,
      true,
    );
  }
  // Without a listener an EPIPE on stdout is an uncaught exception.
  process.stdout.on("error", () => {});
  return new QueuedSink(
    (bytes) =>
      new Promise<void>((resolve, reject) => {
        process.stdout.write(
          bytes,
          (error) => (error ? reject(error) : resolve()),
        );
      }),
    onBroken,
    true,
  );
}

/** True when stdout is a terminal. */
export function stdoutIsTerminal(): boolean {
  const deno = _deno();
  if (deno) return deno.stdout.isTerminal();
  return Boolean(process.stdout.isTTY);
}

/** The signals tend stops on. */
export type StopSignal = "SIGINT" | "SIGTERM" | "SIGHUP";

/**
 * Calls `handler` for each SIGINT, SIGTERM and SIGHUP until the returned
 * function is called. Installing a handler is also what lets tend stop on
 * SIGTERM as PID 1, where the kernel drops signals that have none.
 *
 * @example
 * ```ts
 * import { onStopSignals } from "./runtime.ts";
 * const stopListening = onStopSignals((signal) => console.log("got", signal));
 * // ... run until done, then:
 * stopListening();
 * ```
 */
export function onStopSignals(
  handler: (signal: StopSignal) => void,
): () => void {
  const signals: StopSignal[] = ["SIGINT", "SIGTERM", "SIGHUP"];
  const listeners = signals.map((signal) => {
    const listener = () => handler(signal);
    process.on(signal, listener);
    return [signal, listener] as const;
  });
  return () => {
    for (const [signal, listener] of listeners) process.off(signal, listener);
  };
}

/** Writes one line of tend's own diagnostics to stderr. */
export function printError(line: string): void {
  process.stderr.write(line.endsWith("\n") ? line : line + "\n");
}

/**
 * The command line arguments after the script. On Deno `Deno.args`, which is
 * right for `deno run` and `deno compile` alike; on Bun and Node
 * `process.argv` minus the runtime and the script (a `bun build --compile`
 * binary keeps that shape: `["bun", "/$bunfs/root/tend", ...]`).
 */
export function args(): string[] {
  const deno = _deno();
  if (deno) return [...deno.args];
  return process.argv.slice(2);
}

/** Exits the process with `code`. */
export function exit(code: number): never {
  process.exit(code);
}

/** The libc calls tend uses to look after processes that leave its groups. */
export interface Libc {
  /**
   * `prctl(PR_SET_CHILD_SUBREAPER, 1)`: orphans below tend are reparented
   * to tend instead of to init, so they stay in its tree and their zombies
   * are its to reap. True when the kernel accepted it.
   */
  setChildSubreaper(): boolean;
  /**
   * `waitpid(pid, &status, WNOHANG)` for one pid: true when it was a zombie
   * and is now reaped. Only for adopted orphans: the runtime reaps the
   * children it spawned and would miss their exit otherwise, which is also
   * why tend never waits for any child (-1).
   */
  reap(pid: number): boolean;
  /**
   * `localtime_r`: the local time of day at `seconds` since the epoch, as
   * hours, minutes and seconds (the TZ variable, else /etc/localtime).
   */
  localTime(seconds: number): [number, number, number];
}

const _PR_SET_CHILD_SUBREAPER = 36;
const _WNOHANG = 1;
const _LIBC = "libc.so.6";
const _SYMBOLS = {
  prctl: { types: ["i32", "u64", "u64", "u64", "u64"], result: "i32" },
  waitpid: { types: ["i32", "buffer", "i32"], result: "i32" },
  localtime_r: { types: ["buffer", "buffer"], result: "pointer" },
};

let _libc: { value: Libc | undefined } | undefined;

/**
 * The libc calls, or undefined where the runtime has no FFI (Node), the
 * platform is not Linux, FFI is not permitted (Deno without `-A`), or
 * there is no `libc.so.6` (musl). Loaded once.
 *
 * @example
 * ```ts
 * import { libc } from "./runtime.ts";
 * const c = libc();
 * if (c?.setChildSubreaper()) {
 *   // orphans below this process are now reparented to it
 * }
 * ```
 */
export function libc(): Libc | undefined {
  _libc ??= { value: _loadLibc() };
  return _libc.value;
}

function _loadLibc(): Libc | undefined {
  if (process.platform !== "linux") return undefined;
  const status = new Int32Array(1);
  // time_t, and struct tm: tm_sec, tm_min, tm_hour first, as ints.
  const time = new BigInt64Array(1);
  const tm = new Int32Array(16);
  const localTime = (
    lib: _Library<unknown>,
    seconds: number,
  ): [number, number, number] => {
    time[0] = BigInt(Math.floor(seconds));
    lib.symbols.localtime_r(time, tm);
    return [tm[2], tm[1], tm[0]];
  };
  try {
    const deno = _deno();
    if (deno) {
      // Without the permission Deno would prompt on a terminal, or throw.
      if (deno.permissions.querySync({ name: "ffi" }).state !== "granted") {
        return undefined;
      }
      const lib = deno.dlopen(
        _LIBC,
        Object.fromEntries(
          Object.entries(_SYMBOLS).map((
            [name, s],
          ) => [name, { parameters: s.types, result: s.result }]),
        ),
      );
      return {
        setChildSubreaper: () =>
          lib.symbols.prctl(_PR_SET_CHILD_SUBREAPER, 1n, 0n, 0n, 0n) === 0,
        reap: (pid) => lib.symbols.waitpid(pid, status, _WNOHANG) === pid,
        localTime: (seconds) => localTime(lib, seconds),
      };
    }
    if ((globalThis as { Bun?: unknown }).Bun) {
      // Reached without an import of "bun:ffi", which Deno cannot resolve.
      const ffi = process.getBuiltinModule?.("bun:ffi") as
        | { dlopen(path: string, s: Record<string, unknown>): _Library<number> }
        | undefined;
      if (!ffi) return undefined;
      const lib = ffi.dlopen(
        _LIBC,
        Object.fromEntries(
          Object.entries(_SYMBOLS).map((
            [name, s],
          ) => [name, {
            // A typed array passed for a "ptr" argument goes as its address.
            args: s.types.map((t) => t === "buffer" ? "ptr" : t),
            returns: s.result === "pointer" ? "ptr" : s.result,
          }]),
        ),
      );
      return {
        setChildSubreaper: () =>
          lib.symbols.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) === 0,
        reap: (pid) => lib.symbols.waitpid(pid, status, _WNOHANG) === pid,
        localTime: (seconds) => localTime(lib, seconds),
      };
    }
  } catch {
    // No libc.so.6 (musl), or the FFI refused: do without.
  }
  return undefined;
}

/**
 * The local time of day at `ms` (milliseconds since the epoch) as hours,
 * minutes and seconds, for the prefix of output lines.
 *
 * On Bun it asks libc's `localtime_r` through the FFI (loaded anyway by
 * `tend start`, for the subreaper): JavaScriptCore's first local-time
 * call (`getHours`) sets up ICU's time zone, which cost 3.7-5 ms and
 * 3.6 MB of RSS in a compiled binary, on the path to the first line of
 * output. Deno's and Node's V8 do that in well under a millisecond, so
 * they, and Bun without the FFI, use `Date`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { localTime } from "./runtime.ts";
 * const d = new Date(2026, 0, 2, 3, 4, 5);
 * assert.deepEqual(localTime(d.getTime()), [3, 4, 5]);
 * ```
 */
export function localTime(ms: number): [number, number, number] {
  if ((globalThis as { Bun?: unknown }).Bun) {
    const c = libc();
    if (c) return c.localTime(ms / 1000);
  }
  const d = new Date(ms);
  return [d.getHours(), d.getMinutes(), d.getSeconds()];
}

/**
 * Calls `handler` on each SIGCHLD (a child of tend stopped or ended) until
 * the returned function is called. tend reaps adopted orphans then, rather
 * than on a timer, so an idle tend stays idle.
 *
 * @example
 * ```ts
 * import { onChildSignal } from "./runtime.ts";
 * const stop = onChildSignal(() => {});
 * stop();
 * ```
 */
export function onChildSignal(handler: () => void): () => void {
  process.on("SIGCHLD", handler);
  return () => process.off("SIGCHLD", handler);
}

/** A file opened for appending, written without blocking the event loop. */
export interface AppendFile {
  /** Its size when opened, in bytes. */
  readonly size: number;
  /** Writes all of `buffers`, in order. */
  write(buffers: Uint8Array[]): Promise<void>;
  /** Closes it; a write in flight may fail. */
  close(): void;
}

interface _DenoFsFile {
  write(p: Uint8Array): Promise<number>;
  statSync(): { size: number };
  close(): void;
}
interface _DenoFs {
  openSync(
    path: string,
    options: { append: boolean; create: boolean; mode: number },
  ): _DenoFsFile;
}

/**
 * Opens (creating it with `mode`) the file at `path` for appending. On Deno
 * it writes with `Deno.FsFile.write`, because Deno runs the callbacks of
 * `node:fs` writes on its main thread, so a write that blocks (a hung
 * network disk, a pipe nobody reads) would stop the event loop; on Bun and
 * Node with `fs.writev`, several buffers a call.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mkdtempSync, readFileSync } from "node:fs";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { openAppend } from "./runtime.ts";
 * const path = join(mkdtempSync(join(tmpdir(), "append-")), "a.log");
 * const file = openAppend(path, 0o600);
 * await file.write([new TextEncoder().encode("a\n"), new TextEncoder().encode("b\n")]);
 * file.close();
 * assert.equal(readFileSync(path, "utf8"), "a\nb\n");
 * ```
 */
export function openAppend(path: string, mode: number): AppendFile {
  const deno = _deno() as unknown as _DenoFs | undefined;
  if (deno) {
    const file = deno.openSync(path, { append: true, create: true, mode });
    return {
      size: file.statSync().size,
      async write(buffers) {
        for (const bytes of buffers) {
          let at = 0;
          while (at < bytes.length) at += await file.write(bytes.subarray(at));
        }
      },
      close() {
        try {
          file.close();
        } catch { /* closed already */ }
      },
    };
  }
  // Non-blocking: a write that cannot go on (a pipe nobody reads) fails
  // with EAGAIN and is tried again, instead of blocking a thread of the
  // runtime's pool, which Node would then wait for at exit, forever.
  const { O_WRONLY, O_APPEND, O_CREAT, O_NONBLOCK } = constants;
  const fd = openSync(path, O_WRONLY | O_APPEND | O_CREAT | O_NONBLOCK, mode);
  return {
    size: fstatSync(fd).size,
    async write(buffers) {
      buffers = buffers.slice();
      while (buffers.length > 0) {
        let n = await new Promise<number>((resolve, reject) =>
          writev(fd, buffers, null, (e, n) => {
            if (e?.code === "EAGAIN") setTimeout(() => resolve(0), 50);
            else if (e) reject(e);
            else resolve(n);
          })
        );
        // A short write: drop what was written, go on with the rest.
        while (buffers.length > 0 && n >= buffers[0].length) {
          n -= buffers[0].length;
          buffers.shift();
        }
        if (n > 0) buffers[0] = buffers[0].subarray(n);
      }
    },
    close() {
      close(fd, () => {});
    },
  };
}

/** How a child process ended. */
export interface ChildExit {
  /** Its exit code, or null when a signal ended it. */
  code: number | null;
  /** The signal that ended it, or null. */
  signal: NodeJS.Signals | null;
}

/** What {@linkcode spawnChild} needs, and whom it tells what happens. */
export interface SpawnOptions {
  cwd?: string;
  /** Its whole environment. */
  env: Readonly<Record<string, string>>;
  /** Give it a pipe on stdin, for {@linkcode SpawnedChild.write}. */
  stdin?: boolean;
  /**
   * Each chunk of its stdout; without this, stdout is /dev/null. Its
   * stderr is always /dev/null (tend's shell scripts merge it into
   * stdout). The bytes are valid only during the call: their buffer is
   * read into again (Deno) or freed (Bun). A promise returned pauses
   * reading until it settles.
   */
  onOutput?(chunk: Uint8Array): Promise<void> | undefined;
  /** Its stdout ended: every process holding it closed it (or it failed). */
  onOutputEnd?(): void;
  /** It exited. */
  onExit(exit: ChildExit): void;
  /** It could not start: called once, after spawnChild returned, instead of onExit. */
  onError(message: string): void;
}

/** A child started by {@linkcode spawnChild}. */
export interface SpawnedChild {
  /** Its pid, also its session's and process group's; undefined when it could not start. */
  readonly pid: number | undefined;
  /** Writes to its stdin, if piped; an error (it exited) is ignored. */
  write(text: string): void;
  /** Writes `text` to its stdin, then closes it. */
  end(text: string): void;
}

/**
 * Starts `file` with `args` as the leader of a new session (and so of a
 * new process group, whose id is its pid), with the runtime's own
 * subprocess API: `Deno.Command` on Deno, `Bun.spawn` on Bun,
 * `node:child_process` on Node.
 *
 * Why not `node:child_process` everywhere: on Deno its pipe reads
 * allocate a fresh 64 KiB buffer each, which grew the heap by 11-15 MB
 * during a 2M-line flood even with a GC after every chunk (smaps), where
 * `Deno.Command` reads into one reused buffer; and on Deno and Bun,
 * loading `node:child_process` costs start-up time (about 3 ms on Deno,
 * 2 ms on Bun) that tend need not pay.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { spawnChild } from "./runtime.ts";
 * const chunks: string[] = [];
 * const exit = await new Promise((resolve, reject) => {
 *   spawnChild("/bin/sh", ["-c", "echo hi; exit 3"], {
 *     env: {},
 *     onOutput: (chunk) => void chunks.push(new TextDecoder().decode(chunk)),
 *     onExit: resolve,
 *     onError: reject,
 *   });
 * });
 * assert.deepEqual(exit, { code: 3, signal: null });
 * ```
 */
export function spawnChild(
  file: string,
  args: readonly string[],
  options: SpawnOptions,
): SpawnedChild {
  const deno = _deno();
  const bun = (globalThis as { Bun?: _Bun }).Bun;
  try {
    if (deno) return _denoSpawn(deno, file, args, options);
    if (bun) return _bunSpawn(bun, file, args, options);
  } catch (error) {
    // Deno and Bun throw when they cannot start it (no such directory);
    // Node reports it later, in an event: so does tend, on every runtime.
    const message = error instanceof Error ? error.message : String(error);
    queueMicrotask(() => options.onError(message));
    return { pid: undefined, write() {}, end() {} };
  }
  return _nodeSpawn(file, args, options);
}

interface _DenoCommandOptions {
  args: string[];
  cwd?: string;
  env: Record<string, string>;
  clearEnv: boolean;
  stdin: "piped" | "null";
  stdout: "piped" | "null";
  stderr: "null";
  detached: boolean;
}

interface _DenoChild {
  readonly pid: number;
  readonly stdin: WritableStream<Uint8Array>;
  readonly stdout: ReadableStream<Uint8Array>;
  readonly status: Promise<{ code: number; signal: string | null }>;
}

const _encoder = new TextEncoder();

/**
 * The size of one read of a child's stdout on Deno: a Linux pipe holds
 * 64 KiB unless its writer enlarges it, so a read never finds more.
 */
const _READ_SIZE = 1 << 16;

function _denoSpawn(
  deno: _DenoNamespace,
  file: string,
  args: readonly string[],
  options: SpawnOptions,
): SpawnedChild {
  const child = new deno.Command(file, {
    args: [...args],
    cwd: options.cwd,
    env: { ...options.env },
    clearEnv: true,
    stdin: options.stdin ? "piped" : "null",
    stdout: options.onOutput ? "piped" : "null",
    stderr: "null",
    detached: true,
  }).spawn();
  const onOutput = options.onOutput;
  if (onOutput) {
    (async () => {
      // One buffer, read into again and again (a BYOB read hands it back).
      const reader = child.stdout.getReader({ mode: "byob" });
      let buffer = new ArrayBuffer(_READ_SIZE);
      try {
        for (;;) {
          const { value, done } = await reader.read(new Uint8Array(buffer));
          if (done || !value) break;
          const full = onOutput(value);
          buffer = value.buffer as ArrayBuffer;
          if (full) await full;
        }
      } catch {
        // A failed read ends the output like its end.
      }
      options.onOutputEnd?.();
    })();
  }
  child.status.then(({ code, signal }) =>
    options.onExit(
      signal
        ? { code: null, signal: signal as NodeJS.Signals }
        : { code, signal: null },
    )
  );
  const writer = options.stdin ? child.stdin.getWriter() : undefined;
  const write = (text: string) => {
    writer?.write(_encoder.encode(text)).catch(() => {});
  };
  return {
    pid: child.pid,
    write,
    end(text) {
      write(text);
      writer?.close().catch(() => {});
    },
  };
}

interface _Bun {
  spawn(options: {
    cmd: string[];
    cwd?: string;
    env: Record<string, string>;
    stdin: "pipe" | "ignore";
    stdout: "pipe" | "ignore";
    stderr: "ignore";
    detached: boolean;
  }): _BunChild;
}

interface _BunChild {
  readonly pid: number;
  readonly stdin?: {
    write(text: string): unknown;
    flush(): unknown;
    end(): unknown;
  };
  readonly stdout?: ReadableStream<Uint8Array>;
  readonly exited: Promise<number>;
  readonly exitCode: number | null;
  readonly signalCode: NodeJS.Signals | null;
}

function _bunSpawn(
  bun: _Bun,
  file: string,
  args: readonly string[],
  options: SpawnOptions,
): SpawnedChild {
  const child = bun.spawn({
    cmd: [file, ...args],
    cwd: options.cwd,
    env: { ...options.env },
    stdin: options.stdin ? "pipe" : "ignore",
    stdout: options.onOutput ? "pipe" : "ignore",
    stderr: "ignore",
    detached: true,
  });
  const onOutput = options.onOutput;
  const stdout = child.stdout;
  if (onOutput && stdout) {
    (async () => {
      const reader = stdout.getReader();
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done || !value) break;
          const full = onOutput(value);
          _free(value);
          if (full) await full;
        }
      } catch {
        // A failed read ends the output like its end.
      }
      options.onOutputEnd?.();
    })();
  }
  child.exited.then(() =>
    options.onExit(
      child.signalCode
        ? { code: null, signal: child.signalCode }
        : { code: child.exitCode, signal: null },
    )
  );
  const stdin = child.stdin;
  // The sink throws or rejects once the child is gone (EPIPE).
  const guard = (f: () => unknown) => {
    try {
      const r = f();
      if (r instanceof Promise) r.catch(() => {});
    } catch {
      // It exited.
    }
  };
  return {
    pid: child.pid,
    write(text) {
      if (!stdin) return;
      guard(() => stdin.write(text));
      guard(() => stdin.flush());
    },
    end(text) {
      if (!stdin) return;
      guard(() => stdin.write(text));
      guard(() => stdin.end());
    },
  };
}

/**
 * Frees a chunk Bun read, once used, by transferring its buffer to an
 * empty one. Bun hands each read a fresh buffer of its own (up to 256 KiB
 * from a flooding child), which JavaScriptCore would free only at its
 * next collection: during a 2M-line flood that garbage raised the
 * binary's peak RSS from about 44 to 54 MB (medians of 11 runs), and a
 * forced GC every 4 MiB bought less, at a cost in time. A buffer shared
 * with anything else (a view into a larger one) is left alone.
 */
function _free(chunk: Uint8Array): void {
  const buffer = chunk.buffer as ArrayBuffer & {
    transfer?: (length: number) => ArrayBuffer;
  };
  if (chunk.byteOffset === 0 && chunk.byteLength === buffer.byteLength) {
    buffer.transfer?.(0);
  }
}

/**
 * `node:child_process`'s spawn, loaded only on Node (see
 * {@linkcode spawnChild}): `process.getBuiltinModule` where it exists
 * (Node 20.16 and later), else a top-level import.
 */
const _nodeChildProcess: { spawn: typeof nodeSpawn } | undefined =
  _deno() || (globalThis as { Bun?: unknown }).Bun
    ? undefined
    : (process.getBuiltinModule?.("node:child_process") as
      | { spawn: typeof nodeSpawn }
      | undefined) ?? await import("node:child_process");

function _nodeSpawn(
  file: string,
  args: readonly string[],
  options: SpawnOptions,
): SpawnedChild {
  const child: ChildProcess = _nodeChildProcess!.spawn(file, [...args], {
    cwd: options.cwd,
    env: options.env,
    detached: true,
    stdio: [
      options.stdin ? "pipe" : "ignore",
      options.onOutput ? "pipe" : "ignore",
      "ignore",
    ],
  });
  const { stdin, stdout } = child;
  stdin?.on("error", () => {});
  const onOutput = options.onOutput;
  if (onOutput && stdout) {
    stdout.on("data", (chunk: Uint8Array) => {
      const full = onOutput(chunk);
      if (full) {
        stdout.pause();
        full.then(() => stdout.resume());
      }
    });
    stdout.once("close", () => options.onOutputEnd?.());
    stdout.on("error", () => {});
  }
  child.once("error", (error: Error) => {
    // An error once it runs (a failed kill) is not a failed start.
    if (child.pid === undefined) options.onError(error.message);
  });
  child.once("exit", (code: number | null, signal: NodeJS.Signals | null) => {
    options.onExit({ code, signal });
  });
  return {
    pid: child.pid,
    write(text) {
      stdin?.write(text);
    },
    end(text) {
      stdin?.end(text);
    },
  };
}
