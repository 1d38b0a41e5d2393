/**
 * Byte sinks: where merged output goes. {@linkcode QueuedSink} queues
 * buffers in order, writes them one at a time and pushes back on writers
 * once too much is queued, so a slow reader bounds tend's memory instead of
 * growing it.
 *
 * @module
 */

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

const _HIGH_WATER = 1 << 20;

/**
 * A sink that queues writes and pumps them through one `writeAll` at a
 * time. Writers get a promise to wait on once more than 1 MiB is queued.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { QueuedSink } from "./sink.ts";
 * const parts: Uint8Array[] = [];
 * const sink = new QueuedSink(async (b) => { parts.push(b); });
 * sink.write(new TextEncoder().encode("hi\n"));
 * await sink.flush();
 * assert.equal(parts.length, 1);
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
   * import assert from "node:assert/strict";
   * import { QueuedSink } from "./sink.ts";
   * const sink = new QueuedSink(() => new Promise<void>(() => {})); // never drains
   * sink.write(new Uint8Array(2 << 20));
   * sink.limitStall(10);
   * await sink.flush(); // settles once the stuck write is given up on
   * assert.ok(sink.broken);
   * ```
   */
  limitStall(ms: number): void {
    this.#stallLimit = ms;
    this.#armStall();
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
          this.#armStall();
          await this.#writeAll(bytes);
          // Given up on while this write was stuck: the queue is gone.
          if (this.#broken) break;
          dones[i]?.();
          this.#queued -= bytes.length;
          if (this.#queued <= _HIGH_WATER) this.#release();
        }
      }
    } catch (error) {
      this.#break(error);
    } finally {
      this.#writeStarted = 0;
      this.#armStall();
      this.#pumping = false;
      this.#release();
      for (const resolve of this.#idle.splice(0)) resolve();
    }
  }

  /** (Re)starts the stall timer for the write in flight, if limited. */
  #armStall(): void {
    if (this.#stallTimer !== undefined) clearTimeout(this.#stallTimer);
    this.#stallTimer = undefined;
    if (
      this.#stallLimit === undefined || this.#writeStarted === 0 ||
      this.#broken
    ) return;
    const left = this.#writeStarted + this.#stallLimit - Date.now();
    this.#stallTimer = setTimeout(
      () =>
        this.#break(new Error("stdout stalled: its reader stopped reading")),
      Math.max(0, left),
    );
  }

  /** Drops everything queued, releases all waiters, reports the cause once. */
  #break(error: unknown): void {
    if (this.#broken) return;
    this.#broken = true;
    this.#queue = [];
    this.#dones = [];
    this.#queued = 0;
    this.#onBroken?.(error);
    this.#release();
    for (const resolve of this.#idle.splice(0)) resolve();
  }

  /** Wakes writers waiting for room: called when the queue was taken. */
  #release(): void {
    for (const resolve of this.#waiters.splice(0)) resolve();
  }
}
