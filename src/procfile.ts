/**
 * Procfile parsing: `NAME: COMMAND` per line, in order.
 *
 * Unlike honcho, which silently skips a line it cannot read (so a typo makes a
 * process vanish), every line that is neither blank, a comment, nor a valid
 * entry is a problem with its line number, and all problems are reported at
 * once.
 *
 * @module
 */
import { decodeUtf8, position, quote } from "./_text.ts";
import { type Problem, TendError } from "./errors.ts";

/** One process type of a Procfile. */
export interface ProcfileEntry {
  /** The process type, `[A-Za-z0-9_-]+`. */
  name: string;
  /** The command, run as `sh -c COMMAND`. */
  command: string;
  /** The 1-based line it came from. */
  line: number;
}

/**
 * One setting of a `#tend TYPE key=value` line: honcho, foreman and Heroku
 * read the line as a comment, tend reads it as settings for TYPE.
 */
export interface ProcfileDirective {
  /** The process type it is about. */
  type: string;
  /** The setting: `ready` or `after`. */
  key: string;
  /** Its value, unquoted. */
  value: string;
  /** The 1-based line. */
  line: number;
  /** The 1-based column of `key`. */
  column: number;
}

/** What {@linkcode checkProcfile} found: the valid entries and every problem. */
export interface ProcfileCheck {
  /** Entries that parsed, in file order (duplicates after the first dropped). */
  entries: ProcfileEntry[];
  /** The settings of `#tend` lines, in file order. */
  directives: ProcfileDirective[];
  /** Every problem, in line order. Empty when the file is valid. */
  problems: Problem[];
}

// `[^]*`, not `.*`: U+2028 and U+2029 are command text, as foreman reads
// them; `.` would not match them and report a valid line as invalid.
const _ENTRY = /^([A-Za-z0-9_-]+):[ \t]*([^]*)$/;
const _NAME = /^[A-Za-z0-9_-]+$/;
const _BLANK = /^[ \t]*(?:#|$)/;
const _DIRECTIVE = /^#tend(?:[ \t]|$)/;
// C0 controls but tab (LF and CR end lines), DEL and the C1 controls: no
// editor shows them, and `sh -c` cannot even take a NUL.
// deno-lint-ignore no-control-regex -- matching control characters is the point
const _CONTROL = /[\0-\x08\x0b-\x1f\x7f-\x9f]/;

/**
 * Checks a Procfile and returns the entries and every problem, without
 * throwing. Bytes must be UTF-8 (a UTF-16 file is one problem, invalid
 * UTF-8 one problem at its place); a string is taken as decoded. Use
 * {@linkcode parseProcfile} to throw on the first problem.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkProcfile } from "./procfile.ts";
 * const { entries, problems } = checkProcfile("web: serve\nweb : x\n");
 * assert.ok(entries.length === 1 && problems[0].line === 2);
 * assert.deepEqual(checkProcfile("web: a\0b\n").problems, [{
 *   path: "Procfile",
 *   line: 1,
 *   column: 7,
 *   message: 'control character U+0000 in the command of "web": only tab may appear in a line',
 * }]);
 * ```
 */
export function checkProcfile(
  input: string | Uint8Array,
  path = "Procfile",
): ProcfileCheck {
  const entries: ProcfileEntry[] = [];
  const directives: ProcfileDirective[] = [];
  const problems: Problem[] = [];
  let text: string;
  if (typeof input === "string") text = input;
  else {
    const decoded = decodeUtf8(input);
    if (typeof decoded !== "string") {
      return { entries, directives, problems: [{ path, ...decoded }] };
    }
    text = decoded;
  }
  const seen = new Map<string, number>();
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const lines = text.split(/\r\n|\r|\n/);
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  lines.forEach((raw, i) => {
    const line = i + 1;
    const control = _CONTROL.exec(raw);
    if (control) {
      problems.push({ path, line, ..._control(raw, control.index) });
      return;
    }
    if (_DIRECTIVE.test(raw)) {
      const found = _directive(raw, line);
      if (typeof found === "string") {
        problems.push({ path, line, message: found });
      } else directives.push(...found);
      return;
    }
    if (_BLANK.test(raw)) return;
    const match = _ENTRY.exec(raw);
    if (!match) {
      problems.push({ path, line, ..._explain(raw) });
      return;
    }
    const [, name, rest] = match;
    // Spaces and tabs only: the spec trims "trailing spaces", and any other
    // character at the end is the user's.
    let end = rest.length;
    while (end > 0 && _isBlank(rest.charCodeAt(end - 1))) end--;
    const command = rest.slice(0, end);
    if (command === "") {
      problems.push({ path, line, message: `empty command for "${name}"` });
      return;
    }
    const first = seen.get(name);
    if (first !== undefined) {
      problems.push({
        path,
        line,
        message: `duplicate process type "${name}" (first on line ${first})`,
      });
      return;
    }
    seen.set(name, line);
    entries.push({ name, command, line });
  });
  return { entries, directives, problems };
}

/**
 * The settings of one `#tend TYPE key=value...` line, or what is wrong
 * with it. A value may be double-quoted to hold spaces.
 */
function _directive(raw: string, line: number): ProcfileDirective[] | string {
  const words: { text: string; column: number }[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|[^ \t"]+/g;
  const at = "#tend".length;
  const body = raw.slice(at);
  let word: { text: string; column: number } | undefined;
  let last = -1;
  for (const m of body.matchAll(re)) {
    const text = m[1] !== undefined ? m[1].replace(/\\(.)/g, "$1") : m[0];
    const column = at + m.index + 1;
    // Pieces with no space between them are one word: `ready="a b"`.
    if (word && m.index === last) word.text += text;
    else words.push(word = { text, column });
    last = m.index + m[0].length;
  }
  const [type, ...settings] = words;
  if (!type || !_NAME.test(type.text)) {
    return '"#tend" needs a process type, then key=value settings, e.g. "#tend web ready=tcp"';
  }
  if (settings.length === 0) {
    return `"#tend ${type.text}" has no settings (e.g. ready=tcp, after=db)`;
  }
  const out: ProcfileDirective[] = [];
  for (const setting of settings) {
    const eq = setting.text.indexOf("=");
    if (eq <= 0) {
      return `expected key=value after "#tend ${type.text}", got ${
        quote(setting.text)
      }`;
    }
    out.push({
      type: type.text,
      key: setting.text.slice(0, eq),
      value: setting.text.slice(eq + 1),
      line,
      column: setting.column,
    });
  }
  return out;
}

function _isBlank(c: number): boolean {
  return c === 32 || c === 9;
}

/** 1-based column of `index` in one line, counting code points. */
function _column(raw: string, index: number): number {
  return position(raw, index)[1];
}

/** The problem of a control character at `index`. */
function _control(raw: string, index: number): Omit<Problem, "path"> {
  const code = raw.charCodeAt(index).toString(16).toUpperCase();
  const entry = /^([A-Za-z0-9_-]+):/.exec(raw);
  const where = entry && entry[0].length <= index
    ? `in the command of "${entry[1]}"`
    : "in the line";
  return {
    column: _column(raw, index),
    message: `control character U+${
      code.padStart(4, "0")
    } ${where}: only tab may appear in a line`,
  };
}

/** What is wrong with a line that is not `NAME: COMMAND`, and where. */
function _explain(raw: string): Omit<Problem, "path"> {
  let indent = 0;
  while (_isBlank(raw.charCodeAt(indent))) indent++;
  const colon = raw.indexOf(":");
  const lead = raw.slice(indent, colon).trimEnd();
  if (indent > 0 && colon !== -1 && _NAME.test(lead)) {
    return {
      column: 1,
      message:
        `leading whitespace before "${lead}": an entry starts at the beginning of its line`,
    };
  }
  if (colon === -1) {
    return { message: `expected "NAME: COMMAND", got ${quote(raw.trim())}` };
  }
  const name = raw.slice(0, colon);
  const bare = name.trimEnd();
  if (bare !== name && _NAME.test(bare)) {
    return {
      column: _column(raw, bare.length),
      message: `space before ":" in process type ${quote(name)}`,
    };
  }
  let bad = 0;
  while (_NAME.test(name[bad] ?? "")) bad++;
  return {
    column: _column(raw, bad),
    message: `invalid process type ${
      quote(name)
    } (use letters, digits, "_" and "-")`,
  };
}

/**
 * Parses Procfile text into its entries, in order. Throws a
 * {@linkcode TendError} listing every problem (each with its line) when the
 * file has any, or when it has no entries at all.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseProcfile } from "./procfile.ts";
 * const entries = parseProcfile("web: python -m http.server $PORT\nworker: ./work\n");
 * assert.ok(entries[0].name === "web" && entries[1].command === "./work");
 * ```
 */
export function parseProcfile(
  text: string | Uint8Array,
  path = "Procfile",
): ProcfileEntry[] {
  const { entries, problems } = checkProcfile(text, path);
  if (problems.length === 0 && entries.length === 0) {
    problems.push({ path, message: "no process types defined" });
  }
  if (problems.length > 0) throw new TendError(problems);
  return entries;
}
