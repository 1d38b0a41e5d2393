// Property tests for src/dotenv.ts with fast-check: stringify/parse
// round-trips, parse never throws anything but a DotenvError with a place,
// and no input makes parse slow (hang guards on long inputs).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { DotenvError, parse, type ParseOptions } from "../../src/dotenv.ts";
import { stringify } from "../../src/dotenv_stringify.ts";

const enc = new TextEncoder();

/** A single parse of a short input must be instant; this only catches hangs. */
const SHORT_INPUT_MS = 250;
/** A 200 KB input must finish "well under a second"; again a hang guard. */
const LONG_INPUT_MS = 1000;

const KEY_RE = /^[A-Za-z0-9_.-]+$/;

const keyArb = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9_.-]{1,12}$/),
  fc.constantFrom("export", "A", "_", "1B", "A.B", "A-B", "export.x", "PATH"),
);

// Characters that mean something somewhere in the grammar, plus a few that
// exercise decoding and column counting.
const SPECIALS = [
  '"',
  "'",
  "`",
  "$",
  "#",
  "\\",
  "\n",
  "\r",
  "\t",
  " ",
  "{",
  "}",
  ":",
  "-",
  "+",
  "?",
  "=",
  "a",
  "A",
  "_",
  "\u00e9",
  "\u{1F600}",
  "\uFEFF",
  "\r\n",
  "${",
  "${A",
  ":-",
  "\\$",
  '\\"',
  " #",
];

const specialString = fc.string({
  unit: fc.constantFrom(...SPECIALS),
  maxLength: 30,
});

const noNul = (s: string): boolean => !s.includes("\0");

/** Any JS string, lone surrogates included: parse takes strings as given. */
const utf16String = fc.string({
  unit: fc.integer({ min: 1, max: 0xffff }).map((c) => String.fromCharCode(c)),
  maxLength: 20,
});

const valueArb = fc.oneof(
  fc.string({ unit: "binary", maxLength: 30 }).filter(noNul),
  specialString,
  fc.string({ unit: "grapheme", maxLength: 10 }).filter(noNul),
  fc.string({ maxLength: 20 }),
  utf16String,
);

const pairsArb = fc.array(fc.tuple(keyArb, valueArb), { maxLength: 8 });

// Statement-shaped noise, so random input reaches deep into the parser
// instead of failing on the first character.
const DOTENVISH = [
  ...SPECIALS,
  "A=",
  "B=",
  "export ",
  "A",
  "B",
  "U",
  "${U:-",
  "${U:?",
  "${A}",
  "$A",
  "${U+",
  "${A?",
  "=",
  "\n",
  "\0",
  "\ud800",
  "x",
];
const dotenvishString = fc.string({
  unit: fc.constantFrom(...DOTENVISH),
  maxLength: 60,
});

const optionsArb: fc.Arbitrary<ParseOptions> = fc.record({
  path: fc.constantFrom(".env", "x/.env.local"),
  processEnv: fc.dictionary(
    fc.constantFrom("A", "B", "U", "PATH"),
    fc.string({ maxLength: 5 }),
  ),
  override: fc.boolean(),
  initial: fc.array(
    fc.tuple(fc.constantFrom("A", "B", "U"), fc.string({ maxLength: 5 })),
    {
      maxLength: 3,
    },
  ).map((pairs) => new Map(pairs)),
}, { requiredKeys: [] });

/** Parses; a result must be well-formed, an error must be a placed DotenvError. */
function parseCleanly(
  input: string | Uint8Array,
  options?: ParseOptions,
): void {
  const start = performance.now();
  try {
    const result = parse(input, options);
    assert.ok(result instanceof Map);
    for (const [key, value] of result) {
      assert.match(key, KEY_RE);
      assert.equal(typeof value, "string");
      assert.ok(!value.includes("\0"));
    }
  } catch (err) {
    if (!(err instanceof DotenvError)) throw err;
    assert.ok(Number.isInteger(err.line) && err.line >= 1, err.message);
    assert.ok(Number.isInteger(err.column) && err.column >= 1, err.message);
    const path = options?.path ?? ".env";
    assert.ok(
      err.message.startsWith(`${path}:${err.line}:${err.column}: `),
      err.message,
    );
    assert.equal(err.exitCode, 1);
  }
  const elapsed = performance.now() - start;
  assert.ok(elapsed < SHORT_INPUT_MS, `parse took ${elapsed} ms`);
}

function assertFast(label: string, run: () => void): void {
  const start = performance.now();
  run();
  const elapsed = performance.now() - start;
  assert.ok(elapsed < LONG_INPUT_MS, `${label} took ${elapsed.toFixed(0)} ms`);
}

/** The error parse throws for `text`, failing the test if it does not throw one. */
function dotenvError(text: string): DotenvError {
  try {
    parse(text);
  } catch (err) {
    if (err instanceof DotenvError) return err;
    throw err;
  }
  assert.fail("expected a DotenvError");
}

describe("stringify then parse round-trips", () => {
  it("any valid keys and any values without NUL", () => {
    fc.assert(
      fc.property(pairsArb, (pairs) => {
        assert.deepEqual([...parse(stringify(pairs))], [...new Map(pairs)]);
      }),
      { numRuns: 800 },
    );
  });
  it("values made only of special characters", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(keyArb, specialString), { maxLength: 5 }),
        (pairs) => {
          assert.deepEqual([...parse(stringify(pairs))], [...new Map(pairs)]);
        },
      ),
      { numRuns: 600 },
    );
  });
  it("through UTF-8 bytes, as a file would be written and read", () => {
    const wellFormed = fc.oneof(
      fc.string({ unit: "binary", maxLength: 30 }).filter(noNul),
      specialString,
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(keyArb, wellFormed), { maxLength: 5 }),
        (pairs) => {
          const bytes = enc.encode(stringify(pairs));
          assert.deepEqual([...parse(bytes)], [...new Map(pairs)]);
        },
      ),
      { numRuns: 300 },
    );
  });
  it("a record gives the same text as its entries", () => {
    fc.assert(
      fc.property(fc.dictionary(keyArb, valueArb, { maxKeys: 5 }), (record) => {
        assert.equal(stringify(record), stringify(Object.entries(record)));
        assert.deepEqual(
          [...parse(stringify(record))],
          Object.entries(record),
        );
      }),
      { numRuns: 200 },
    );
  });
  it("stringify writes one line per key and ends with a newline", () => {
    fc.assert(
      fc.property(pairsArb, (pairs) => {
        const text = stringify(pairs);
        const lines = text.split("\n");
        assert.equal(lines.pop(), "");
        assert.equal(lines.length, pairs.length);
      }),
      { numRuns: 200 },
    );
  });
});

describe("parse on arbitrary input returns or throws a placed DotenvError", () => {
  it("dotenv-shaped strings, with random options", () => {
    fc.assert(
      fc.property(dotenvishString, optionsArb, (text, options) => {
        parseCleanly(text, options);
      }),
      { numRuns: 1200 },
    );
  });
  it("arbitrary unicode and UTF-16 strings", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ unit: "binary", maxLength: 60 }), utf16String),
        (text) => {
          parseCleanly(text);
        },
      ),
      { numRuns: 400 },
    );
  });
  it("arbitrary bytes", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 80 }),
        (bytes) => parseCleanly(bytes),
      ),
      { numRuns: 400 },
    );
  });
  it("dotenv-shaped bytes with a corrupted byte", () => {
    fc.assert(
      fc.property(
        dotenvishString,
        fc.nat(),
        fc.integer({ min: 0, max: 255 }),
        (text, at, b) => {
          const bytes = enc.encode(text);
          if (bytes.length > 0) bytes[at % bytes.length] = b;
          parseCleanly(bytes);
        },
      ),
      { numRuns: 400 },
    );
  });
  it("a string and its UTF-8 bytes parse alike", () => {
    const wellFormed = fc.string({
      unit: fc.constantFrom(...DOTENVISH.filter((s) => s !== "\ud800")),
      maxLength: 40,
    });
    fc.assert(
      fc.property(wellFormed, (text) => {
        let fromString: unknown;
        let fromBytes: unknown;
        try {
          fromString = [...parse(text)];
        } catch (err) {
          fromString = (err as Error).message;
        }
        try {
          fromBytes = [...parse(enc.encode(text))];
        } catch (err) {
          fromBytes = (err as Error).message;
        }
        // Bytes with NULs may be a file saved as UTF-16, which only bytes
        // can show; either way both are errors.
        if (
          typeof fromBytes === "string" && / UTF-16 /.test(fromBytes) &&
          text.includes("\0")
        ) {
          assert.equal(typeof fromString, "string");
          return;
        }
        assert.deepEqual(fromBytes, fromString);
      }),
      { numRuns: 300 },
    );
  });
});

describe("no input hangs (200 KB inputs finish well under a second)", () => {
  const SIZE = 200_000;
  it("200 KB of ${ is a quick error", () => {
    assertFast("${ x 100000", () => {
      const err = dotenvError("A=" + "${".repeat(SIZE / 2));
      assert.equal(err.line, 1);
      assert.equal(err.column, 3);
    });
  });
  it("200 KB of $A$A$A expands linearly", () => {
    assertFast("$A x 100000", () => {
      const got = parse("A=1\nB=" + "$A".repeat(SIZE / 2) + "\n");
      assert.equal(got.get("B"), "1".repeat(SIZE / 2));
    });
  });
  it("200 KB of $A$A$A in double quotes expands linearly", () => {
    assertFast('"$A" x 100000', () => {
      const got = parse('A=ab\nB="' + "$A".repeat(SIZE / 2) + '"\n');
      assert.equal(got.get("B")?.length, SIZE);
    });
  });
  it("deep nesting of ${U:-...} does not recurse", () => {
    const depth = SIZE / 5;
    assertFast("nested ${U:-", () => {
      const text = "A=" + "${U:-".repeat(depth) + "x" + "}".repeat(depth);
      assert.equal(parse(text).get("A"), "x");
    });
    assertFast("unterminated nested ${U:-", () => {
      assert.equal(dotenvError("A=" + "${U:-".repeat(depth)).column, 3);
    });
  });
  it("an amplifying chain hits the interpolation limit quickly", () => {
    assertFast("billion laughs", () => {
      let text = "A=" + "x".repeat(1000) + "\nB=";
      text += "$A".repeat(SIZE / 2);
      assert.match(dotenvError(text).message, /more than/);
    });
    assertFast("doubling lines", () => {
      let text = "A0=" + "x".repeat(64) + "\n";
      for (let i = 1; i < 64; i++) text += `A${i}=$A${i - 1}$A${i - 1}\n`;
      assert.match(dotenvError(text).message, /more than/);
    });
  });
  it("many lines with one # at the end stay linear", () => {
    assertFast("50000 lines then #", () => {
      const got = parse("A=1\n".repeat(SIZE / 4) + "B=x #c\n");
      assert.equal(got.get("B"), "x");
    });
  });
  it("long runs of quotes, backslashes, dollars and hashes", () => {
    const inputs = [
      "A=" + '"'.repeat(SIZE),
      "A=" + "'".repeat(SIZE),
      'A="' + "\\".repeat(SIZE) + '"',
      "A=" + "\\".repeat(SIZE),
      "A=" + "$".repeat(SIZE),
      "A=" + " #".repeat(SIZE / 2),
      "A=" + "#".repeat(SIZE),
      "A".repeat(SIZE) + "=1",
      "A".repeat(SIZE),
      "=".repeat(SIZE),
      " ".repeat(SIZE) + "A=1",
      "\n".repeat(SIZE) + 'A="',
      "\r".repeat(SIZE) + "A B",
      "A=" + "}".repeat(SIZE),
      'A="' + "${U:-".repeat(SIZE / 5),
      "A=`" + "x\n".repeat(SIZE / 2),
      "A=1\n".repeat(SIZE / 4) + "B=${X.Y}",
      "A=x\n".repeat(SIZE / 4) + "B=\u{1F600}".repeat(10) + "${",
    ];
    for (const text of inputs) {
      assertFast(
        JSON.stringify(text.slice(0, 12)),
        () => parseCleanlyLong(text),
      );
    }
  });
  it("200 KB of arbitrary-looking bytes", () => {
    const bytes = new Uint8Array(SIZE);
    let seed = 12345;
    for (let i = 0; i < SIZE; i++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      bytes[i] = seed >> 16 & 0x7f;
    }
    assertFast("bytes", () => parseCleanlyLong(bytes));
  });
});

/** parseCleanly without the short-input time limit; assertFast times it. */
function parseCleanlyLong(input: string | Uint8Array): void {
  try {
    parse(input);
  } catch (err) {
    if (!(err instanceof DotenvError)) throw err;
    assert.ok(err.line >= 1 && err.column >= 1);
  }
}
