/**
 * Starting a child process with each runtime's own API: `Deno.Command` on
 * Deno (stdout read into one reused buffer), `Bun.spawn` on Bun (each
 * chunk freed once used), `node:child_process` on Node. Measured: Deno's
 * and Bun's `node:child_process` kept 10-15 MB more during an output flood.
 *
 * @module
 */
import type { ChildProcess, spawn as nodeSpawn } from "node:child_process";
import process from "node:process";
import { denoNamespace } from "./runtime.ts";

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
 * import { spawnChild } from "./runtime_spawn.ts";
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
  const deno = denoNamespace<_DenoCommand>();
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

/** The part of the `Deno` namespace this module uses. */
interface _DenoCommand {
  Command: new (file: string, options: _DenoCommandOptions) => {
    spawn(): _DenoChild;
  };
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
  deno: _DenoCommand,
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
  denoNamespace() || (globalThis as { Bun?: unknown }).Bun
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
