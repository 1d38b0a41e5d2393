/**
 * JSON lines: a child's output as one JSON object per line, for log
 * shippers (Loki, Elasticsearch, `jq`). Like `lines.ts` this is a hot path,
 * so lines are encoded byte by byte: `"`, `\` and control bytes are escaped
 * as `JSON.stringify` escapes them, and UTF-8 bytes are copied as they are,
 * never decoded to a string and encoded again.
 *
 * A line that is not valid UTF-8 (binary output, or a multi-byte character
 * cut where a line longer than {@linkcode MAX_LINE} was cut) gets `line` as
 * a UTF-8 decoder reads it, each bad sequence replaced by U+FFFD, and its
 * exact bytes in `base64`, so nothing is lost.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { firstInvalidUtf8 } from "./_text.ts";
import { MAX_LINE, PartialLine, plainBytes, type Splitter } from "./lines.ts";

const _NL = 0x0a;
const _SUFFIX = new TextEncoder().encode('"}\n');
const _encoder = new TextEncoder();
const _decoder = new TextDecoder();

// What each byte becomes inside a JSON string: 0 itself (UTF-8 included),
// 1 a newline (the end of a line), 2 a two-byte escape, 3 \u00XX.
const _KIND = new Uint8Array(256);
// The letter after the backslash of a two-byte escape.
const _SHORT = new Uint8Array(256);
for (let b = 0; b < 0x20; b++) _KIND[b] = 3;
for (const [b, c] of [[8, "b"], [9, "t"], [12, "f"], [13, "r"]] as const) {
  _KIND[b] = 2;
  _SHORT[b] = c.charCodeAt(0);
}
_KIND[0x22] = 2;
_SHORT[0x22] = 0x22;
_KIND[0x5c] = 2;
_SHORT[0x5c] = 0x5c;
_KIND[_NL] = 1;
const _HEX = _encoder.encode("0123456789abcdef");

/**
 * Writes `chunk[start..last]`, lines whose bytes need no check, as JSON
 * objects into `out` from `at`: each line's escaped bytes, then `"}` and a
 * newline, then `head` before the next one. Returns where it stopped. A
 * small function of its own so that the JIT optimizes the loop early.
 */
function _copyJson(
  chunk: Uint8Array,
  start: number,
  last: number,
  out: Uint8Array,
  at: number,
  head: Uint8Array,
): number {
  const width = head.length;
  for (let i = start; i < last; i++) {
    const b = chunk[i];
    // Most bytes are printable and not `"` or `\`: compares, no lookup.
    if (b >= 0x20 && b !== 0x22 && b !== 0x5c) {
      out[at++] = b;
      continue;
    }
    const kind = _KIND[b];
    if (kind === 1) {
      out[at++] = 0x22;
      out[at++] = 0x7d;
      out[at++] = _NL;
      out.set(head, at);
      at += width;
    } else if (kind === 2) {
      out[at++] = 0x5c;
      out[at++] = _SHORT[b];
    } else {
      out[at++] = 0x5c;
      out[at++] = 0x75;
      out[at++] = 0x30;
      out[at++] = 0x30;
      out[at++] = _HEX[b >> 4];
      out[at++] = _HEX[b & 15];
    }
  }
  out[at++] = 0x22;
  out[at++] = 0x7d;
  out[at++] = _NL;
  return at;
}

/**
 * One line (without its newline) as a whole JSON object after `head`, by
 * way of a string: for lines that are not valid UTF-8, which are rare.
 */
function _encodeOdd(line: Uint8Array, head: Uint8Array): Uint8Array {
  const text = JSON.stringify(_decoder.decode(line)).slice(1, -1);
  const base64 = Buffer.from(line.buffer, line.byteOffset, line.byteLength)
    .toString("base64");
  const tail = _encoder.encode(`${text}","base64":"${base64}"}\n`);
  const out = new Uint8Array(head.length + tail.length);
  out.set(head);
  out.set(tail, head.length);
  return out;
}

/** Joins buffers into one from `alloc`. */
function _join(
  parts: readonly Uint8Array[],
  alloc: (size: number) => Uint8Array,
): Uint8Array {
  let size = 0;
  for (const part of parts) size += part.length;
  const out = alloc(size);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function _alloc(size: number): Uint8Array {
  return new Uint8Array(size);
}

/**
 * Splits a byte stream into lines and writes each as a JSON object: `head`
 * (the object up to and including `"line":"`, from
 * {@linkcode jsonHead}), the line's bytes escaped, and `"}` with a newline.
 * A drop-in for {@linkcode LineSplitter}: same chunking, same bound on
 * memory (a line longer than `maxLine` is cut, and each piece is an object
 * of its own), one output buffer per chunk.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { JsonLineSplitter } from "./json_lines.ts";
 * const s = new JsonLineSplitter();
 * const head = new TextEncoder().encode('{"line":"');
 * const out = s.push(new TextEncoder().encode('say "hi"\tnow\nrest'), head);
 * assert.deepEqual(JSON.parse(new TextDecoder().decode(out)), {
 *   line: 'say "hi"\tnow',
 * });
 * assert.equal(new TextDecoder().decode(s.end(head)), '{"line":"rest"}\n');
 * ```
 */
export class JsonLineSplitter implements Splitter {
  readonly #held: PartialLine;

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
   * Takes a chunk and returns its complete lines as JSON objects, one
   * buffer made by `alloc`; `undefined` when the chunk completed no line.
   */
  push(
    chunk: Uint8Array,
    head: Uint8Array,
    alloc: (size: number) => Uint8Array = _alloc,
  ): Uint8Array | undefined {
    chunk = plainBytes(chunk);
    const last = chunk.lastIndexOf(_NL);
    if (last === -1) {
      this.#held.hold(chunk.slice());
      return this.#held.full ? this.#cut(head) : undefined;
    }
    // The line that began in earlier chunks is encoded apart, since a
    // UTF-8 character may straddle the chunks; the rest in one pass.
    let first: Uint8Array | undefined;
    let start = 0;
    if (this.#held.length > 0) {
      const nl = chunk.indexOf(_NL);
      this.#held.hold(chunk.subarray(0, nl));
      first = this.#cut(head);
      start = nl + 1;
    }
    // The first line goes at the front of the chunk's one buffer.
    const out = start <= last
      ? this.#lines(chunk, start, last, head, alloc, first)
      : first!;
    if (last + 1 < chunk.length) this.#held.hold(chunk.slice(last + 1));
    if (!this.#held.full) return out;
    return _join([out, this.#cut(head)], alloc);
  }

  /** Returns the final unterminated line as an object, if any. */
  end(head: Uint8Array): Uint8Array | undefined {
    return this.#held.length > 0 ? this.#cut(head) : undefined;
  }

  /** The lines of `chunk[start..last]`; `chunk[last]` is a newline. */
  #lines(
    chunk: Uint8Array,
    start: number,
    last: number,
    head: Uint8Array,
    alloc: (size: number) => Uint8Array,
    first: Uint8Array | undefined,
  ): Uint8Array {
    // First pass: how many lines and escape bytes, and whether any byte
    // is not ASCII (then the range must be checked as UTF-8).
    let lines = 1;
    let extra = 0;
    let high = 0;
    for (let i = start; i < last; i++) {
      const b = chunk[i];
      high |= b;
      if (b >= 0x20 && b !== 0x22 && b !== 0x5c) continue;
      const kind = _KIND[b];
      if (kind === 1) lines++;
      else extra += kind === 2 ? 1 : 5;
    }
    if (high >= 0x80 && firstInvalidUtf8(chunk, start, last) !== -1) {
      const odd = this.#oddLines(chunk, start, last, head);
      return _join(first ? [first, ...odd] : odd, alloc);
    }
    const width = head.length;
    const before = first?.length ?? 0;
    const out = alloc(
      before + lines * (width + 3) + (last - start) - (lines - 1) + extra,
    );
    if (first) out.set(first);
    out.set(head, before);
    _copyJson(chunk, start, last, out, before + width, head);
    return out;
  }

  /** Line by line, for a range where some line is not valid UTF-8. */
  #oddLines(
    chunk: Uint8Array,
    start: number,
    last: number,
    head: Uint8Array,
  ): Uint8Array[] {
    const parts: Uint8Array[] = [];
    while (start <= last) {
      const end = chunk.indexOf(_NL, start);
      parts.push(_encodeLine(chunk.subarray(start, end), head));
      start = end + 1;
    }
    return parts;
  }

  /** Emits what is held as one object. */
  #cut(head: Uint8Array): Uint8Array {
    const parts = this.#held.take();
    const line = parts.length === 1 ? parts[0] : _join(parts, _alloc);
    return _encodeLine(line, head);
  }
}

/** One line, without its newline, as a whole JSON object after `head`. */
function _encodeLine(line: Uint8Array, head: Uint8Array): Uint8Array {
  let extra = 0;
  let high = 0;
  for (let i = 0; i < line.length; i++) {
    const b = line[i];
    high |= b;
    const kind = _KIND[b];
    // No newline here: held bytes and pieces end before one.
    if (kind !== 0) extra += kind === 2 ? 1 : 5;
  }
  if (high >= 0x80 && firstInvalidUtf8(line) !== -1) {
    return _encodeOdd(line, head);
  }
  const out = new Uint8Array(head.length + line.length + extra + 3);
  out.set(head);
  _copyJson(line, 0, line.length, out, head.length, head);
  return out;
}

/** What a JSON object of a process line says besides the line. */
export interface JsonFields {
  /** Milliseconds since the epoch; the object has no `time` when absent. */
  time?: number;
  /** The instance name, e.g. `web.1`. */
  name: string;
  /** The process type, e.g. `web`. */
  type: string;
  /** The process id, when known. */
  pid?: number;
}

/**
 * The bytes of a process line's JSON object up to and including
 * `"line":"`: `time` (ISO 8601, UTC, milliseconds), `name`, `type`, `pid`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { jsonHead } from "./json_lines.ts";
 * const head = jsonHead({ time: 0, name: "web.1", type: "web", pid: 42 });
 * assert.equal(
 *   new TextDecoder().decode(head),
 *   '{"time":"1970-01-01T00:00:00.000Z","name":"web.1","type":"web","pid":42,"line":"',
 * );
 * ```
 */
export function jsonHead(fields: JsonFields): Uint8Array {
  const time = fields.time === undefined
    ? ""
    : `"time":"${new Date(fields.time).toISOString()}",`;
  const pid = fields.pid === undefined ? "" : `"pid":${fields.pid},`;
  return _encoder.encode(
    `{${time}"name":${JSON.stringify(fields.name)},"type":${
      JSON.stringify(fields.type)
    },${pid}"line":"`,
  );
}
