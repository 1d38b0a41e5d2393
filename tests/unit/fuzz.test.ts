/**
 * Fuzzing the parsers of user input with fast-check: the Procfile parser,
 * the formation and port planner, the command line and the `.env` parser,
 * over random and mutated inputs. Each must return a well-formed result or
 * throw tend's TendError (with a place where the input has one), never
 * another error, and never hang. `TEND_SOAK=N` runs N times more cases.
 */
import assert from "node:assert/strict";
import process from "node:process";
import { describe, it } from "node:test";
import fc from "fast-check";
import { resolveReadiness } from "../../src/order.ts";
import { COMMANDS, parseArgs } from "../../src/args.ts";
import {
  DotenvError,
  findAssignment,
  parse,
  type UnsetReference,
} from "../../src/dotenv.ts";
import { TendError } from "../../src/errors.ts";
import { EXIT_FAILURE, EXIT_USAGE } from "../../src/status.ts";
import {
  type Instance,
  parseFormation,
  parsePort,
  plan,
} from "../../src/formation.ts";
import {
  checkProcfile,
  parseProcfile,
  type ProcfileEntry,
} from "../../src/procfile.ts";

const SOAK = Math.max(1, Math.floor(Number(process.env.TEND_SOAK ?? "1")) || 1);
const RUNS = 1000 * SOAK;

/** One call must not take this long: a hang guard, not a benchmark. */
const HANG_MS = 2000;

/**
 * Calls `fn` and returns its result or the TendError it threw; anything
 * else thrown, or a call slower than the hang guard, fails the property.
 */
function outcome<T>(fn: () => T): T | TendError {
  const started = performance.now();
  let result: T | TendError;
  try {
    result = fn();
  } catch (error) {
    if (!(error instanceof TendError)) {
      throw new Error(`threw ${String(error)} instead of a TendError`, {
        cause: error,
      });
    }
    assert.ok(error.problems.length > 0, "a TendError names its problems");
    assert.ok(error.message.length > 0);
    result = error;
  }
  const ms = performance.now() - started;
  assert.ok(ms < HANG_MS, `took ${ms.toFixed(0)} ms`);
  return result;
}

/** Applies random edits (insert, delete, duplicate, swap) to a text. */
function mutated(
  base: fc.Arbitrary<string>,
  alphabet: fc.Arbitrary<string>,
): fc.Arbitrary<string> {
  const edit = fc.tuple(
    fc.constantFrom("insert", "delete", "duplicate", "swap"),
    fc.nat(),
    fc.nat(),
    alphabet,
  );
  return fc.tuple(base, fc.array(edit, { maxLength: 8 })).map(
    ([text, edits]) => {
      for (const [kind, a, b, ch] of edits) {
        const i = text.length ? a % (text.length + 1) : 0;
        const j = text.length ? b % (text.length + 1) : 0;
        const [lo, hi] = i < j ? [i, j] : [j, i];
        if (kind === "insert") text = text.slice(0, i) + ch + text.slice(i);
        if (kind === "delete") text = text.slice(0, lo) + text.slice(hi);
        if (kind === "duplicate") {
          text = text.slice(0, hi) + text.slice(lo, hi) + text.slice(hi);
        }
        if (kind === "swap") {
          text = text.slice(lo, hi) + text.slice(0, lo) + text.slice(hi);
        }
      }
      return text;
    },
  );
}

/** Characters that mean something to a Procfile, plus a few that do not. */
const procfileChar = fc.constantFrom(
  ":",
  " ",
  "\t",
  "#",
  "\n",
  "\r",
  "\r\n",
  "\ufeff",
  "-",
  "_",
  ".",
  "=",
  "a",
  "Z",
  "9",
  "é",
  "\0",
  "😀",
  "$",
  "'",
  '"',
  "\u2028",
  "\u2029",
  "\x1b",
  "\x7f",
  "\u0085",
  "\f",
  "\v",
  "\u00a0",
);

/** C0 controls but tab (and the line ends), DEL, C1: never in an entry. */
// deno-lint-ignore no-control-regex -- matching control characters is the point
const CONTROL = /[\0-\x08\x0b-\x1f\x7f-\x9f]/;

const procfileLine = fc.oneof(
  fc.tuple(
    fc.stringMatching(/^[A-Za-z0-9_-]{1,8}$/),
    fc.constantFrom(":", ": ", ":\t", " :", ":  "),
    fc.string({ maxLength: 20 }),
  ).map(([n, c, cmd]) => n + c + cmd),
  fc.constantFrom("", "# comment", "  ", "web: serve", "web:", ": x"),
  fc.string({ maxLength: 30 }),
  // `#tend` settings lines, well formed or not.
  fc.tuple(
    fc.constantFrom("#tend", "#tend ", "#tend\t", "#tendx "),
    fc.stringMatching(/^[A-Za-z0-9_-]{0,6}$/),
    fc.array(
      fc.oneof(
        fc.tuple(
          fc.constantFrom("ready", "after", "x", ""),
          fc.constantFrom("=", "", "=="),
          fc.oneof(
            fc.constantFrom("tcp", "http:/up", 'exec:"a b"', "log:(", "web,db"),
            fc.string({ maxLength: 8 }),
          ),
        ).map(([k, eq, v]) => k + eq + v),
        fc.constantFrom('"', 'ready="a b', "\\"),
      ),
      { maxLength: 3 },
    ),
  ).map(([head, type, settings]) => [head + type, ...settings].join(" ")),
);

const procfileText = fc.oneof(
  fc.array(procfileLine, { maxLength: 12 }).chain((lines) =>
    fc.constantFrom("\n", "\r\n", "\r").map((nl) => lines.join(nl))
  ),
  fc.string({ unit: procfileChar, maxLength: 80 }),
  fc.string({ unit: "grapheme", maxLength: 80 }),
  mutated(
    fc.constantFrom(
      "web: python -m http.server $PORT\nworker: ./work --queue=a:b\n",
      "\ufeff# app\r\nweb: serve\r\n\r\nclock: tick\r\n",
    ),
    procfileChar,
  ),
);

describe("fuzz: Procfile", () => {
  it("#tend settings never throw; each problem is one line with its place", () => {
    fc.assert(
      fc.property(procfileText, (text) => {
        const checked = checkProcfile(text, "P");
        const problems: { line?: number; message: string }[] = [];
        resolveReadiness({ ...checked, path: "P" }, problems);
        for (const problem of problems) {
          assert.ok(problem.message.length > 0);
          assert.ok(!/[\n\r]/.test(problem.message), "one line");
        }
      }),
      { numRuns: RUNS },
    );
  });

  it("checkProcfile never throws; every problem has the path and a line in the file", () => {
    fc.assert(
      fc.property(procfileText, (text) => {
        const result = outcome(() => checkProcfile(text, "P"));
        assert.ok(!(result instanceof TendError), "checkProcfile throws");
        const lines = text.replace(/^\ufeff/, "").split(/\r\n|\r|\n/);
        for (const problem of result.problems) {
          assert.equal(problem.path, "P");
          assert.ok(
            Number.isInteger(problem.line) && problem.line! >= 1 &&
              problem.line! <= lines.length,
            `line ${problem.line} of ${lines.length}`,
          );
          assert.ok(problem.message.length > 0);
          assert.ok(!/[\n\r\u2028\u2029]/.test(problem.message), "one line");
          if (problem.column !== undefined) {
            const chars = [...lines[problem.line! - 1]];
            assert.ok(
              problem.column >= 1 && problem.column <= chars.length + 1,
              `column ${problem.column}`,
            );
            if (problem.message.startsWith("control character")) {
              // The column names the first control character of the line.
              const at = chars.findIndex((c) => CONTROL.test(c));
              assert.equal(problem.column, at + 1);
            }
          }
        }
        // A line holding a control character is a problem, never an entry.
        lines.forEach((line, i) => {
          if (!CONTROL.test(line)) return;
          assert.ok(result.problems.some((p) => p.line === i + 1));
        });
        const names = new Set<string>();
        let last = 0;
        for (const entry of result.entries) {
          assert.match(entry.name, /^[A-Za-z0-9_-]+$/);
          assert.ok(entry.command.length > 0);
          assert.doesNotMatch(entry.command, /^[ \t]|[ \t]$/, "trimmed");
          assert.doesNotMatch(entry.command, CONTROL);
          assert.ok(!names.has(entry.name), "duplicate entry");
          names.add(entry.name);
          assert.ok(entry.line > last);
          last = entry.line;
        }
      }),
      { numRuns: RUNS },
    );
  });

  it("parseProcfile returns the entries or throws a TendError with every problem", () => {
    fc.assert(
      fc.property(procfileText, (text) => {
        const check = checkProcfile(text, "P");
        const result = outcome(() => parseProcfile(text, "P"));
        if (result instanceof TendError) {
          assert.equal(result.exitCode, EXIT_FAILURE);
          if (check.problems.length > 0) {
            assert.deepEqual(result.problems, check.problems);
          } else {
            assert.equal(check.entries.length, 0);
            assert.deepEqual(result.problems, [
              { path: "P", message: "no process types defined" },
            ]);
          }
        } else {
          assert.equal(check.problems.length, 0);
          assert.deepEqual(result, check.entries);
          assert.ok(result.length > 0);
        }
      }),
      { numRuns: RUNS },
    );
  });
});

/** Text as UTF-16 bytes, as Windows Notepad saves "Unicode". */
function utf16(text: string, little: boolean, bom: boolean): Uint8Array {
  const units = [...(bom ? "\ufeff" : ""), ...text].flatMap((c) => {
    const u = c.charCodeAt(0);
    return little ? [u & 0xff, u >> 8] : [u >> 8, u & 0xff];
  });
  return new Uint8Array(units);
}

describe("fuzz: Procfile bytes", () => {
  it("bytes read as their UTF-8 text, or give one problem", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 80 }),
          procfileText.map((t) => new TextEncoder().encode(t)),
        ),
        (bytes) => {
          const result = outcome(() => checkProcfile(bytes, "P"));
          assert.ok(!(result instanceof TendError), "checkProcfile throws");
          let text: string | undefined;
          try {
            text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true })
              .decode(bytes);
          } catch {
            // invalid UTF-8: one problem, at a place
          }
          if (text === undefined) {
            assert.equal(result.problems.length, 1);
            assert.equal(result.entries.length, 0);
            assert.match(result.problems[0].message, /UTF-8|UTF-16/);
          } else if (!result.problems.some((p) => /UTF-16/.test(p.message))) {
            assert.deepEqual(result, checkProcfile(text, "P"));
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("a UTF-16 file is one problem that says so", () => {
    fc.assert(
      fc.property(
        fc.string({
          unit: fc.integer({ min: 1, max: 0xff }).map((c) =>
            String.fromCharCode(c)
          ),
          minLength: 2,
          maxLength: 60,
        }),
        fc.boolean(),
        fc.boolean(),
        (text, little, bom) => {
          const result = checkProcfile(utf16(text, little, bom), "P");
          assert.deepEqual(result.problems, [{
            path: "P",
            message: `the file is UTF-16 (${
              little ? "little" : "big"
            }-endian), not UTF-8: save it as UTF-8`,
          }]);
        },
      ),
      { numRuns: RUNS },
    );
  });
});

const typeName = fc.stringMatching(/^[A-Za-z0-9_-]{1,6}$/);

/** Distinct Procfile entries. */
const entriesArb: fc.Arbitrary<ProcfileEntry[]> = fc.uniqueArray(typeName, {
  minLength: 1,
  maxLength: 8,
}).map((names) =>
  names.map((name, i) => ({ name, command: `run ${name}`, line: i + 1 }))
);

const formationText = fc.oneof(
  fc.array(
    fc.tuple(
      fc.oneof(typeName, fc.constant("all")),
      fc.constantFrom("=", " = ", "= ", "=="),
      fc.oneof(
        fc.nat({ max: 12 }).map(String),
        fc.constantFrom("-1", "x", "", "1.5", "1e3", "0x10", "99999", "10000"),
      ),
    ).map(([t, eq, n]) => t + eq + n),
    { maxLength: 6 },
  ).map((parts) => parts.join(",")),
  fc.string({ maxLength: 30 }),
  mutated(
    fc.constantFrom("web=2,worker=1", "all=3, web=0"),
    fc.constantFrom("=", ",", " ", "a", "1", "-", "."),
  ),
);

describe("fuzz: formation and ports", () => {
  it("parseFormation returns counts 0..10000 for known types or throws a usage error", () => {
    fc.assert(
      fc.property(
        formationText,
        fc.option(fc.array(typeName, { maxLength: 5 })),
        (spec, types) => {
          const result = outcome(() =>
            parseFormation(spec, types ?? undefined)
          );
          if (result instanceof TendError) {
            assert.equal(result.exitCode, EXIT_USAGE);
            return;
          }
          for (const [type, count] of result) {
            assert.match(type, /^[A-Za-z0-9_-]+$/);
            if (types && type !== "all") assert.ok(types.includes(type));
            assert.ok(
              Number.isSafeInteger(count) && count >= 0 && count <= 10_000,
            );
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("parsePort accepts exactly 1-65535", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer({ min: -10, max: 70_000 }).map(String),
          fc.string({ maxLength: 8 }),
        ),
        (value) => {
          const result = outcome(() => parsePort(value, "-p"));
          if (result instanceof TendError) {
            assert.equal(result.exitCode, EXIT_USAGE);
          } else {
            assert.ok(
              Number.isInteger(result) && result >= 1 && result <= 65535,
            );
            assert.equal(result, Number(value));
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("plan gives every instance a port in 1..65535 by the spec's rule, or throws a TendError", () => {
    fc.assert(
      fc.property(
        entriesArb,
        fc.array(fc.oneof(typeName, fc.constant("all")), { maxLength: 4 }),
        formationText,
        fc.integer({ min: 1, max: 65535 }),
        (entries, only, spec, basePort) => {
          const known = entries.map((e) => e.name);
          let formation: Map<string, number>;
          try {
            formation = parseFormation(spec, known);
          } catch {
            formation = new Map<string, number>();
          }
          const result = outcome(() =>
            plan(entries, { only, formation, basePort, path: "P" })
          );
          const order = only.length ? [...new Set(only)] : known;
          if (result instanceof TendError) {
            if (only.some((t) => !known.includes(t))) {
              assert.equal(result.exitCode, EXIT_FAILURE);
              assert.equal(result.path, "P");
              return;
            }
            // The only other reason: some port would be above 65535.
            assert.equal(result.exitCode, EXIT_USAGE);
            let k = 0;
            let highest = 0;
            for (const type of order) {
              const count = formation.get(type) ?? formation.get("all") ?? 1;
              if (count === 0) continue;
              highest = Math.max(highest, basePort + 100 * k + count - 1);
              k++;
            }
            assert.ok(highest > 65535, result.message);
            return;
          }
          let k = 0;
          let at = 0;
          for (const type of order) {
            const count = formation.get(type) ?? formation.get("all") ?? 1;
            if (count === 0) continue;
            for (let i = 0; i < count; i++) {
              const instance: Instance = result[at++];
              assert.equal(instance.name, `${type}.${i + 1}`);
              assert.equal(instance.port, basePort + 100 * k + i);
              assert.ok(instance.port <= 65535, `port ${instance.port}`);
            }
            k++;
          }
          assert.equal(at, result.length);
        },
      ),
      { numRuns: RUNS },
    );
  });
});

const FLAG_WORDS = [
  "-f",
  "-e",
  "-d",
  "-c",
  "-m",
  "-p",
  "-t",
  "-q",
  "-a",
  "-u",
  "-l",
  "-h",
  "-fe",
  "-cweb=2",
  "-x",
  "--procfile",
  "--env",
  "--env=.env",
  "--app-root",
  "--root",
  "--concurrency",
  "--formation=web=1",
  "--port",
  "--port=",
  "--override",
  "--override=1",
  "--example",
  "--timeout",
  "--quiet",
  "--no-color",
  "--no-colour",
  "--no-prefix",
  "--no-timestamp",
  "--can-die",
  "--restart",
  "--max-restarts",
  "--stop-signal",
  "--show-secrets",
  "--all",
  "--strict",
  "--no-example",
  "--example=",
  "--concurency",
  "strat",
  "--app",
  "--user",
  "--log",
  "--image",
  "--template",
  "--force",
  "--help",
  "--version",
  "--bogus",
  "--",
  "-",
  "--=",
  "",
];

const argvArb = fc.array(
  fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...FLAG_WORDS) },
    { weight: 2, arbitrary: fc.constantFrom(...COMMANDS, "frob") },
    { weight: 2, arbitrary: fc.string({ maxLength: 10 }) },
  ),
  { maxLength: 10 },
);

describe("fuzz: command line", () => {
  it("parseArgs returns a known command or throws a usage error", () => {
    fc.assert(
      fc.property(argvArb, (argv) => {
        const result = outcome(() => parseArgs(argv));
        if (result instanceof TendError) {
          assert.equal(result.exitCode, EXIT_USAGE);
          assert.ok(!result.message.includes("\n"), "one line");
          return;
        }
        assert.ok((COMMANDS as readonly string[]).includes(result.command));
        assert.ok(Array.isArray(result.positionals));
        const { command, positionals, flags } = result;
        // A file or directory is never named by an empty string.
        for (const value of [flags.procfile, flags.appRoot, flags.example]) {
          assert.notEqual(value, "");
        }
        for (const value of flags.env ?? []) assert.notEqual(value, "");
        if (!flags.help && !flags.version) {
          if (command === "run") assert.ok(positionals.length >= 1);
          if (command === "check") assert.equal(positionals.length, 0);
          if (command === "env") assert.ok(positionals.length <= 1);
        }
      }),
      { numRuns: RUNS },
    );
  });
});

const dotenvChar = fc.constantFrom(
  "A",
  "b",
  "_",
  "1",
  ".",
  "-",
  "=",
  " ",
  "\t",
  "\n",
  "\r",
  "#",
  '"',
  "'",
  "`",
  "$",
  "{",
  "}",
  ":",
  "?",
  "+",
  "\\",
  "export ",
  "\0",
  "é",
  "\ufeff",
);

const dotenvInput: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  fc.string({ unit: dotenvChar, maxLength: 60 }),
  fc.string({ unit: "grapheme", maxLength: 60 }),
  fc.uint8Array({ maxLength: 60 }),
  mutated(
    fc.constantFrom(
      "export A=1\nB=\"x $A ${C:-d}\"\nC='lit $A'\n# c\nD=`t`\n",
      'URL="postgres://$HOST:${PORT:-5432}/db" # primary\nE=${URL:?missing}\n',
    ),
    dotenvChar,
  ),
);

describe("fuzz: .env files", () => {
  it("parse returns keys of the grammar or throws a DotenvError at a place in the text", () => {
    fc.assert(
      fc.property(dotenvInput, (input) => {
        const result = outcome(() =>
          parse(input, { path: "F", processEnv: {} })
        );
        if (result instanceof TendError) {
          assert.ok(result instanceof DotenvError, result.message);
          assert.equal(result.exitCode, EXIT_FAILURE);
          assert.equal(result.path, "F");
          const text = typeof input === "string"
            ? input
            : new TextDecoder().decode(input);
          const lines = text.split(/\r\n|\r|\n/).length;
          assert.ok(
            result.line >= 1 && result.line <= lines,
            `line ${result.line}`,
          );
          assert.ok(result.column >= 1);
          assert.ok(
            result.message.startsWith(`F:${result.line}:${result.column}: `),
          );
          return;
        }
        for (const key of result.keys()) assert.match(key, /^[A-Za-z0-9_.-]+$/);
      }),
      { numRuns: RUNS },
    );
  });
});

/** Assignments whose values hold references, some to names set nowhere. */
const dotenvWithReferences: fc.Arbitrary<string> = fc.array(
  fc.tuple(
    fc.constantFrom("A", "B", "word1", "_x", "abc"),
    fc.constantFrom("", '"', "'"),
    fc.array(
      fc.constantFrom(
        "pa",
        "$word1",
        "${A}",
        "$2b$12",
        "$abc",
        "\\$B",
        "${B:-$A}",
        "${_x+$abc}",
        " ",
        "\u{1F600}",
        "é",
        "\n",
        "#",
      ),
      { maxLength: 6 },
    ),
  ).map(([key, q, parts]) => {
    const value = parts.join("");
    return q === ""
      ? `${key}=${value.replace(/\n/g, "")}`
      : `${key}=${q}${value}${q}`;
  }),
  { maxLength: 8 },
).map((lines) => lines.join("\n"));

/** The text `parse` reads: decoded, one BOM off, CRLF and CR as LF. */
function normalized(input: string | Uint8Array): string {
  const text = typeof input === "string"
    ? input
    : new TextDecoder().decode(input);
  return text.replace(/^\ufeff/, "").replace(/\r\n?/g, "\n");
}

describe("fuzz: .env files, every problem and warning", () => {
  it("with onError, parse never throws, reports errors in text order, and agrees with parse", () => {
    fc.assert(
      fc.property(dotenvInput, (input) => {
        const errors: DotenvError[] = [];
        const result = outcome(() =>
          parse(input, {
            path: "F",
            processEnv: {},
            onError: (e) => errors.push(e),
          })
        );
        assert.ok(!(result instanceof TendError), "threw with onError");
        const lines = normalized(input).split("\n").length;
        let last = 0;
        for (const error of errors) {
          assert.ok(error instanceof DotenvError);
          assert.ok(error.line >= 1 && error.line <= lines);
          assert.ok(error.line >= last, "errors out of order");
          last = error.line;
        }
        const plain = outcome(() =>
          parse(input, { path: "F", processEnv: {} })
        );
        if (plain instanceof TendError) {
          assert.ok(errors.length > 0);
          assert.equal(errors[0].message, plain.message);
        } else {
          assert.deepEqual(errors, []);
          assert.deepEqual([...result], [...plain]);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it("onUnset names each reference at its $, in order, without changing values", () => {
    fc.assert(
      fc.property(fc.oneof(dotenvInput, dotenvWithReferences), (input) => {
        const refs: UnsetReference[] = [];
        const result = outcome(() =>
          parse(input, {
            path: "F",
            processEnv: {},
            onUnset: (r) => refs.push(r),
          })
        );
        const plain = outcome(() =>
          parse(input, { path: "F", processEnv: {} })
        );
        if (result instanceof TendError) {
          assert.ok(plain instanceof TendError);
          assert.equal(result.message, plain.message);
          return;
        }
        assert.ok(!(plain instanceof TendError));
        assert.deepEqual([...result], [...plain]);
        const lines = normalized(input).split("\n");
        let last: [number, number] = [0, 0];
        for (const ref of refs) {
          assert.match(ref.name, /^[A-Za-z_][A-Za-z0-9_]*$/);
          assert.ok(
            ref.text === `$${ref.name}` || ref.text === `\${${ref.name}}`,
          );
          const line = [...lines[ref.line - 1]];
          assert.equal(
            line.slice(ref.column - 1, ref.column - 1 + ref.text.length)
              .join(""),
            ref.text,
            "the place shows the reference",
          );
          assert.ok(
            ref.line > last[0] ||
              (ref.line === last[0] && ref.column > last[1]),
          );
          last = [ref.line, ref.column];
        }
      }),
      { numRuns: RUNS },
    );
  });
});

describe("fuzz: .env files, places of values", () => {
  it("findAssignment finds exactly the keys parse assigns, at a place in the text", () => {
    fc.assert(
      fc.property(fc.oneof(dotenvInput, dotenvWithReferences), (input) => {
        const result = outcome(() => parse(input, { processEnv: {} }));
        if (result instanceof TendError) return;
        const lines = normalized(input).split("\n");
        for (const key of [...result.keys(), "NOT_A_KEY_HERE"]) {
          const place = outcome(() => findAssignment(input, key));
          assert.ok(!(place instanceof TendError));
          assert.equal(place !== undefined, result.has(key), key);
          if (place === undefined) continue;
          assert.ok(place.line >= 1 && place.line <= lines.length);
          const line = [...lines[place.line - 1]];
          assert.ok(place.column >= 1 && place.column <= line.length + 1);
          // The value starts after the key's "=" on that line.
          assert.ok(line.slice(0, place.column - 1).join("").includes("="));
        }
      }),
      { numRuns: RUNS },
    );
  });
});

describe("fuzz: large and adversarial inputs", () => {
  it("finish well within the hang guard", () => {
    const long = "x".repeat(1 << 20);
    const cases: [string, () => unknown][] = [
      ["Procfile, one 1 MiB line", () => checkProcfile(`web: ${long}`)],
      ["Procfile, 1 MiB name", () => checkProcfile(`${long}: x`)],
      ["Procfile, 1 MiB of colons", () => checkProcfile(":".repeat(1 << 20))],
      [
        "Procfile, 100k lines",
        () => checkProcfile("web: x\n".repeat(100_000)),
      ],
      [
        "formation, 100k entries",
        () => parseFormation("web=1,".repeat(100_000), ["web"]),
      ],
      ["formation, 1 MiB entry", () => parseFormation(`web=${long}`)],
      [
        "argv, 100k flags",
        () => parseArgs(Array.from({ length: 100_000 }, () => "-e.env")),
      ],
      [
        ".env, ${} nested 10k deep",
        () => parse("A=" + "${B:-".repeat(10_000) + "x" + "}".repeat(10_000)),
      ],
      [
        ".env, doubling expansion",
        () =>
          parse(
            Array.from({ length: 40 }, (_, i) =>
              i === 0 ? "K0=xx" : `K${i}=$K${i - 1}$K${i - 1}`).join("\n"),
          ),
      ],
      [".env, 1 MiB unterminated quote", () => parse(`A="${long}`)],
    ];
    for (const [what, fn] of cases) {
      const started = performance.now();
      outcome(fn);
      const ms = performance.now() - started;
      assert.ok(ms < HANG_MS, `${what}: ${ms.toFixed(0)} ms`);
    }
  });
});
