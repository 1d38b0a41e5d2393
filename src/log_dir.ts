/**
 * Log files: each process's lines also go to `DIR/NAME.log`, appended
 * across runs, rotated to `NAME.log.1` past a size cap.
 *
 * The files come second to the terminal, so they never slow it or the
 * processes down: writes are queued and done asynchronously, at most
 * {@linkcode LOG_QUEUE_LIMIT} bytes wait in memory for all files together,
 * and when the disk is slower than the output whole chunks of lines are
 * dropped and counted rather than pushed back on the processes; a
 * `log-dropped` event says how many once the file catches up. A file that
 * cannot be written (a full disk, an unwritable directory) is one
 * `log-failed` event, and tend goes on without it.
 *
 * Files are created 0600 and a directory tend creates 0700: process output
 * often holds secrets (tokens in URLs, stack traces with settings). Files
 * and directories that exist keep their modes.
 *
 * @module
 */
import {
  close,
  fstatSync,
  mkdirSync,
  open,
  openSync,
  rename,
  write,
} from "node:fs";
import { join } from "node:path";
import type { TendEvent } from "./events.ts";
import type { ByteSink } from "./sink.ts";

/** The size past which a log file is rotated, unless told otherwise. */
export const DEFAULT_LOG_MAX_SIZE = 10 << 20;
/** Bytes that may wait for the disk, for all files together. */
export const LOG_QUEUE_LIMIT = 16 << 20;
/** How long {@linkcode LogDir.close} waits for the disk. */
export const LOG_CLOSE_MS = 2000;
/** At most one `log-dropped` event a file in this many milliseconds. */
const _NOTICE_MS = 1000;
const _NL = 0x0a;

/** Options for {@linkcode openLogDir}. */
export interface LogDirOptions {
  /** Rotate a file before it grows past this many bytes; 0 never does. */
  maxSize?: number;
  /** Bytes that may wait for the disk (default {@linkcode LOG_QUEUE_LIMIT}). */
  queueLimit?: number;
}

/** A log event: something about the files that the user must hear. */
export type LogEvent = Extract<
  TendEvent,
  { event: "log-failed" } | { event: "log-dropped" }
>;

/** The error's message, led by its code (`ENOSPC: ...`) on every runtime. */
function _message(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" && !error.message.startsWith(code)
    ? `${code}: ${error.message}`
    : error.message;
}

function _newlines(bytes: Uint8Array): number {
  let n = 0;
  for (let i = bytes.indexOf(_NL); i !== -1; i = bytes.indexOf(_NL, i + 1)) {
    n++;
  }
  return n;
}

/** Calls `fn` with a node-style callback and settles with its result. */
function _call<T>(fn: (done: (e: unknown, v: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) =>
    fn((error, value) => (error ? reject(error) : resolve(value)))
  );
}

/** The shared state of a directory's files. */
interface _Shared {
  queued: number;
  readonly limit: number;
  readonly maxSize: number;
  emit(event: LogEvent): void;
}

/**
 * One log file as a {@linkcode ByteSink} that never pushes back: bytes
 * beyond the queue limit are dropped and counted. Each write must hold
 * whole lines; rotation happens between lines.
 */
class _LogFile implements ByteSink {
  readonly name: string;
  readonly path: string;
  #fd: number | undefined;
  #size: number;
  #queue: Uint8Array[] = [];
  #dones: ((() => void) | undefined)[] = [];
  #pumping?: Promise<void>;
  #broken = false;
  #dropped = 0;
  #noticed = 0;
  readonly #shared: _Shared;

  constructor(name: string, path: string, fd: number, shared: _Shared) {
    this.name = name;
    this.path = path;
    this.#fd = fd;
    this.#size = fstatSync(fd).size;
    this.#shared = shared;
  }

  get broken(): boolean {
    return this.#broken;
  }

  write(bytes: Uint8Array, done?: () => void): undefined {
    if (this.#broken || bytes.length === 0) {
      done?.();
      return;
    }
    const shared = this.#shared;
    if (shared.queued + bytes.length > shared.limit) {
      this.#dropped += _newlines(bytes);
      done?.();
      return;
    }
    if (this.#dropped > 0 && Date.now() - this.#noticed >= _NOTICE_MS) {
      this.notice();
    }
    shared.queued += bytes.length;
    this.#queue.push(bytes);
    this.#dones.push(done);
    this.#pumping ??= this.#pump().finally(() => (this.#pumping = undefined));
  }

  /** Reports lines dropped since the last notice, if any. */
  notice(): void {
    if (this.#dropped === 0 || this.#broken) return;
    const lines = this.#dropped;
    this.#dropped = 0;
    this.#noticed = Date.now();
    // The listener may write the notice to this file: it goes first.
    this.#shared.emit({
      event: "log-dropped",
      name: this.name,
      path: this.path,
      lines,
    });
  }

  flush(): Promise<void> {
    return this.#pumping ?? Promise.resolve();
  }

  /** Closes the file; what is still queued is dropped. */
  close(): void {
    this.#fail();
  }

  async #pump(): Promise<void> {
    while (this.#queue.length > 0 && !this.#broken) {
      const bytes = this.#queue.shift()!;
      const done = this.#dones.shift();
      try {
        await this.#writeLines(bytes);
      } catch (error) {
        this.#fail(error);
      } finally {
        this.#shared.queued -= bytes.length;
        done?.();
      }
    }
  }

  /** Writes whole lines, rotating first when they would pass the cap. */
  async #writeLines(bytes: Uint8Array): Promise<void> {
    const max = this.#shared.maxSize;
    let at = 0;
    while (at < bytes.length && this.#fd !== undefined) {
      let end = bytes.length;
      if (max > 0 && this.#size + (end - at) > max) {
        const room = max - this.#size;
        const cut = room > 0 ? bytes.lastIndexOf(_NL, at + room - 1) : -1;
        if (cut >= at) end = cut + 1;
        else if (this.#size > 0) {
          await this.#rotate();
          continue;
        } else {
          // A line longer than the cap goes whole into a file of its own.
          end = bytes.indexOf(_NL, at) + 1 || bytes.length;
        }
      }
      const fd = this.#fd;
      const from = at;
      while (at < end) {
        at += await _call<number>((cb) =>
          write(fd, bytes, at, end - at, null, cb)
        );
      }
      this.#size += end - from;
    }
  }

  /** NAME.log becomes NAME.log.1 (replacing it) and a new NAME.log opens. */
  async #rotate(): Promise<void> {
    const fd = this.#fd!;
    this.#fd = undefined;
    await _call<void>((cb) => close(fd, (e) => cb(e, undefined)));
    await _call<void>((cb) =>
      rename(this.path, this.path + ".1", (e) => cb(e, undefined))
    );
    this.#fd = await _call<number>((cb) => open(this.path, "a", 0o600, cb));
    this.#size = 0;
  }

  /** Stops writing: closes the file, drops the queue, reports `error`. */
  #fail(error?: unknown): void {
    if (this.#broken) return;
    this.#broken = true;
    for (const bytes of this.#queue) this.#shared.queued -= bytes.length;
    for (const done of this.#dones) done?.();
    this.#queue = [];
    this.#dones = [];
    if (this.#fd !== undefined) close(this.#fd, () => {});
    this.#fd = undefined;
    if (error !== undefined) {
      this.#shared.emit({
        event: "log-failed",
        name: this.name,
        path: this.path,
        message: _message(error),
      });
    }
  }
}

/**
 * The log files of a run, one per instance name. Open it with
 * {@linkcode openLogDir}; a printer writes to {@linkcode LogDir.file}.
 */
export class LogDir {
  /** The directory. */
  readonly dir: string;
  readonly #files = new Map<string, _LogFile>();
  readonly #shared: _Shared;
  #listener?: (event: LogEvent) => void;
  #early: LogEvent[] = [];

  /** Use {@linkcode openLogDir}. */
  constructor(dir: string, options: LogDirOptions = {}) {
    this.dir = dir;
    this.#shared = {
      queued: 0,
      limit: options.queueLimit ?? LOG_QUEUE_LIMIT,
      maxSize: options.maxSize ?? DEFAULT_LOG_MAX_SIZE,
      emit: (event) => {
        if (this.#listener) this.#listener(event);
        else this.#early.push(event);
      },
    };
  }

  /**
   * Sends every log event to `listener`, starting with those that came
   * before (a directory or file that could not be opened).
   */
  listen(listener: (event: LogEvent) => void): void {
    this.#listener = listener;
    for (const event of this.#early.splice(0)) listener(event);
  }

  /** The sink of `name`'s file; undefined when it has none or it failed. */
  file(name: string): ByteSink | undefined {
    const file = this.#files.get(name);
    return file && !file.broken ? file : undefined;
  }

  /** Opens the files now; see {@linkcode openLogDir}. */
  openFiles(names: readonly string[]): void {
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    } catch (error) {
      this.#shared.emit({
        event: "log-failed",
        path: this.dir,
        message: _message(error),
      });
      return;
    }
    for (const name of names) {
      const path = join(this.dir, `${name}.log`);
      try {
        const fd = openSync(path, "a", 0o600);
        this.#files.set(name, new _LogFile(name, path, fd, this.#shared));
      } catch (error) {
        this.#shared.emit({
          event: "log-failed",
          name,
          path,
          message: _message(error),
        });
      }
    }
  }

  /**
   * Writes what is queued (waiting at most `ms` for the disk), reports
   * lines still counted as dropped, and closes every file.
   */
  async close(ms: number = LOG_CLOSE_MS): Promise<void> {
    for (const file of this.#files.values()) file.notice();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    });
    await Promise.race([
      Promise.all([...this.#files.values()].map((f) => f.flush())),
      late,
    ]);
    clearTimeout(timer);
    for (const file of this.#files.values()) file.close();
  }
}

/**
 * Creates `dir` (0700) if needed and opens `NAME.log` (0600, appending) for
 * each name. Problems become `log-failed` events for
 * {@linkcode LogDir.listen}, not errors: tend runs on without the files.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mkdtempSync, readFileSync } from "node:fs";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { openLogDir } from "./log_dir.ts";
 * const dir = join(mkdtempSync(join(tmpdir(), "logs-")), "logs");
 * const logs = openLogDir(dir, ["web.1"]);
 * logs.file("web.1")!.write(new TextEncoder().encode("hello\n"));
 * await logs.close();
 * assert.equal(readFileSync(join(dir, "web.1.log"), "utf8"), "hello\n");
 * ```
 */
export function openLogDir(
  dir: string,
  names: readonly string[],
  options: LogDirOptions = {},
): LogDir {
  const logs = new LogDir(dir, options);
  logs.openFiles(names);
  return logs;
}
