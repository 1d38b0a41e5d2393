/**
 * Lines: splitting a child's output into whole lines and prefixing each,
 * in batches. This is tend's hot path.
 *
 * Each chunk a child writes is scanned for `\n`, every complete line gets
 * its prefix, and the whole chunk becomes one buffer and one write. A
 * partial line waits for the rest of its bytes, so no line is ever torn or
 * interleaved with another process's line, and bytes that are not UTF-8
 * pass through untouched.
 *
 * @module
 */
import type { ByteSink } from "./sink.ts";

/** The longest line held in memory; a longer one is cut into pieces. */
export const MAX_LINE = 1 << 20;

const _NL = 0x0a;

function _alloc(size: number): Uint8Array {
  return new Uint8Array(size);
}

// Output buffers of a flood are recycled once written: fresh ones cost a
// zero-fill and a page fault per 4 KiB, more than the line splitting
// itself. Only large buffers are pooled, a few, each at most twice the size
// asked for, so memory stays bounded.
const _POOL_MIN = 1 << 14;
const _POOL_MAX = 1 << 22;
const _POOL_COUNT = 4;
const _pool: ArrayBuffer[] = [];

/** A buffer of `size` bytes, from the pool when one fits. */
function _take(size: number): Uint8Array {
  if (size < _POOL_MIN || size > _POOL_MAX) return new Uint8Array(size);
  for (let i = _pool.length - 1; i >= 0; i--) {
    const buffer = _pool[i];
    if (buffer.byteLength >= size && buffer.byteLength <= 2 * size) {
      _pool.splice(i, 1);
      return new Uint8Array(buffer, 0, size);
    }
  }
  // Round up so that the next chunk, a little larger or smaller, fits.
  let capacity = _POOL_MIN;
  while (capacity < size) capacity *= 2;
  return new Uint8Array(new ArrayBuffer(capacity), 0, size);
}

/** Gives a written buffer from {@linkcode _take} back to the pool. */
function _give(bytes: Uint8Array): void {
  const buffer = bytes.buffer as ArrayBuffer;
  if (buffer.byteLength < _POOL_MIN || buffer.byteLength > _POOL_MAX) return;
  if (_pool.length >= _POOL_COUNT) _pool.shift();
  _pool.push(buffer);
}

/** Newlines in `chunk[0..last]`; `chunk[last]` is one. */
function _countBytes(chunk: Uint8Array, last: number): number {
  let lines = 1;
  for (let i = 0; i < last; i++) if (chunk[i] === _NL) lines++;
  return lines;
}

/** Same as {@linkcode _countBytes}, for long lines. */
function _countLines(chunk: Uint8Array, last: number): number {
  let lines = 1;
  for (let i = chunk.indexOf(_NL); i < last; i = chunk.indexOf(_NL, i + 1)) {
    lines++;
  }
  return lines;
}

/**
 * Copies `chunk[0..last]` to `out` from `at`, with `prefix` after every
 * newline but the last. These loops live in small functions of their own
 * so that the JIT optimizes them early and whole.
 */
function _copyBytes(
  chunk: Uint8Array,
  last: number,
  out: Uint8Array,
  at: number,
  prefix: Uint8Array,
): void {
  const width = prefix.length;
  for (let i = 0; i < last; i++) {
    const b = chunk[i];
    out[at++] = b;
    if (b === _NL) {
      for (let j = 0; j < width; j++) out[at++] = prefix[j];
    }
  }
  out[at] = _NL;
}

/** Same as {@linkcode _copyBytes}, for long lines. */
function _copyLines(
  chunk: Uint8Array,
  last: number,
  out: Uint8Array,
  at: number,
  prefix: Uint8Array,
): void {
  const width = prefix.length;
  let start = 0;
  for (;;) {
    const end = chunk.indexOf(_NL, start) + 1;
    if (end - start < 64) {
      for (let i = start; i < end; i++) out[at++] = chunk[i];
    } else {
      out.set(chunk.subarray(start, end), at);
      at += end - start;
    }
    if (end > last) return;
    start = end;
    for (let j = 0; j < width; j++) out[at++] = prefix[j];
  }
}

/**
 * What a {@linkcode LineStream} splits with: takes chunks, returns whole
 * lines formatted after `prefix`. {@linkcode LineSplitter} prints them as
 * text; `JsonLineSplitter` (`json_lines.ts`) as JSON objects.
 */
export interface Splitter {
  /** The complete lines of `chunk`, in one buffer from `alloc`, if any. */
  push(
    chunk: Uint8Array,
    prefix: Uint8Array,
    alloc?: (size: number) => Uint8Array,
  ): Uint8Array | undefined;
  /** The final line, if it had no newline. */
  end(prefix: Uint8Array): Uint8Array | undefined;
}

/**
 * The same bytes as a plain Uint8Array: a Node Buffer's own indexOf and
 * subarray are several times slower than the typed array's on Deno.
 */
export function plainBytes(chunk: Uint8Array): Uint8Array {
  return chunk.constructor === Uint8Array
    ? chunk
    : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/**
 * The bytes of a line not ended yet, held across chunks, as the pieces
 * that came (copying them together only when the line is complete).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PartialLine } from "./lines.ts";
 * const held = new PartialLine(4);
 * held.hold(new TextEncoder().encode("he"));
 * held.hold(new TextEncoder().encode("llo"));
 * assert.equal(held.length, 5);
 * assert.ok(held.full);
 * assert.equal(held.take().length, 2);
 * assert.equal(held.length, 0);
 * ```
 */
export class PartialLine {
  #parts: Uint8Array[] = [];
  #length = 0;
  /** The longest line held; past it the held piece is emitted as a line. */
  readonly maxLine: number;

  /**
   * Holds nothing yet.
   *
   * @param maxLine longer lines are cut into pieces of this many bytes
   */
  constructor(maxLine: number = MAX_LINE) {
    this.maxLine = Math.max(1, maxLine);
  }

  /** How many bytes are held. */
  get length(): number {
    return this.#length;
  }

  /** True once as much is held as a line may hold. */
  get full(): boolean {
    return this.#length >= this.maxLine;
  }

  /** Holds `bytes` after what is held. */
  hold(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.#parts.push(bytes);
    this.#length += bytes.length;
  }

  /** Takes the pieces held, in order, and holds nothing after. */
  take(): Uint8Array[] {
    const parts = this.#parts;
    this.#parts = [];
    this.#length = 0;
    return parts;
  }
}

/**
 * Splits a byte stream into lines and prefixes each one. Holds at most
 * `maxLine` bytes of an unfinished line; past that the piece is emitted as a
 * line of its own so memory stays bounded.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LineSplitter } from "./lines.ts";
 * const s = new LineSplitter();
 * const p = new TextEncoder().encode("> ");
 * const out = s.push(new TextEncoder().encode("a\nb"), p);
 * assert.equal(new TextDecoder().decode(out), "> a\n");
 * assert.equal(new TextDecoder().decode(s.end(p)), "> b\n");
 * ```
 */
export class LineSplitter implements Splitter {
  readonly #held: PartialLine;
  /** Mean length of the lines in the last chunk, with the newline. */
  #lineLength = 0;

  /**
   * Makes a splitter with nothing held.
   *
   * @param maxLine longer lines are cut into pieces of this many bytes
   */
  constructor(maxLine: number = MAX_LINE) {
    this.#held = new PartialLine(maxLine);
  }

  /** Bytes of an unfinished line held now. */
  get pending(): number {
    return this.#held.length;
  }

  /**
   * Takes a chunk and returns its complete lines, each with `prefix` before
   * it, as one buffer; `undefined` when the chunk completed no line.
   * `alloc` makes the buffer for the lines (default: a new Uint8Array).
   */
  push(
    chunk: Uint8Array,
    prefix: Uint8Array,
    alloc: (size: number) => Uint8Array = _alloc,
  ): Uint8Array | undefined {
    chunk = plainBytes(chunk);
    const last = chunk.lastIndexOf(_NL);
    if (last === -1) {
      this.#held.hold(chunk.slice());
      return this.#held.full ? this.#cut(prefix) : undefined;
    }
    // Short lines (a flood of numbers) are cheapest found and copied byte
    // by byte in one loop; long ones with indexOf() and set(), whose cost
    // per call is repaid by their length. The last chunk's line length
    // picks the way.
    const short = this.#lineLength < 48;
    const lines = short ? _countBytes(chunk, last) : _countLines(chunk, last);
    this.#lineLength = (last + 1) / lines;
    const width = prefix.length;
    // A line longer than maxLine that ends in this chunk is emitted whole
    // rather than cut: it is already in memory, and whole lines are kinder.
    const out = alloc(lines * width + this.#held.length + last + 1);
    let at = 0;
    for (let j = 0; j < width; j++) out[at++] = prefix[j];
    for (const part of this.#held.take()) {
      out.set(part, at);
      at += part.length;
    }
    if (short) _copyBytes(chunk, last, out, at, prefix);
    else _copyLines(chunk, last, out, at, prefix);
    if (last + 1 < chunk.length) {
      this.#held.hold(chunk.slice(last + 1));
      if (this.#held.full) {
        const cut = this.#cut(prefix);
        const joined = new Uint8Array(out.length + cut.length);
        joined.set(out);
        joined.set(cut, out.length);
        return joined;
      }
    }
    return out;
  }

  /** Returns the final unterminated line, prefixed and with a `\n`, if any. */
  end(prefix: Uint8Array): Uint8Array | undefined {
    return this.#held.length > 0 ? this.#cut(prefix) : undefined;
  }

  /** Emits what is held as one prefixed line with a newline added. */
  #cut(prefix: Uint8Array): Uint8Array {
    const out = new Uint8Array(prefix.length + this.#held.length + 1);
    out.set(prefix, 0);
    let at = prefix.length;
    for (const part of this.#held.take()) {
      out.set(part, at);
      at += part.length;
    }
    out[at] = _NL;
    return out;
  }
}

/** Settles when both have. */
async function _both(a: Promise<void>, b: Promise<void>): Promise<void> {
  await a;
  await b;
}

/**
 * One pipe's output: splits it into lines and prints them prefixed. `push`
 * and `end` return a promise when the sink is full; the caller pauses its
 * source until it settles.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LineStream } from "./lines.ts";
 * import { QueuedSink } from "./sink.ts";
 * const chunks: Uint8Array[] = [];
 * const sink = new QueuedSink(async (b) => { chunks.push(b); });
 * const prefix = new TextEncoder().encode("> ");
 * const lines = new LineStream(sink, () => prefix);
 * lines.push(new TextEncoder().encode("a\nb"));
 * lines.end();
 * await sink.flush();
 * assert.ok(chunks.map((c) => new TextDecoder().decode(c)).join("") === "> a\n> b\n");
 * ```
 */
export class LineStream {
  readonly #sink: ByteSink;
  readonly #prefix: () => Uint8Array;
  readonly #splitter: Splitter;
  readonly #tee?: LineStream;

  /**
   * Makes a stream for one pipe.
   *
   * @param sink where the lines go
   * @param prefix returns the bytes to put before each line, at that moment
   * @param splitter how lines are cut and formatted (default: text)
   * @param tee another stream that gets every chunk too (a log file); the
   *   pipe waits for both when both push back
   */
  constructor(
    sink: ByteSink,
    prefix: () => Uint8Array,
    splitter: Splitter = new LineSplitter(),
    tee?: LineStream,
  ) {
    this.#sink = sink;
    this.#prefix = prefix;
    this.#splitter = splitter;
    this.#tee = tee;
  }

  /** Prints the complete lines in `chunk`; keeps the rest for later. */
  push(chunk: Uint8Array): Promise<void> | undefined {
    const teed = this.#tee?.push(chunk);
    const out = this.#splitter.push(chunk, this.#prefix(), _take);
    const full = out ? this.#sink.write(out, () => _give(out)) : undefined;
    return teed && full ? _both(teed, full) : teed ?? full;
  }

  /** Prints the final line if it had no newline. */
  end(): Promise<void> | undefined {
    const teed = this.#tee?.end();
    const out = this.#splitter.end(this.#prefix());
    const full = out ? this.#sink.write(out) : undefined;
    return teed && full ? _both(teed, full) : teed ?? full;
  }
}
