/**
 * A bounded ring of one process's recent output, for `tend logs`.
 *
 * The ring sits on the output hot path, so taking a chunk costs one or two
 * copies into a circular byte buffer and three numbers of bookkeeping: no
 * line is split, no allocation is made once the buffer has grown (it grows
 * by doubling, so a quiet process holds little). Lines are found only when
 * `tend logs` asks, by {@linkcode OutputRing.lines}. It holds at most
 * {@linkcode RING_BYTES} bytes, of which `lines` returns at most the last
 * {@linkcode RING_LINES} lines.
 *
 * @module
 */
import { MAX_LINE } from "./lines.ts";

/** Lines `tend logs` shows per process, at most. */
export const RING_LINES = 1000;
/** Bytes of output kept per process, at most: 1000 lines of 1 KiB. */
export const RING_BYTES = 1 << 20;

const _NL = 0x0a;
const _MIN_BYTES = 1 << 10;
const _MIN_ENTRIES = 16;

/** One line of output from a ring: its bytes, without the newline. */
export interface RingLine {
  /** When the chunk that completed it arrived (ms since the epoch). */
  time: number;
  /** That chunk's sequence number: the order lines arrived in, over all rings. */
  seq: number;
  /** The line; only valid until the ring next takes a chunk. */
  bytes: Uint8Array;
}

/** Options of an {@linkcode OutputRing}, for tests. */
export interface RingOptions {
  /** Bytes kept at most (default {@linkcode RING_BYTES}). */
  maxBytes?: number;
  /** Chunks kept at most (default {@linkcode RING_LINES} + 24). */
  maxChunks?: number;
}

function _grown<T extends Int32Array | Float64Array>(
  old: T,
  make: (n: number) => T,
  size: number,
  head: number,
  count: number,
): T {
  const out = make(size);
  for (let i = 0; i < count; i++) out[i] = old[(head + i) % old.length];
  return out;
}

/**
 * Recent output of one process: chunks as they came, each with its time
 * and a sequence number, the oldest dropped to stay within the limits.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { OutputRing } from "./ring.ts";
 * const ring = new OutputRing({ maxBytes: 16 });
 * const text = (s: string) => new TextEncoder().encode(s);
 * ring.push(text("one\ntwo\n"), 1000, 1);
 * ring.push(text("three\nfour\n"), 2000, 2);
 * // 16 bytes are kept: the first chunk made room for the second.
 * assert.deepEqual(
 *   ring.lines(10).map((l) => new TextDecoder().decode(l.bytes)),
 *   ["three", "four"],
 * );
 * ```
 */
export class OutputRing {
  #buf = new Uint8Array(0);
  /** Where the oldest byte held is in `#buf`. */
  #start = 0;
  #size = 0;
  #lengths = new Int32Array(0);
  #times = new Float64Array(0);
  #seqs = new Float64Array(0);
  #head = 0;
  #count = 0;
  /** The bytes held begin inside a line whose start was dropped. */
  #cut = false;
  readonly #maxBytes: number;
  readonly #maxChunks: number;
  /** While someone follows: the line begun and not yet ended. */
  #carry: Uint8Array[] = [];
  #carried = 0;
  #onLines?: (lines: RingLine[]) => void;

  /** An empty ring; it allocates on its first chunk. */
  constructor(options: RingOptions = {}) {
    this.#maxBytes = Math.max(1, options.maxBytes ?? RING_BYTES);
    this.#maxChunks = Math.max(1, options.maxChunks ?? RING_LINES + 24);
  }

  /** Bytes held now. */
  get size(): number {
    return this.#size;
  }

  /** Takes a chunk of output that arrived at `time`, numbered `seq`. */
  push(chunk: Uint8Array, time: number, seq: number): void {
    if (chunk.length === 0) return;
    if (this.#onLines) this.#follow(chunk, time, seq);
    if (chunk.length >= this.#maxBytes) {
      // Only its end fits: everything older goes.
      const from = chunk.length - this.#maxBytes;
      const before = from > 0 ? chunk[from - 1] : this.#last();
      if (before !== undefined) this.#cut = before !== _NL;
      this.#start = this.#size = this.#count = 0;
      chunk = chunk.subarray(from);
    }
    const n = chunk.length;
    if (this.#size + n > this.#buf.length) this.#grow(this.#size + n);
    while (this.#size + n > this.#buf.length) this.#dropOldest();
    if (this.#count === this.#lengths.length) this.#growEntries();
    while (this.#count >= this.#maxChunks) this.#dropOldest();
    const cap = this.#buf.length;
    const at = (this.#start + this.#size) % cap;
    const first = Math.min(n, cap - at);
    this.#buf.set(first === n ? chunk : chunk.subarray(0, first), at);
    if (first < n) this.#buf.set(chunk.subarray(first), 0);
    this.#size += n;
    const i = (this.#head + this.#count) % this.#lengths.length;
    this.#lengths[i] = n;
    this.#times[i] = time;
    this.#seqs[i] = seq;
    this.#count++;
  }

  /**
   * The run's output ended: a last line without a newline gets one, as
   * the printer gives it one, so the next run's lines start on their own.
   */
  end(time: number, seq: number): void {
    const last = this.#last();
    if (last !== undefined && last !== _NL) {
      this.push(new Uint8Array([_NL]), time, seq);
    }
  }

  /** The newest byte held, if any. */
  #last(): number | undefined {
    if (this.#size === 0) return undefined;
    return this.#buf[(this.#start + this.#size - 1) % this.#buf.length];
  }

  /**
   * The last `max` complete lines, oldest first; a line whose start was
   * dropped is left out, and so is the line not yet ended (see
   * {@linkcode OutputRing.pending}).
   */
  lines(max: number = RING_LINES): RingLine[] {
    const bytes = this.#linear();
    const lastNl = bytes.lastIndexOf(_NL);
    if (lastNl === -1 || max <= 0) return [];
    // Where the first line to return starts: after the (max+1)th newline
    // from the end, found with at most max+1 searches.
    let from = 0;
    let cut = this.#cut;
    let found = 1;
    for (let at = lastNl; at > 0; found++) {
      const nl = bytes.lastIndexOf(_NL, at - 1);
      if (nl === -1) break;
      if (found === max) {
        from = nl + 1;
        cut = false;
        break;
      }
      at = nl;
    }
    const out: RingLine[] = [];
    let offset = 0;
    let lineStart = from;
    // Each newline is searched for once, however many chunks a line spans.
    let nl = bytes.indexOf(_NL, from);
    for (let k = 0; k < this.#count && nl !== -1; k++) {
      const i = (this.#head + k) % this.#lengths.length;
      const end = offset + this.#lengths[i];
      offset = end;
      while (nl !== -1 && nl < end) {
        if (cut) cut = false;
        else {
          out.push({
            time: this.#times[i],
            seq: this.#seqs[i],
            bytes: bytes.subarray(lineStart, nl),
          });
        }
        lineStart = nl + 1;
        nl = bytes.indexOf(_NL, lineStart);
      }
    }
    return out;
  }

  /** The line begun and not yet ended, as held (a copy). */
  pending(): Uint8Array {
    const bytes = this.#linear();
    return bytes.slice(bytes.lastIndexOf(_NL) + 1);
  }

  /**
   * Calls `onLines` with the complete lines of each chunk from now on (the
   * line begun before counts from where the ring has it); `undefined`
   * stops. Lines are only split while someone follows.
   */
  follow(onLines: ((lines: RingLine[]) => void) | undefined): void {
    this.#onLines = onLines;
    this.#carry = [];
    this.#carried = 0;
    if (onLines) {
      const pending = this.pending();
      if (pending.length > 0) this.#hold(pending);
    }
  }

  #follow(chunk: Uint8Array, time: number, seq: number): void {
    const lines: RingLine[] = [];
    let start = 0;
    for (
      let nl = chunk.indexOf(_NL);
      nl !== -1;
      nl = chunk.indexOf(_NL, start)
    ) {
      const piece = chunk.subarray(start, nl);
      lines.push({
        time,
        seq,
        bytes: this.#carried ? this.#take(piece) : piece,
      });
      start = nl + 1;
    }
    if (start < chunk.length) this.#hold(chunk.slice(start));
    // A line too long to hold is passed on in pieces, as it is printed.
    if (this.#carried >= MAX_LINE) {
      lines.push({ time, seq, bytes: this.#take(new Uint8Array(0)) });
    }
    if (lines.length > 0) this.#onLines!(lines);
  }

  #hold(bytes: Uint8Array): void {
    this.#carry.push(bytes);
    this.#carried += bytes.length;
  }

  /** What is carried with `tail` after it, as one line; empties the carry. */
  #take(tail: Uint8Array): Uint8Array {
    const out = new Uint8Array(this.#carried + tail.length);
    let at = 0;
    for (const part of this.#carry) {
      out.set(part, at);
      at += part.length;
    }
    out.set(tail, at);
    this.#carry = [];
    this.#carried = 0;
    return out;
  }

  /** The bytes held, oldest first, in one array. */
  #linear(): Uint8Array {
    const cap = this.#buf.length;
    if (this.#start + this.#size <= cap) {
      return this.#buf.subarray(this.#start, this.#start + this.#size);
    }
    const out = new Uint8Array(this.#size);
    out.set(this.#buf.subarray(this.#start));
    out.set(
      this.#buf.subarray(0, this.#size - (cap - this.#start)),
      cap - this.#start,
    );
    return out;
  }

  /** Doubles the buffer towards `need`, within the byte limit. */
  #grow(need: number): void {
    const cap = this.#buf.length;
    if (cap >= this.#maxBytes) return;
    let next = Math.max(cap * 2, _MIN_BYTES);
    while (next < need) next *= 2;
    next = Math.min(next, this.#maxBytes);
    const out = new Uint8Array(next);
    out.set(this.#linear());
    this.#buf = out;
    this.#start = 0;
  }

  #growEntries(): void {
    const size = Math.min(
      Math.max(this.#lengths.length * 2, _MIN_ENTRIES),
      this.#maxChunks,
    );
    if (size <= this.#lengths.length) return;
    const args = [size, this.#head, this.#count] as const;
    this.#lengths = _grown(this.#lengths, (n) => new Int32Array(n), ...args);
    this.#times = _grown(this.#times, (n) => new Float64Array(n), ...args);
    this.#seqs = _grown(this.#seqs, (n) => new Float64Array(n), ...args);
    this.#head = 0;
  }

  /** Drops the oldest chunk held. */
  #dropOldest(): void {
    const length = this.#lengths[this.#head];
    const cap = this.#buf.length;
    this.#cut = this.#buf[(this.#start + length - 1) % cap] !== _NL;
    this.#start = (this.#start + length) % cap;
    this.#size -= length;
    this.#head = (this.#head + 1) % this.#lengths.length;
    this.#count--;
  }
}
