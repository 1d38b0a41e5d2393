/**
 * What differs between the runtimes (Deno, Bun and Node) lives here and in
 * two siblings: this module has the stdout writer, TTY detection, signal
 * hooks, exiting and appending to files; `runtime_spawn.ts` starts child
 * processes with each runtime's own API, and `runtime_libc.ts` reaches the
 * libc calls tend needs through each runtime's FFI. Everything else is
 * plain TypeScript over `node:` built-ins.
 *
 * @module
 */
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
}

/**
 * The `Deno` namespace when running on Deno, else undefined; `T` names the
 * part of it the caller uses (tend type-checks against Node's types too).
 */
export function denoNamespace<T = _DenoNamespace>(): T | undefined {
  return (globalThis as unknown as { Deno?: T }).Deno;
}

function _deno(): _DenoNamespace | undefined {
  return denoNamespace<_DenoNamespace>();
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
