/**
 * Reading text files the way every tend parser does: strict UTF-8, with a
 * place for the first bad byte, one message for a file saved as UTF-16, and
 * line and column of an index as an editor shows them. Shared by the
 * Procfile and `.env` parsers so that both name the same place for the
 * same fault.
 *
 * @module
 */

/** Why bytes are not tend's text, and where (absent for the whole file). */
export interface TextProblem {
  /** 1-based line of the first bad byte. */
  line?: number;
  /** 1-based column of the first bad byte, in characters. */
  column?: number;
  /** What is wrong. */
  message: string;
}

/**
 * Line and column of `index` in `text`, both from 1. A line ends at LF, CR
 * or CRLF (so text need not be normalized first); columns count code
 * points, so an emoji earlier on the line moves the caret by one, as an
 * editor shows.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { position } from "./_text.ts";
 * assert.deepEqual(position("a\r\n\u{1F600}x", 5), [2, 2]);
 * ```
 */
export function position(text: string, index: number): [number, number] {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < index; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) {
      line++;
      lineStart = i + 1;
    }
  }
  return [line, column(text, lineStart, index)];
}

/**
 * 1-based column of `index` on the line that starts at `lineStart`,
 * counting code points (a surrogate pair is one column).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { column } from "./_text.ts";
 * assert.equal(column("a\u{1F600}b", 0, 3), 3);
 * ```
 */
export function column(text: string, lineStart: number, index: number): number {
  let at = 1;
  for (let i = lineStart; i < index; i++) {
    const c = text.charCodeAt(i);
    const low = c >= 0xdc00 && c <= 0xdfff;
    const prev = i > lineStart ? text.charCodeAt(i - 1) : 0;
    if (low && prev >= 0xd800 && prev <= 0xdbff) continue;
    at++;
  }
  return at;
}

/**
 * Offset of the first byte of `bytes[start..end]` that starts an invalid
 * UTF-8 sequence, or -1. TextDecoder only says that the input is bad; this
 * says where, with the same rules (WHATWG: no overlongs, no surrogates,
 * nothing past U+10FFFF).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { firstInvalidUtf8 } from "./_text.ts";
 * assert.equal(firstInvalidUtf8(new Uint8Array([0x61, 0xc3, 0xa9, 0xff])), 3);
 * assert.equal(firstInvalidUtf8(new Uint8Array([0xc3, 0xa9]), 0, 1), 0);
 * ```
 */
export function firstInvalidUtf8(
  bytes: Uint8Array,
  start = 0,
  end: number = bytes.length,
): number {
  let i = start;
  while (i < end) {
    const b = bytes[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lo = 0xa0;
      if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90;
      if (b === 0xf4) hi = 0x8f;
    } else return i;
    for (let k = 1; k <= need; k++) {
      if (i + k >= end) return i;
      const next = bytes[i + k];
      if (next < lo || next > hi) return i;
      lo = 0x80;
      hi = 0xbf;
    }
    i += need + 1;
  }
  return -1;
}

/**
 * The byte order of text saved as UTF-16 (what Windows Notepad calls
 * "Unicode"), or undefined. A byte-order mark decides; without one, mostly
 * Latin text in UTF-16 has a zero byte in nearly every pair, on one side.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { utf16Order } from "./_text.ts";
 * assert.equal(utf16Order(new Uint8Array([0x77, 0, 0x3a, 0])), "little-endian");
 * assert.equal(utf16Order(new TextEncoder().encode("web: x\n")), undefined);
 * ```
 */
export function utf16Order(
  bytes: Uint8Array,
): "little-endian" | "big-endian" | undefined {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return "little-endian";
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return "big-endian";
  // The first 4 KiB tell: a Procfile or .env starts with ASCII names.
  const end = Math.min(bytes.length, 4096) & ~1;
  const pairs = end / 2;
  let even = 0;
  let odd = 0;
  for (let i = 0; i < end; i += 2) {
    if (bytes[i] === 0) even++;
    if (bytes[i + 1] === 0) odd++;
  }
  // One zero byte is a NUL; a pattern needs at least two.
  if (Math.max(odd, even) < 2) return undefined;
  if (odd * 2 >= pairs && even * 4 <= odd) return "little-endian";
  if (even * 2 >= pairs && odd * 4 <= even) return "big-endian";
  return undefined;
}

/**
 * Decodes bytes as strict UTF-8, keeping a leading byte-order mark for the
 * parser to strip. Returns the text, or the problem: a file saved as UTF-16
 * (said once, for the whole file), else the place of the first invalid
 * byte. NUL characters pass (each parser names them), unless the bytes are
 * UTF-16.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeUtf8 } from "./_text.ts";
 * assert.equal(decodeUtf8(new TextEncoder().encode("A=1\n")), "A=1\n");
 * assert.deepEqual(decodeUtf8(new Uint8Array([0x41, 0x0a, 0x42, 0xff])), {
 *   line: 2,
 *   column: 2,
 *   message: "invalid UTF-8 (byte offset 3)",
 * });
 * ```
 */
export function decodeUtf8(bytes: Uint8Array): string | TextProblem {
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    return _utf16(bytes) ?? _invalid(bytes, decoder);
  }
  // Only a NUL makes UTF-16 worth a look: ASCII in UTF-16 is valid UTF-8.
  if (text.includes("\0")) return _utf16(bytes) ?? text;
  return text;
}

function _utf16(bytes: Uint8Array): TextProblem | undefined {
  const order = utf16Order(bytes);
  if (order === undefined) return undefined;
  return {
    message: `the file is UTF-16 (${order}), not UTF-8: save it as UTF-8`,
  };
}

function _invalid(bytes: Uint8Array, decoder: TextDecoder): TextProblem {
  const at = firstInvalidUtf8(bytes);
  let line = 1;
  let column = 1;
  if (at > 0) {
    let before = decoder.decode(bytes.subarray(0, at));
    // The parsers strip one mark before counting columns; so does this.
    if (before.charCodeAt(0) === 0xfeff) before = before.slice(1);
    [line, column] = position(before, before.length);
  }
  const where = at >= 0 ? ` (byte offset ${at})` : "";
  return { line, column, message: `invalid UTF-8${where}` };
}

/**
 * `JSON.stringify` of a string for a message, with the characters that
 * would make it invisible or break the line (U+2028, U+2029, C1 controls,
 * zero-width ones) escaped too, so a message stays one visible line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { quote } from "./_text.ts";
 * assert.equal(quote("a\u2028b\0"), '"a\\u2028b\\u0000"');
 * ```
 */
export function quote(text: string): string {
  return JSON.stringify(text).replace(
    /[\u007f-\u00a0\u00ad\u200b-\u200f\u2028\u2029\ufeff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
