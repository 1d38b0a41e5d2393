/**
 * Log files: each process's lines also go to `DIR/NAME.log`, appended
 * across runs, rotated to `NAME.log.1` past a size cap.
 *
 * Writes are queued and done asynchronously, the queued chunks together,
 * so the event loop never waits on the disk. A disk slower than
 * the output pushes back, as tend's stdout does: once
 * {@linkcode LOG_QUEUE_LIMIT} bytes wait for a file, its process is paused
 * until they are written, so the file misses no line and memory stays
 * bounded. A disk that stops (one write pending for
 * {@linkcode LOG_STALL_MS}: a hung network mount) must not stop the
 * processes, so from then on, until that write completes, the file's lines
 * are dropped and counted, and a `log-dropped` event (in the file and on
 * stdout) says how many. A file that cannot be written (a full disk, an
 * unwritable directory) is one `log-failed` event, and tend goes on without
 * it.
 *
 * Files are created 0600 and a directory tend creates 0700: process output
 * often holds secrets (tokens in URLs, stack traces with settings). Files
 * and directories that exist keep their modes.
 *
 * @module
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { errorText, LogFile, type LogShared } from "./_log_file.ts";
import type { TendEvent } from "./events.ts";
import type { ByteSink } from "./sink.ts";

/** The size past which a log file is rotated, unless told otherwise. */
export const DEFAULT_LOG_MAX_SIZE = 10 << 20;
/** Bytes that may wait for the disk per file before its process waits. */
export const LOG_QUEUE_LIMIT = 1 << 20;
/** A write pending this long means the disk stopped: lines are dropped. */
export const LOG_STALL_MS = 1000;
/** How long {@linkcode LogDir.close} waits for a disk that is not stalled. */
export const LOG_CLOSE_MS = 2000;

/** Options for {@linkcode openLogDir}. */
export interface LogDirOptions {
  /** Rotate a file before it grows past this many bytes; 0 never does. */
  maxSize?: number;
  /** Bytes that may wait per file (default {@linkcode LOG_QUEUE_LIMIT}). */
  queueLimit?: number;
  /** Milliseconds a write may pend before lines are dropped. */
  stallMs?: number;
}

/** A log event: something about the files that the user must hear. */
export type LogEvent = Extract<
  TendEvent,
  { event: "log-failed" } | { event: "log-dropped" }
>;

/**
 * The log files of a run, one per instance name. Open it with
 * {@linkcode openLogDir}; a printer writes to {@linkcode LogDir.file}.
 */
export class LogDir {
  /** The directory. */
  readonly dir: string;
  readonly #files = new Map<string, LogFile>();
  readonly #shared: LogShared;
  #listener?: (event: LogEvent) => void;
  #early: LogEvent[] = [];

  /** Use {@linkcode openLogDir}. */
  constructor(dir: string, options: LogDirOptions = {}) {
    this.dir = dir;
    this.#shared = {
      limit: options.queueLimit ?? LOG_QUEUE_LIMIT,
      maxSize: options.maxSize ?? DEFAULT_LOG_MAX_SIZE,
      stallMs: options.stallMs ?? LOG_STALL_MS,
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
        message: errorText(error),
      });
      return;
    }
    for (const name of names) {
      const path = join(this.dir, `${name}.log`);
      try {
        this.#files.set(name, new LogFile(name, path, this.#shared));
      } catch (error) {
        this.#shared.emit({
          event: "log-failed",
          name,
          path,
          message: errorText(error),
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
