/**
 * The `.env` format tend reads (shared/spec/dotenv.md): a parser and a
 * serializer whose output the parser reads back exactly.
 *
 * Dotenv implementations disagree with each other, so this one follows the
 * POSIX shell reading and turns everything ambiguous into an error with a
 * line and column rather than guessing. The parser is a hand-written,
 * single-pass scanner: no regex with nested quantifiers and no recursion, so
 * neither a long line nor deeply nested `${...}` can make it slow or blow the
 * stack, and substituted text is never scanned again, so nothing can loop.
 *
 * @module
 */
import { column as columnOf, decodeUtf8 } from "./_text.ts";
import { TendError } from "./errors.ts";

/**
 * Thrown for any malformed `.env` input. Carries the file, and the 1-based
 * line and column of the first character of the bad construct; its message
 * is `PATH:LINE:COL: message` and its exit status 1.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DotenvError, parse } from "./dotenv.ts";
 * try {
 *   parse("A=1\nB=\"abc\n", { path: "app.env" });
 * } catch (err) {
 *   assert.ok(err instanceof DotenvError);
 *   assert.equal((err as DotenvError).line, 2);
 *   assert.equal((err as DotenvError).column, 3);
 *   assert.ok((err as DotenvError).message.startsWith("app.env:2:3: "));
 * }
 * ```
 */
export class DotenvError extends TendError {
  // A dotenv error always has a place, so callers need not check for undefined.
  /** The file, or the name given in the options. */
  declare readonly path: string;
  /** The 1-based line of the problem. */
  declare readonly line: number;
  /** The 1-based column of the problem, in characters. */
  declare readonly column: number;

  /** Makes the error "path:line:column: message". */
  constructor(path: string, line: number, column: number, message: string) {
    super({ path, line, column, message });
    this.name = "DotenvError";
  }
}

/**
 * Options for {@linkcode parse}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parse, type ParseOptions } from "./dotenv.ts";
 * const options: ParseOptions = {
 *   path: ".env.local",
 *   processEnv: { HOME: "/home/me" },
 *   initial: new Map([["BASE", "/srv"]]),
 * };
 * const env = parse("LOGS=${BASE}/logs\nCACHE=$HOME/.cache\n", options);
 * assert.equal(env.get("LOGS"), "/srv/logs");
 * assert.equal(env.get("CACHE"), "/home/me/.cache");
 * ```
 */
export interface ParseOptions {
  /** Path used in error messages; default ".env". */
  path?: string;
  /** The process environment used for interpolation lookups. Default: {} (parse is pure; it never reads the real env). */
  processEnv?: Readonly<Record<string, string | undefined>>;
  /** When true the files win: lookups prefer keys assigned in files (earlier in this text, or in `initial`) over processEnv. Default false: processEnv first, then earlier keys. */
  override?: boolean;
  /** Keys already assigned by earlier files (already expanded), visible to lookups exactly like keys assigned earlier in this text. */
  initial?: ReadonlyMap<string, string>;
  /**
   * Called, once the text is parsed, for each `$NAME` or `${NAME}` that
   * expanded to the empty string because NAME was set nowhere at that point
   * (`pa$word1`, `$2b$12$abc`), in text order. The operator forms
   * (`${NAME:-x}`...) say what an unset NAME means, so they are not
   * reported; neither is a reference in a word that was not used.
   */
  onUnset?: (reference: UnsetReference) => void;
  /**
   * Called for each malformed statement, in text order; parsing then goes on
   * at the next statement and parse returns what the good statements
   * assigned. Text that cannot be read at all (invalid UTF-8, NUL) is one
   * error and assigns nothing. Without it the first error throws.
   */
  onError?: (error: DotenvError) => void;
}

/** A reference to a variable set nowhere, as {@linkcode ParseOptions.onUnset} gets it. */
export interface UnsetReference {
  /** The variable's name. */
  name: string;
  /** The key whose value holds the reference. */
  key: string;
  /** The reference as written: `$word1` or `${word1}`. */
  text: string;
  /** 1-based line of its `$`. */
  line: number;
  /** 1-based column of its `$`, in characters. */
  column: number;
}

/**
 * The most text that interpolation may substitute in one parse, in UTF-16
 * units. Each `$A` copies A's value, so a few lines like `B=$A$A`,
 * `C=$B$B`, ... would otherwise double the output per line (a "billion
 * laughs") and exhaust memory. Four million characters is twice what Linux
 * accepts as a whole environment, so no real file comes near it.
 */
const _MAX_SUBSTITUTED = 1 << 22;

const _TAB = 9;
const _LF = 10;
const _SPACE = 32;
const _DQUOTE = 34;
const _HASH = 35;
const _DOLLAR = 36;
const _SQUOTE = 39;
const _COLON = 58;
const _EQUALS = 61;
const _BACKSLASH = 92;
const _BACKTICK = 96;
const _LBRACE = 123;
const _RBRACE = 125;

/** What `\X` means inside double quotes, by X's code; `\$` is shared. */
const _DOUBLE_ESCAPES: ReadonlyMap<number, string> = new Map([
  [110, "\n"],
  [114, "\r"],
  [116, "\t"],
  [_BACKSLASH, "\\"],
  [_DQUOTE, '"'],
]);

function _isWs(c: number): boolean {
  return c === _SPACE || c === _TAB;
}

function _isNameStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

function _isNameChar(c: number): boolean {
  return _isNameStart(c) || (c >= 48 && c <= 57);
}

function _isKeyChar(c: number): boolean {
  return _isNameChar(c) || c === 46 || c === 45;
}

function _isKey(key: string): boolean {
  if (key.length === 0) return false;
  for (let i = 0; i < key.length; i++) {
    if (!_isKeyChar(key.charCodeAt(i))) return false;
  }
  return true;
}

/** Quotes one character for a message, showing invisible ones as escapes. */
function _show(text: string, index: number): string {
  const cp = text.codePointAt(index);
  if (cp === undefined) return "end of input";
  const invisible = cp < 0x20 || (cp >= 0x7f && cp <= 0xa0) ||
    (cp >= 0x200b && cp <= 0x200f) || cp === 0x2028 || cp === 0x2029 ||
    cp === 0xfeff;
  if (invisible) return `U+${cp.toString(16).toUpperCase().padStart(4, "0")}`;
  return JSON.stringify(String.fromCodePoint(cp));
}

/**
 * Line and column of `index` in normalized text. Columns count code points,
 * so an emoji earlier on the line moves the caret by one, as an editor shows.
 */
function _position(text: string, index: number): [number, number] {
  let line = 1;
  let lineStart = 0;
  for (
    let i = text.indexOf("\n");
    i !== -1 && i < index;
    i = text.indexOf("\n", i + 1)
  ) {
    line++;
    lineStart = i + 1;
  }
  return [line, columnOf(text, lineStart, index)];
}

/** The spec reads a file only after these steps; positions count after them. */
function _normalize(text: string): string {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return text.replace(/\r\n?/g, "\n");
}

function _decode(input: string | Uint8Array, path: string): string {
  if (typeof input === "string") return input;
  const text = decodeUtf8(input);
  if (typeof text === "string") return text;
  // A DotenvError always has a place: a whole-file problem is at 1:1.
  throw new DotenvError(path, text.line ?? 1, text.column ?? 1, text.message);
}

/** An open `${NAME<op>word}` whose word is being scanned. */
interface _Frame {
  /** Index of its `$`, where errors about it point. */
  dollar: number;
  name: string;
  op: "-" | "+" | "?";
  colon: boolean;
  /** NAME's value when the `${` was read; later lines cannot change it. */
  value: string | undefined;
  /** Whether NAME counts as set under this operator's colon rule. */
  set: boolean;
  /** The enclosing buffer and whether it was being evaluated. */
  parentParts: string[];
  parentActive: boolean;
}

/** State of one parse. */
class _Parser {
  readonly text: string;
  readonly path: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly override: boolean;
  readonly initial: ReadonlyMap<string, string> | undefined;
  readonly out = new Map<string, string>();
  budget = _MAX_SUBSTITUTED;
  /** Start and end index of each unset reference, when someone listens. */
  readonly unset: number[] | undefined;
  /** The key of each unset reference, when someone listens. */
  readonly unsetKeys: string[] = [];
  /** The key being assigned. */
  key = "";
  /** The errors so far, when parsing goes on after one. */
  readonly errors: DotenvError[] | undefined;
  /** Only find where this key is assigned: values are not expanded. */
  readonly locate: string | undefined;
  /** Index of the located key's value, or -1. */
  located = -1;

  constructor(text: string, options: ParseOptions, locate?: string) {
    this.text = text;
    this.path = options.path ?? ".env";
    this.env = options.processEnv ?? {};
    this.override = options.override ?? false;
    this.initial = options.initial;
    this.unset = options.onUnset ? [] : undefined;
    this.errors = options.onError || locate !== undefined ? [] : undefined;
    this.locate = locate;
  }

  /** Notes a reference that found nothing, if anyone listens. */
  noteUnset(start: number, end: number): void {
    if (!this.unset) return;
    this.unset.push(start, end);
    this.unsetKeys.push(this.key);
  }

  fail(index: number, message: string): never {
    const [line, column] = _position(this.text, index);
    throw new DotenvError(this.path, line, column, message);
  }

  lookup(name: string): string | undefined {
    // hasOwn: a plain `{}` would otherwise "define" constructor, toString...
    const raw = Object.hasOwn(this.env, name) ? this.env[name] : undefined;
    const env = typeof raw === "string" ? raw : undefined;
    const files = this.out.has(name)
      ? this.out.get(name)
      : this.initial?.get(name);
    return this.override ? files ?? env : env ?? files;
  }

  charge(text: string, at: number): string {
    this.budget -= text.length;
    if (this.budget < 0) {
      this.fail(
        at,
        `interpolation produces more than ${_MAX_SUBSTITUTED} characters`,
      );
    }
    return text;
  }

  skipWs(i: number): number {
    const text = this.text;
    while (i < text.length && _isWs(text.charCodeAt(i))) i++;
    return i;
  }

  endOfLine(i: number): number {
    const e = this.text.indexOf("\n", i);
    return e === -1 ? this.text.length : e;
  }

  run(): Map<string, string> {
    const text = this.text;
    const n = text.length;
    let i = 0;
    while (i < n) {
      i = this.skipWs(i);
      if (i >= n) break;
      const c = text.charCodeAt(i);
      if (c === _LF) {
        i++;
        continue;
      }
      if (c === _HASH) {
        i = this.endOfLine(i) + 1;
        continue;
      }
      i = this.errors ? this.recover(i) : this.statement(i);
    }
    return this.out;
  }

  /**
   * Parses a statement; on an error, keeps it and goes on after the
   * statement, found by its shape alone: the rest of the line, or of a
   * quoted value that spans lines. An unterminated quote ends the text.
   */
  recover(start: number): number {
    const unset = this.unset?.length ?? 0;
    try {
      return this.statement(start);
    } catch (error) {
      if (!(error instanceof DotenvError) || !this.errors) throw error;
      this.errors.push(error);
      // What the failed statement referenced is not used: only its error is.
      if (this.unset) {
        this.unset.length = unset;
        this.unsetKeys.length = unset / 2;
      }
      // Past the budget every later substitution would fail again.
      if (this.budget < 0) return this.text.length;
      return this.statementEnd(start);
    }
  }

  /** The start of the line after the statement at `start`, by its shape. */
  statementEnd(start: number): number {
    const text = this.text;
    const eol = this.endOfLine(start);
    const eq = text.indexOf("=", start);
    if (eq === -1 || eq > eol) return eol + 1;
    const v = this.skipWs(eq + 1);
    const q = text.charCodeAt(v);
    if (q !== _SQUOTE && q !== _BACKTICK && q !== _DQUOTE) return eol + 1;
    let close = v + 1;
    if (q === _DQUOTE) {
      while (close < text.length && text.charCodeAt(close) !== _DQUOTE) {
        close += text.charCodeAt(close) === _BACKSLASH ? 2 : 1;
      }
    } else {
      close = text.indexOf(text[v], v + 1);
    }
    if (close === -1 || close >= text.length) return text.length;
    return this.endOfLine(close + 1) + 1;
  }

  /** Parses one statement starting at a non-blank; returns the next line's start. */
  statement(start: number): number {
    const text = this.text;
    const n = text.length;
    let keyStart = start;
    if (
      text.startsWith("export", start) && _isWs(text.charCodeAt(start + 6))
    ) {
      const after = this.skipWs(start + 6);
      // Otherwise "export" is itself the key: `export =1`, a bare `export`.
      if (_isKeyChar(text.charCodeAt(after))) keyStart = after;
    }
    let k = keyStart;
    while (k < n && _isKeyChar(text.charCodeAt(k))) k++;
    if (k === keyStart) {
      const what = text.charCodeAt(k) === _EQUALS
        ? 'missing key before "="'
        : `expected a key (letters, digits, "_", ".", "-"), found ${
          _show(text, k)
        }`;
      this.fail(keyStart, what);
    }
    const key = text.slice(keyStart, k);
    const j = this.skipWs(k);
    const t = j < n ? text.charCodeAt(j) : _LF;
    if (t === _LF) return j + 1; // a bare key assigns nothing
    // A `#` glued to the key (`A#B=1`) is not a comment: rule 1's "space
    // before #" reading, so that line is an error instead of a silent no-op.
    if (t === _HASH && j > k) return this.endOfLine(j) + 1;
    if (t !== _EQUALS) this.keyError(start, keyStart, k, j, key);
    const v = this.skipWs(j + 1);
    this.key = key;
    if (key === this.locate) this.located = v;
    const q = v < n ? text.charCodeAt(v) : _LF;
    if (q === _SQUOTE || q === _BACKTICK) {
      const close = text.indexOf(text[v], v + 1);
      if (close === -1) {
        const kind = q === _SQUOTE ? "single-quoted" : "backtick-quoted";
        this.fail(v, `unterminated ${kind} value for ${JSON.stringify(key)}`);
      }
      const next = this.afterQuote(close + 1);
      this.out.set(key, text.slice(v + 1, close));
      return next;
    }
    if (q === _DQUOTE) {
      let close = v + 1;
      while (close < n) {
        const d = text.charCodeAt(close);
        if (d === _DQUOTE) break;
        close += d === _BACKSLASH ? 2 : 1;
      }
      if (close >= n) {
        this.fail(
          v,
          `unterminated double-quoted value for ${JSON.stringify(key)}`,
        );
      }
      // Expanded first, so errors come in text order; set only once the
      // whole statement is good, so a failed one assigns nothing.
      const value = this.expand(v + 1, close, true);
      const next = this.afterQuote(close + 1);
      this.out.set(key, value);
      return next;
    }
    const e = this.endOfLine(v);
    let stop = e;
    // Bounded by the line: indexOf("#") could run to the file's end per line.
    for (let h = v; h < e; h++) {
      if (
        text.charCodeAt(h) === _HASH && _isWs(text.charCodeAt(h - 1))
      ) {
        stop = h;
        break;
      }
    }
    while (stop > v && _isWs(text.charCodeAt(stop - 1))) stop--;
    this.out.set(key, this.expand(v, stop, false));
    return e + 1;
  }

  keyError(
    start: number,
    keyStart: number,
    k: number,
    j: number,
    key: string,
  ): never {
    const text = this.text;
    if (key === "export" && keyStart === start && j > k) {
      this.fail(j, `expected a key after "export", found ${_show(text, j)}`);
    }
    const c = text.charCodeAt(j);
    if (c === _COLON) {
      this.fail(
        keyStart,
        `expected "=" after key ${
          JSON.stringify(key)
        }: the YAML form "${key}: value" is not supported`,
      );
    }
    if (j > k) {
      this.fail(
        keyStart,
        `key ${JSON.stringify(key)} is followed by ${
          _show(text, j)
        } instead of "=": a key cannot contain spaces`,
      );
    }
    this.fail(
      keyStart,
      `invalid character ${_show(text, k)} in key ${
        JSON.stringify(key)
      }: keys use letters, digits, "_", ".", "-"`,
    );
  }

  /** Checks what follows a closing quote; returns the next line's start. */
  afterQuote(i: number): number {
    const text = this.text;
    const j = this.skipWs(i);
    if (j >= text.length) return j;
    const c = text.charCodeAt(j);
    if (c === _LF) return j + 1;
    if (c === _HASH) return this.endOfLine(j) + 1;
    return this.fail(
      j,
      `unexpected ${
        _show(text, j)
      } after the closing quote: only spaces and a "# comment" may follow`,
    );
  }

  /**
   * Expands text[start, end) as an unquoted (`double` false) or a
   * double-quoted value: escapes and interpolation in one pass. Open
   * `${...:-word}` forms live on an explicit stack, not the call stack, so
   * nesting depth is bounded by memory, not by recursion limits.
   */
  expand(start: number, end: number, double: boolean): string {
    if (this.locate !== undefined) return "";
    const text = this.text;
    const stack: _Frame[] = [];
    let parts: string[] = [];
    let active = true;
    let run = start;
    let i = start;
    while (i < end) {
      const c = text.charCodeAt(i);
      if (c === _BACKSLASH) {
        const next = i + 1 < end ? text.charCodeAt(i + 1) : -1;
        const decoded = next === _DOLLAR
          ? "$"
          : double
          ? _DOUBLE_ESCAPES.get(next)
          : undefined;
        if (decoded !== undefined) {
          if (i > run) parts.push(text.slice(run, i));
          parts.push(decoded);
          i += 2;
          run = i;
        } else {
          // Unquoted: a lone literal backslash. Double-quoted: `\X` stays as
          // two characters, and X is consumed so `\}` cannot close a word.
          i += double && next !== -1 ? 2 : 1;
        }
        continue;
      }
      if (c === _DOLLAR && i + 1 < end) {
        const next = text.charCodeAt(i + 1);
        if (next === _LBRACE) {
          if (i > run) parts.push(text.slice(run, i));
          const frame = this.openBrace(i, end, active, parts);
          if (typeof frame === "number") {
            i = frame;
          } else {
            stack.push(frame);
            active = active && (frame.op === "+" ? frame.set : !frame.set);
            parts = [];
            i = this.wordStart(i, frame);
          }
          run = i;
          continue;
        }
        if (_isNameStart(next)) {
          if (i > run) parts.push(text.slice(run, i));
          let j = i + 2;
          while (j < end && _isNameChar(text.charCodeAt(j))) j++;
          if (active) {
            const value = this.lookup(text.slice(i + 1, j));
            if (value === undefined) this.noteUnset(i, j);
            else parts.push(this.charge(value, i));
          }
          i = j;
          run = i;
          continue;
        }
        i++; // `$5`, `$(`, `a$`: a literal dollar, nothing is executed
        continue;
      }
      if (c === _RBRACE && stack.length > 0) {
        if (i > run) parts.push(text.slice(run, i));
        const frame = stack.pop() as _Frame;
        const word = parts.join("");
        parts = frame.parentParts;
        active = frame.parentActive;
        if (active) parts.push(this.resolve(frame, word));
        i++;
        run = i;
        continue;
      }
      i++;
    }
    if (stack.length > 0) {
      this.fail(stack[0].dollar, `unterminated "\${" (no matching "}")`);
    }
    if (end > run) parts.push(text.slice(run, end));
    return parts.join("");
  }

  /**
   * Reads `${NAME` and what follows it at `dollar`. For `${NAME}` pushes the
   * value and returns the index after `}`; for an operator form returns the
   * frame whose word starts next.
   */
  openBrace(
    dollar: number,
    end: number,
    active: boolean,
    parts: string[],
  ): _Frame | number {
    const text = this.text;
    let j = dollar + 2;
    if (j >= end) this.fail(dollar, `unterminated "\${" (no matching "}")`);
    if (!_isNameStart(text.charCodeAt(j))) {
      this.fail(
        dollar,
        `malformed "\${...}": expected a name ([A-Za-z_][A-Za-z0-9_]*) after "\${", found ${
          _show(text, j)
        }`,
      );
    }
    while (j < end && _isNameChar(text.charCodeAt(j))) j++;
    const name = text.slice(dollar + 2, j);
    if (j >= end) this.fail(dollar, `unterminated "\${${name}" (no "}")`);
    let t = text.charCodeAt(j);
    if (t === _RBRACE) {
      if (active) {
        const value = this.lookup(name);
        if (value === undefined) this.noteUnset(dollar, j + 1);
        else parts.push(this.charge(value, dollar));
      }
      return j + 1;
    }
    const colon = t === _COLON;
    if (colon) t = j + 1 < end ? text.charCodeAt(j + 1) : -1;
    const op = t === 45 ? "-" : t === 43 ? "+" : t === 63 ? "?" : undefined;
    if (op === undefined) {
      this.fail(
        dollar,
        `malformed "\${${name}...}": expected "}" or one of :- - :+ + :? ? after the name, found ${
          _show(text, colon ? j + 1 : j)
        }`,
      );
    }
    const value = active ? this.lookup(name) : undefined;
    const set = colon
      ? value !== undefined && value !== ""
      : value !== undefined;
    return {
      dollar,
      name,
      op,
      colon,
      value,
      set,
      parentParts: parts,
      parentActive: active,
    };
  }

  /** Index of the first character of a frame's word. */
  wordStart(dollar: number, frame: _Frame): number {
    return dollar + 2 + frame.name.length + (frame.colon ? 2 : 1);
  }

  /** The text a closed `${NAME<op>word}` stands for. */
  resolve(frame: _Frame, word: string): string {
    if (frame.op === "+") return frame.set ? word : "";
    if (frame.set) return this.charge(frame.value ?? "", frame.dollar);
    if (frame.op === "-") return word;
    const state = frame.colon ? "unset or empty" : "unset";
    const why = word === "" ? "" : `: ${word}`;
    return this.fail(frame.dollar, `${frame.name} is ${state}${why}`);
  }
}

/**
 * Parses `.env` text into the keys this text assigns, in first-assignment
 * order; a later assignment of a key wins. `$NAME` and `${NAME...}` in
 * unquoted and double-quoted values are looked up in `processEnv` and in
 * keys assigned earlier (in this text or in `initial`), never in the real
 * environment: parse is pure.
 *
 * Bytes must be valid UTF-8 without NUL. Any malformed input throws a
 * {@linkcode DotenvError} pointing at the first character of the bad
 * construct, and nothing of the text is returned.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parse } from "./dotenv.ts";
 * const env = parse(
 *   "export HOST=db # primary\nURL=\"postgres://$HOST:${PORT:-5432}\"\n",
 *   { processEnv: {} },
 * );
 * assert.equal(env.get("HOST"), "db");
 * assert.equal(env.get("URL"), "postgres://db:5432");
 * ```
 */
export function parse(
  text: string | Uint8Array,
  options: ParseOptions = {},
): Map<string, string> {
  let normalized: string;
  try {
    normalized = _read(text, options.path ?? ".env");
  } catch (error) {
    if (!options.onError || !(error instanceof DotenvError)) throw error;
    options.onError(error);
    return new Map();
  }
  const parser = new _Parser(normalized, options);
  const out = parser.run();
  if (parser.errors && options.onError) {
    for (const error of parser.errors) options.onError(error);
  }
  const unset = parser.unset;
  if (unset && unset.length > 0 && options.onUnset) {
    const places = _positions(normalized, unset);
    for (let k = 0; k < unset.length; k += 2) {
      const ref = normalized.slice(unset[k], unset[k + 1]);
      options.onUnset({
        name: ref.replace(/^\$\{?|\}$/g, ""),
        key: parser.unsetKeys[k / 2],
        text: ref,
        line: places[k],
        column: places[k + 1],
      });
    }
  }
  return out;
}

/** Decoded, normalized text, or the error that makes it unreadable. */
function _read(text: string | Uint8Array, path: string): string {
  const normalized = _normalize(_decode(text, path));
  const nul = normalized.indexOf("\0");
  if (nul !== -1) {
    const [line, column] = _position(normalized, nul);
    throw new DotenvError(path, line, column, "NUL character in input");
  }
  return normalized;
}

/**
 * Line and column of each index in `indices` (sorted, every other one
 * used: they come as start/end pairs), in one pass over the text however
 * many there are; the result is [line, column, line, column, ...].
 */
function _positions(text: string, indices: readonly number[]): number[] {
  const out: number[] = [];
  let line = 1;
  let next = text.indexOf("\n");
  // The column of `at`: each index's column counts on from the previous
  // one on the same line, so a long line is walked once.
  let at = 0;
  let column = 1;
  for (let k = 0; k < indices.length; k += 2) {
    const index = indices[k];
    while (next !== -1 && next < index) {
      line++;
      at = next + 1;
      column = 1;
      next = text.indexOf("\n", at);
    }
    column += columnOf(text, at, index) - 1;
    at = index;
    out.push(line, column);
  }
  return out;
}

/**
 * Where `.env` text last assigns `key`: the line and column of the value
 * (its opening quote, if quoted), or undefined when it does not. Reads the
 * statements as {@linkcode parse} does without expanding any value, so it
 * needs no environment; for pointing at a value that turned out wrong
 * (`PORT=eighty`) after the text parsed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { findAssignment } from "./dotenv.ts";
 * assert.deepEqual(findAssignment("A=1\nPORT = eighty\n", "PORT"), {
 *   line: 2,
 *   column: 8,
 * });
 * assert.equal(findAssignment("A=1\n", "PORT"), undefined);
 * ```
 */
export function findAssignment(
  text: string | Uint8Array,
  key: string,
): { line: number; column: number } | undefined {
  let parser: _Parser;
  try {
    parser = new _Parser(_read(text, ".env"), {}, key);
  } catch {
    return undefined;
  }
  parser.run();
  if (parser.located === -1) return undefined;
  const [line, column] = _position(parser.text, parser.located);
  return { line, column };
}
