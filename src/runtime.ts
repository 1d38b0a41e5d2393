/**
 * The only module that knows which runtime it runs on (Deno, Bun or Node):
 * the stdout writer, TTY detection, signal hooks and exiting. Everything
 * else is plain TypeScript over `node:` built-ins.
 *
 * @module
 */
import process from "node:process";

/** A writable byte stream with backpressure, such as tend's stdout. */
export interface ByteSink {
  /**
   * Queues bytes in order. Returns `undefined` when the caller may go on
   * writing, or a promise that settles when the queue has drained enough:
   * callers pause their sources until then, so memory stays bounded.
   * `done`, if given, may be called once the sink is finished with `bytes`
   * (they were written), so the caller can reuse the buffer; a sink need
   * not ever call it.
   */
  write(bytes: Uint8Array, done?: () => void): Promise<void> | undefined;
  /** Settles when everything queued so far is written, or the sink broke. */
  flush(): Promise<void>;
  /** True once a write failed (the reader went away); later writes are dropped. */
  readonly broken: boolean;
}

/** The primitive a {@linkcode QueuedSink} writes with: writes all of `bytes`. */
export type WriteAll = (bytes: Uint8Array) => Promise<void>;

interface _DenoFile {
  write(p: Uint8Array): Promise<number>;
  isTerminal(): boolean;
}
interface _DenoNamespace {
  stdout: _DenoFile;
  stderr: _DenoFile;
  args: readonly string[];
  version: { deno: string };
}

/** The `Deno` namespace when running on Deno, else undefined. */
function _deno(): _DenoNamespace | undefined {
  return (globalThis as { Deno?: _DenoNamespace }).Deno;
}

/** Which runtime tend is running on. */
export function runtimeName(): "deno" | "bun" | "node" {
  if (_deno()) return "deno";
  if ((globalThis as { Bun?: unknown }).Bun) return "bun";
  return "node";
}

const _HIGH_WATER = 1 << 20;

/**
 * A sink that queues writes and pumps them through one `writeAll` at a
 * time. Writers get a promise to wait on once more than 1 MiB is queued.
 *
 * @example
 * ```ts
 * import { QueuedSink } from "./runtime.ts";
 * const parts: Uint8Array[] = [];
 * const sink = new QueuedSink(async (b) => { parts.push(b); });
 * sink.write(new TextEncoder().encode("hi\n"));
 * await sink.flush();
 * console.assert(parts.length === 1);
 * ```
 */
export class QueuedSink implements ByteSink {
  #queue: Uint8Array[] = [];
  /** The `done` of each queued buffer, when this sink calls them. */
  #dones: ((() => void) | undefined)[] = [];
  #queued = 0;
  #pumping = false;
  #broken = false;
  #waiters: (() => void)[] = [];
  #idle: (() => void)[] = [];
  /** When the write in flight began (ms since the epoch); 0 when none is. */
  #writeStarted = 0;
  #stallLimit?: number;
  #stallTimer?: ReturnType<typeof setTimeout>;
  readonly #writeAll: WriteAll;
  readonly #onBroken?: (error: unknown) => void;
  readonly #reuse: boolean;

  /**
   * Makes an empty sink.
   *
   * @param writeAll writes one buffer completely
   * @param onBroken called once, when a write fails
   * @param reuse true when `writeAll` keeps no hold of a buffer once it has
   *   settled: the sink then calls each write's `done`, and writers reuse
   *   their buffers instead of asking the allocator for fresh pages
   */
  constructor(
    writeAll: WriteAll,
    onBroken?: (error: unknown) => void,
    reuse = false,
  ) {
    this.#writeAll = writeAll;
    this.#onBroken = onBroken;
    this.#reuse = reuse;
  }

  get broken(): boolean {
    return this.#broken;
  }

  write(bytes: Uint8Array, done?: () => void): Promise<void> | undefined {
    if (this.#broken || bytes.length === 0) return undefined;
    this.#queue.push(bytes);
    this.#dones.push(this.#reuse ? done : undefined);
    this.#queued += bytes.length;
    if (!this.#pumping) this.#pump();
    if (this.#queued <= _HIGH_WATER) return undefined;
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  flush(): Promise<void> {
    // A write stuck on a reader that was given up on may never settle.
    if (!this.#pumping || this.#broken) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /**
   * From now on, gives up on a reader that stops reading: once a single
   * write has waited `ms`, counted from when it began (so a reader that is
   * already stalled is given up on at once), the sink breaks as if the
   * write had failed. What is queued is dropped, waiting writers and
   * flushers are released and `onBroken` is called. Without this a stalled
   * stdout holds every source paused and `flush()` pending forever, so tend
   * could not stop; it is meant for shutting down, when waiting on the
   * reader must end.
   *
   * @example
   * ```ts
   * import { QueuedSink } from "./runtime.ts";
   * const sink = new QueuedSink(() => new Promise<void>(() => {})); // never drains
   * sink.write(new Uint8Array(2 << 20));
   * sink.limitStall(10);
   * await sink.flush(); // settles once the stuck write is given up on
   * console.assert(sink.broken);
   * ```
   */
  limitStall(ms: number): void {
    this.#stallLimit = ms;
    this._armStall();
  }

  async #pump(): Promise<void> {
    this.#pumping = true;
    try {
      while (this.#queue.length > 0 && !this.#broken) {
        // Buffers go out one by one: joining them would copy every byte
        // once more, which costs more than the extra write calls.
        const batch = this.#queue;
        const dones = this.#dones;
        this.#queue = [];
        this.#dones = [];
        for (let i = 0; i < batch.length; i++) {
          const bytes = batch[i];
          this.#writeStarted = Date.now();
          this._armStall();
          await this.#writeAll(bytes);
          // Given up on while this write was stuck: the queue is gone.
          if (this.#broken) break;
          dones[i]?.();
          this.#queued -= bytes.length;
          if (this.#queued <= _HIGH_WATER) this._release();
        }
      }
    } catch (error) {
      this._break(error);
    } finally {
      this.#writeStarted = 0;
      this._armStall();
      this.#pumping = false;
      this._release();
      for (const resolve of this.#idle.splice(0)) resolve();
    }
  }

  /** (Re)starts the stall timer for the write in flight, if limited. */
  private _armStall(): void {
    if (this.#stallTimer !== undefined) clearTimeout(this.#stallTimer);
    this.#stallTimer = undefined;
    if (
      this.#stallLimit === undefined || this.#writeStarted === 0 ||
      this.#broken
    ) return;
    const left = this.#writeStarted + this.#stallLimit - Date.now();
    this.#stallTimer = setTimeout(
      () =>
        this._break(new Error("stdout stalled: its reader stopped reading")),
      Math.max(0, left),
    );
  }

  /** Drops everything queued, releases all waiters, reports the cause once. */
  private _break(error: unknown): void {
    if (this.#broken) return;
    this.#broken = true;
    this.#queue = [];
    this.#dones = [];
    this.#queued = 0;
    this.#onBroken?.(error);
    this._release();
    for (const resolve of this.#idle.splice(0)) resolve();
  }

  /** Wakes writers waiting for room: called when the queue was taken. */
  private _release(): void {
    for (const resolve of this.#waiters.splice(0)) resolve();
  }
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
