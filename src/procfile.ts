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

/** What {@linkcode checkProcfile} found: the valid entries and every problem. */
export interface ProcfileCheck {
  /** Entries that parsed, in file order (duplicates after the first dropped). */
  entries: ProcfileEntry[];
  /** Every problem, in line order. Empty when the file is valid. */
  problems: Problem[];
}

const _ENTRY = /^([A-Za-z0-9_-]+):[ \t]*(.*)$/;
const _NAME = /^[A-Za-z0-9_-]+$/;

/**
 * Checks Procfile text and returns the entries and every problem, without
 * throwing. Use {@linkcode parseProcfile} to throw on the first problem.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkProcfile } from "./procfile.ts";
 * const { entries, problems } = checkProcfile("web: serve\nweb : x\n");
 * assert.ok(entries.length === 1 && problems[0].line === 2);
 * ```
 */
export function checkProcfile(text: string, path = "Procfile"): ProcfileCheck {
  const entries: ProcfileEntry[] = [];
  const problems: Problem[] = [];
  const seen = new Map<string, number>();
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const lines = text.split(/\r\n|\r|\n/);
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  lines.forEach((raw, i) => {
    const line = i + 1;
    const trimmed = raw.trim();
    if (trimmed === "" || trimmed.startsWith("#")) return;
    const match = _ENTRY.exec(raw);
    if (!match) {
      problems.push({ path, line, message: _explain(raw) });
      return;
    }
    const [, name, rest] = match;
    const command = rest.trimEnd();
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
  return { entries, problems };
}

function _explain(raw: string): string {
  const colon = raw.indexOf(":");
  if (colon === -1) {
    return `expected "NAME: COMMAND", got ${JSON.stringify(raw.trim())}`;
  }
  const name = raw.slice(0, colon);
  if (name.trim() !== name && _NAME.test(name.trim())) {
    return `space before ":" in process type ${JSON.stringify(name)}`;
  }
  return `invalid process type ${
    JSON.stringify(name)
  } (use letters, digits, "_" and "-")`;
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
  text: string,
  path = "Procfile",
): ProcfileEntry[] {
  const { entries, problems } = checkProcfile(text, path);
  if (problems.length === 0 && entries.length === 0) {
    problems.push({ path, message: "no process types defined" });
  }
  if (problems.length > 0) throw new TendError(problems);
  return entries;
}
