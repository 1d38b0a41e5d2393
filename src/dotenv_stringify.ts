/**
 * Writing `.env` text that tend's parser (`dotenv.ts`) reads back exactly.
 * Kept apart from the parser: only `tend env` and library users need it.
 *
 * @module
 */
import { TendError } from "./errors.ts";

const _TAB = 9;
const _SPACE = 32;
const _DQUOTE = 34;
const _HASH = 35;
const _DOLLAR = 36;
const _SQUOTE = 39;
const _BACKSLASH = 92;
const _BACKTICK = 96;

function _isWs(c: number): boolean {
  return c === _SPACE || c === _TAB;
}

/** The grammar's keys: `[A-Za-z0-9_.-]+`. */
function _isKey(key: string): boolean {
  return /^[A-Za-z0-9_.-]+$/.test(key);
}

/** Unquoted is safe when parse reads the value back unchanged and it reads plainly. */
function _isPlain(value: string): boolean {
  if (value === "") return true;
  if (_isWs(value.charCodeAt(0)) || _isWs(value.charCodeAt(value.length - 1))) {
    return false;
  }
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    // Controls (tab, LF, CR...) are quoted to stay visible and on one line;
    // quotes, `$`, `\` and `#` would change meaning or read as a comment.
    if (c < 0x20 || c === 0x7f) return false;
    if (
      c === _DQUOTE || c === _SQUOTE || c === _BACKTICK || c === _DOLLAR ||
      c === _BACKSLASH || c === _HASH
    ) return false;
  }
  return true;
}

function _quote(value: string): string {
  if (_isPlain(value)) return value;
  // CR would become LF on reading and LF would break one-line-per-key, so
  // both need the double-quoted escapes.
  if (!/['\r\n]/.test(value)) return `'${value}'`;
  let out = '"';
  for (const ch of value) {
    switch (ch) {
      case "\\":
        out += "\\\\";
        break;
      case '"':
        out += '\\"';
        break;
      case "$":
        out += "\\$";
        break;
      case "\n":
        out += "\\n";
        break;
      case "\r":
        out += "\\r";
        break;
      case "\t":
        out += "\\t";
        break;
      default:
        out += ch;
    }
  }
  return out + '"';
}

function _isIterable(
  pairs: Iterable<[string, string]> | Readonly<Record<string, string>>,
): pairs is Iterable<[string, string]> {
  return typeof (pairs as Partial<Iterable<[string, string]>>)[
    Symbol.iterator
  ] === "function";
}

/**
 * Serializes pairs as `.env` text, one `KEY=value` per line, each ending in
 * "\n", such that `parse(stringify(x))` equals `new Map(x)`. Values take the
 * plainest form that reads back exactly: unquoted when safe, single quotes
 * when the value has no single quote or line break, else double quotes
 * with escapes.
 *
 * Throws a {@linkcode TendError} for a key outside the grammar
 * (`[A-Za-z0-9_.-]+`) and for a value holding NUL, which no environment
 * variable can hold.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parse } from "./dotenv.ts";
 * import { stringify } from "./dotenv_stringify.ts";
 * const text = stringify({ A: "plain", B: "cost $5", C: "it's\nhere" });
 * assert.ok(text === "A=plain\nB='cost $5'\nC=\"it's\\nhere\"\n");
 * assert.equal(parse(text).get("C"), "it's\nhere");
 * ```
 */
export function stringify(
  pairs: Iterable<[string, string]> | Readonly<Record<string, string>>,
): string {
  const entries = _isIterable(pairs) ? pairs : Object.entries(pairs);
  let out = "";
  for (const [key, value] of entries) {
    if (!_isKey(key)) {
      throw new TendError({
        message: `cannot write .env key ${
          JSON.stringify(key)
        }: keys use letters, digits, "_", ".", "-"`,
      });
    }
    if (value.includes("\0")) {
      throw new TendError({
        message: `cannot write .env value of ${
          JSON.stringify(key)
        }: it holds a NUL character`,
      });
    }
    out += `${key}=${_quote(value)}\n`;
  }
  return out;
}
