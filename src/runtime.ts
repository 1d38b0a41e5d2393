/**
 * The only module that knows which runtime it runs on (Deno, Bun or Node):
 * the stdout writer, TTY detection, signal hooks, exiting, and the two libc
 * calls reached through the runtime's FFI. Everything else is plain
 * TypeScript over `node:` built-ins.
 *
 * @module
 */
import { close, fstatSync, openSync, writev } from "node:fs";
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
  dlopen(path: string, symbols: Record<string, unknown>): _Library<bigint>;
  permissions: { querySync(d: { name: "ffi" }): { state: string } };
}

/** A loaded libc with the two symbols tend uses; `W` is a 64-bit word. */
interface _Library<W> {
  symbols: {
    prctl(option: number, a: W, b: W, c: W, d: W): number;
    waitpid(pid: number, status: Int32Array, options: number): number;
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
}

const _PR_SET_CHILD_SUBREAPER = 36;
const _WNOHANG = 1;
const _LIBC = "libc.so.6";
const _SYMBOLS = {
  prctl: { types: ["i32", "u64", "u64", "u64", "u64"], result: "i32" },
  waitpid: { types: ["i32", "buffer", "i32"], result: "i32" },
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
            returns: s.result,
          }]),
        ),
      );
      return {
        setChildSubreaper: () =>
          lib.symbols.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) === 0,
        reap: (pid) => lib.symbols.waitpid(pid, status, _WNOHANG) === pid,
      };
    }
  } catch {
    // No libc.so.6 (musl), or the FFI refused: do without.
  }
  return undefined;
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
  const fd = openSync(path, "a", mode);
  return {
    size: fstatSync(fd).size,
    async write(buffers) {
      buffers = buffers.slice();
      while (buffers.length > 0) {
        let n = await new Promise<number>((resolve, reject) =>
          writev(fd, buffers, null, (e, n) => (e ? reject(e) : resolve(n)))
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
