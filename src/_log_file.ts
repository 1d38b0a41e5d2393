/**
 * One log file of `log_dir.ts`: its queue, its writes (the queued chunks
 * together, through `openAppend` of `runtime.ts`), rotation between lines,
 * pushing back, dropping while stalled. Private to `log_dir.ts`.
 *
 * @module
 */
import { rename } from "node:fs/promises";
import type { LogEvent } from "./log_dir.ts";
import { type AppendFile, openAppend } from "./runtime.ts";
import type { ByteSink } from "./sink.ts";

/** At most one `log-dropped` event a file in this many milliseconds. */
const _NOTICE_MS = 1000;
/** Buffers in one write, below every system's IOV_MAX. */
const _BATCH = 512;
const _NL = 0x0a;

/** The error's message, led by its code (`ENOSPC: ...`) on every runtime. */
export function errorText(error: unknown): string {
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

/** What a directory's files share. */
export interface LogShared {
  readonly limit: number;
  readonly maxSize: number;
  readonly stallMs: number;
  emit(event: LogEvent): void;
}

/**
 * One log file as a {@linkcode ByteSink}: pushes back past the queue
 * limit, drops and counts while a write is stalled. Each write must hold
 * whole lines; rotation happens between lines.
 */
export class LogFile implements ByteSink {
  readonly name: string;
  readonly path: string;
  #file: AppendFile | undefined;
  #size: number;
  #queue: Uint8Array[] = [];
  #dones: ((() => void) | undefined)[] = [];
  #queued = 0;
  /** The pump while it runs; cleared by the pump itself as it ends. */
  #pumping?: Promise<void>;
  /** When the write in flight began; 0 when none is. */
  #writeStarted = 0;
  #waiters: (() => void)[] = [];
  #waitTimer?: ReturnType<typeof setTimeout>;
  #broken = false;
  #dropped = 0;
  #noticed = 0;
  readonly #shared: LogShared;

  constructor(name: string, path: string, shared: LogShared) {
    this.name = name;
    this.path = path;
    this.#file = openAppend(path, 0o600);
    this.#size = this.#file.size;
    this.#shared = shared;
  }

  get broken(): boolean {
    return this.#broken;
  }

  write(bytes: Uint8Array, done?: () => void): Promise<void> | undefined {
    if (this.#broken || bytes.length === 0) {
      done?.();
      return undefined;
    }
    const { limit, stallMs } = this.#shared;
    if (this.#queued + bytes.length > limit && this.#stalled()) {
      this.#dropped += _newlines(bytes);
      done?.();
      return undefined;
    }
    if (this.#dropped > 0 && Date.now() - this.#noticed >= _NOTICE_MS) {
      this.notice();
    }
    this.#queued += bytes.length;
    this.#queue.push(bytes);
    this.#dones.push(done);
    this.#pumping ??= this.#pump();
    if (this.#queued <= limit) return undefined;
    // Released when the queue drains, or when the write in flight has
    // taken too long: the disk stopped, and later lines will be dropped.
    this.#waitTimer ??= setTimeout(() => this.#release(), stallMs);
    return new Promise((resolve) => this.#waiters.push(resolve));
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

  /** Settles once the queue is written, at once when the disk stalled. */
  flush(): Promise<void> {
    if (this.#stalled()) return Promise.resolve();
    return this.#pumping ?? Promise.resolve();
  }

  /** True while a write has been pending for the stall limit or longer. */
  #stalled(): boolean {
    return this.#writeStarted !== 0 &&
      Date.now() - this.#writeStarted >= this.#shared.stallMs;
  }

  /** Closes the file; what is still queued is dropped. */
  close(): void {
    this.#fail();
  }

  async #pump(): Promise<void> {
    const max = this.#shared.maxSize;
    // #pumping is cleared in the same step as the queue is found empty.
    // Cleared a microtask later (a `.finally`, or after awaiting another
    // async function), a line written in between found the pump still
    // set, started none, and was never written: a process's last event
    // went missing from its file when its output and its exit came close
    // together (4 runs in 15 on Deno, with children started by
    // Deno.Command).
    try {
      while (this.#queue.length > 0 && !this.#broken) {
        // As many queued chunks as fit before the cap go in one writev; the
        // first one alone when it does not fit, to be cut between lines.
        let count = 1;
        let size = this.#queue[0].length;
        while (count < this.#queue.length && count < _BATCH) {
          const next = this.#queue[count].length;
          if (max > 0 && this.#size + size + next > max) break;
          size += next;
          count++;
        }
        const batch = this.#queue.splice(0, count);
        const dones = this.#dones.splice(0, count);
        this.#writeStarted = Date.now();
        try {
          if (count === 1) await this.#writeLines(batch[0]);
          else {
            await this.#file!.write(batch);
            this.#size += size;
          }
        } catch (error) {
          this.#fail(error);
        } finally {
          this.#writeStarted = 0;
          if (!this.#broken) this.#queued -= size;
          for (const done of dones) done?.();
          if (this.#queued <= this.#shared.limit) this.#release();
        }
      }
    } finally {
      this.#pumping = undefined;
    }
  }

  /** Writes whole lines, rotating first when they would pass the cap. */
  async #writeLines(bytes: Uint8Array): Promise<void> {
    const max = this.#shared.maxSize;
    let at = 0;
    while (at < bytes.length && this.#file !== undefined) {
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
      await this.#file.write([bytes.subarray(at, end)]);
      this.#size += end - at;
      at = end;
    }
  }

  /** NAME.log becomes NAME.log.1 (replacing it) and a new NAME.log opens. */
  async #rotate(): Promise<void> {
    this.#file!.close();
    this.#file = undefined;
    await rename(this.path, this.path + ".1");
    this.#file = openAppend(this.path, 0o600);
    this.#size = 0;
  }

  /** Wakes the processes waiting for room. */
  #release(): void {
    clearTimeout(this.#waitTimer);
    this.#waitTimer = undefined;
    for (const resolve of this.#waiters.splice(0)) resolve();
  }

  /** Stops writing: closes the file, drops the queue, reports `error`. */
  #fail(error?: unknown): void {
    if (this.#broken) return;
    this.#broken = true;
    for (const done of this.#dones) done?.();
    this.#queue = [];
    this.#dones = [];
    this.#queued = 0;
    this.#release();
    this.#file?.close();
    this.#file = undefined;
    if (error !== undefined) {
      this.#shared.emit({
        event: "log-failed",
        name: this.name,
        path: this.path,
        message: errorText(error),
      });
    }
  }
}
