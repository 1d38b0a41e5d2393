// Unit tests for src/dotenv.ts: one test per rule of shared/spec/dotenv.md,
// one per row of its example table, then edge cases. Runs under both
// `deno test` and `bun test` (node:test + node:assert only).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  DotenvError,
  findAssignment,
  parse,
  type ParseOptions,
} from "../../src/dotenv.ts";
import { stringify } from "../../src/dotenv_stringify.ts";
import { TendError } from "../../src/errors.ts";

const enc = new TextEncoder();

/** Asserts the exact keys, values and order that `text` assigns. */
function ok(
  text: string | Uint8Array,
  expected: [string, string][],
  options?: ParseOptions,
): void {
  assert.deepEqual([...parse(text, options)], expected);
}

/** Asserts that `text` fails at line:column, optionally with a message part. */
function bad(
  text: string | Uint8Array,
  line: number,
  column: number | undefined,
  message?: RegExp,
  options?: ParseOptions,
): DotenvError {
  let caught: unknown;
  try {
    parse(text, options);
  } catch (err) {
    caught = err;
  }
  assert.ok(
    caught instanceof DotenvError,
    `expected a DotenvError for ${JSON.stringify(text)}, got ${caught}`,
  );
  assert.equal(caught.line, line, caught.message);
  if (column !== undefined) assert.equal(caught.column, column, caught.message);
  if (message) assert.match(caught.message, message);
  return caught;
}

describe("spec example table", () => {
  it("A=1 / B=hello world", () => {
    ok("A=1\nB=hello world\n", [["A", "1"], ["B", "hello world"]]);
  });
  it("export prefix and spaces around = are trimmed", () => {
    ok("export A=1\n  B = 2 \n", [["A", "1"], ["B", "2"]]);
  });
  it("keys with . and - and a leading digit", () => {
    ok("A.B=1\nA-B=2\n1B=4\n", [["A.B", "1"], ["A-B", "2"], ["1B", "4"]]);
  });
  it("a key with a space is an error at 1:1", () => {
    bad("A B=1\n", 1, 1, /cannot contain spaces/);
  });
  it("# starts a comment only after whitespace", () => {
    ok("A=x # c\nB=x#c\n", [["A", "x"], ["B", "x#c"]]);
  });
  it("# inside double quotes is literal, comment after the quote", () => {
    ok('A="x # y" # c\n', [["A", "x # y"]]);
  });
  it("single quotes are literal", () => {
    ok("A='a\\nb $X'\n", [["A", "a\\nb $X"]]);
  });
  it("double-quoted escapes \\n and \\t", () => {
    ok('A="a\\nb\\tc"\n', [["A", "a\nb\tc"]]);
  });
  it('double-quoted \\" escape', () => {
    ok('A="say \\"hi\\""\n', [["A", 'say "hi"']]);
  });
  it("double quotes span lines", () => {
    ok('A="l1\nl2"\nC=3\n', [["A", "l1\nl2"], ["C", "3"]]);
  });
  it("$A, ${A} and x${A}y", () => {
    ok("A=1\nB=$A\nC=${A}\nD=x${A}y\n", [
      ["A", "1"],
      ["B", "1"],
      ["C", "1"],
      ["D", "x1y"],
    ]);
  });
  it(":- treats empty as unset, - does not", () => {
    ok("E=\nB=${E:-d}\nC=${E-d}\n", [["E", ""], ["B", "d"], ["C", ""]]);
  });
  it("nested interpolation in the default word", () => {
    ok("A=1\nB=${U:-${A}}\n", [["A", "1"], ["B", "1"]]);
  });
  it("${U:?msg} on an unset name is an error at line 2 naming U", () => {
    const err = bad("A=1\nB=${U:?must be set}\n", 2, 3);
    assert.match(err.message, /\bU\b/);
    assert.match(err.message, /must be set/);
  });
  it("a key can refer to its own earlier value", () => {
    ok("A=1\nA=${A}2\n", [["A", "12"]]);
  });
  it("$5 and $(cmd) are literal", () => {
    ok("A=cost $5\nD=$(echo hi)\n", [["A", "cost $5"], ["D", "$(echo hi)"]]);
  });
  it("CRLF line endings", () => {
    ok('A=1\r\nB="x"\r\n', [["A", "1"], ["B", "x"]]);
  });
  it("unterminated quote is an error at the opening quote, 2:3", () => {
    bad('A=1\nB="abc\nC=3\n', 2, 3, /unterminated double-quoted/);
  });
  it("text after a closing quote is an error on line 1", () => {
    bad('A="x" y\n', 1, 7, /after the closing quote/);
  });
  it("= inside an unquoted value is literal", () => {
    ok("A=b=c==\n", [["A", "b=c=="]]);
  });
});

describe("reading the file", () => {
  it("decodes UTF-8 bytes like the equivalent string", () => {
    const text = "A=h\u00e9llo\nB=\u{1F600}\n";
    ok(enc.encode(text), [["A", "h\u00e9llo"], ["B", "\u{1F600}"]]);
  });
  it("invalid UTF-8 is an error at its line and column", () => {
    const bytes = new Uint8Array([...enc.encode("A=1\nB=x"), 0xff, 0x0a]);
    bad(bytes, 2, 4, /invalid UTF-8/);
  });
  it("invalid UTF-8 as the first byte is at 1:1", () => {
    bad(new Uint8Array([0x80, 0x41]), 1, 1, /invalid UTF-8/);
  });
  it("rejects overlong, surrogate and truncated sequences", () => {
    bad(new Uint8Array([0x41, 0x3d, 0xc0, 0xaf]), 1, 3, /UTF-8/);
    bad(new Uint8Array([0x41, 0x3d, 0xed, 0xa0, 0x80]), 1, 3, /UTF-8/);
    bad(new Uint8Array([0x41, 0x3d, 0xf4, 0x90, 0x80, 0x80]), 1, 3, /UTF-8/);
    bad(new Uint8Array([0x41, 0x3d, 0xe2, 0x82]), 1, 3, /UTF-8/);
  });
  it("columns of a UTF-8 error count characters, not bytes", () => {
    const bytes = new Uint8Array([...enc.encode("A=\u00e9\u{1F600}"), 0xfe]);
    bad(bytes, 1, 5, /UTF-8/);
  });
  it("a CRLF before a UTF-8 error counts as one line break", () => {
    const bytes = new Uint8Array([...enc.encode("A=1\r\n\rB="), 0xff]);
    bad(bytes, 3, 3, /UTF-8/);
  });
  it("a NUL byte is an error at its place", () => {
    bad(
      new Uint8Array([0x41, 0x3d, 0x31, 0x0a, 0x42, 0x3d, 0x00]),
      2,
      3,
      /NUL/,
    );
  });
  it("a NUL character in a string is an error at its place", () => {
    bad("A=1\nB='x\0'\n", 2, 5, /NUL/);
  });
  it("strips one leading BOM from a string", () => {
    ok("\uFEFFA=1\n", [["A", "1"]]);
  });
  it("strips one leading BOM from bytes", () => {
    ok(new Uint8Array([0xef, 0xbb, 0xbf, ...enc.encode("A=1\n")]), [[
      "A",
      "1",
    ]]);
  });
  it("a second BOM is not stripped: it is not a key character", () => {
    bad("\uFEFF\uFEFFA=1\n", 1, 1, /U\+FEFF/);
    bad(
      new Uint8Array([
        0xef,
        0xbb,
        0xbf,
        0xef,
        0xbb,
        0xbf,
        ...enc.encode("A=1"),
      ]),
      1,
      1,
    );
  });
  it("a BOM elsewhere is ordinary text in a value", () => {
    ok("A=x\uFEFFy\n", [["A", "x\uFEFFy"]]);
  });
  it("CRLF and lone CR become LF, inside quotes too", () => {
    ok("A=\"x\r\ny\"\rB='a\rb'\r\nC=`p\r\nq`", [
      ["A", "x\ny"],
      ["B", "a\nb"],
      ["C", "p\nq"],
    ]);
  });
  it("CR CR LF is two line breaks", () => {
    bad("A=1\r\r\nB C=2\n", 3, 1);
  });
  it("lines count after CR normalization", () => {
    bad('A=1\rB=2\r\nC="x\r\n', 3, 3, /unterminated/);
  });
  it("accepts a last line without LF", () => {
    ok("A=1\nB=2", [["A", "1"], ["B", "2"]]);
  });
});

describe("statements", () => {
  it("blank lines, whitespace-only lines and comment lines are skipped", () => {
    ok("\n  \n\t\n# c\n   # indented\n\t#tab\nA=1\n#\n", [["A", "1"]]);
  });
  it("empty text and a text of comments assign nothing", () => {
    ok("", []);
    ok("# only\n", []);
  });
  it("export with tabs and several spaces", () => {
    ok("export\tA=1\nexport    B=2\n", [["A", "1"], ["B", "2"]]);
  });
  it('"export" alone or followed by = is itself a key', () => {
    ok("export=1\nexport =2\n", [["export", "2"]]);
    ok("export\nexport \nexport # c\n", []);
  });
  it("keys that start with export are keys", () => {
    ok("exportA=1\nexport.B=2\nexport-C=3\n", [
      ["exportA", "1"],
      ["export.B", "2"],
      ["export-C", "3"],
    ]);
  });
  it("export is case-sensitive", () => {
    bad("EXPORT A=1\n", 1, 1, /spaces/);
  });
  it("a bare key or `export KEY` sets nothing", () => {
    ok("A\nexport B\n  C  \nD # comment\n", []);
  });
  it("spaces and tabs around =", () => {
    ok("A =1\nB= 1\nC\t=\t1\t\n", [["A", "1"], ["B", "1"], ["C", "1"]]);
  });
  it("key characters: letters, digits, _ . -", () => {
    ok("_=1\na.b-c_D9=2\n0=3\n-=4\n.=5\n", [
      ["_", "1"],
      ["a.b-c_D9", "2"],
      ["0", "3"],
      ["-", "4"],
      [".", "5"],
    ]);
  });
});

describe("rule 1: unquoted values", () => {
  it("are the rest of the line, trimmed of spaces and tabs", () => {
    ok("A=  a b \t\nB=\t x\t\n", [["A", "a b"], ["B", "x"]]);
  });
  it("# after a space or a tab starts a comment", () => {
    ok("A=x #y\nB=x\t#y\nC=a # b # c\n", [["A", "x"], ["B", "x"], [
      "C",
      "a",
    ]]);
  });
  it("# without whitespace before it is literal (URLs, colours)", () => {
    ok("A=http://h/p#frag\nB=#fff\nC=a#b #c\n", [
      ["A", "http://h/p#frag"],
      ["B", "#fff"],
      ["C", "a#b"],
    ]);
  });
  it("the whitespace after = counts before #", () => {
    ok("A= #y\nB=\t#y\n", [["A", ""], ["B", ""]]);
  });
  it("quote characters inside are literal", () => {
    ok('A=x"y\'z`w\nB=it\'s\nC=a "b"\n', [
      ["A", "x\"y'z`w"],
      ["B", "it's"],
      ["C", 'a "b"'],
    ]);
  });
  it("\\$ is the only escape", () => {
    ok("A=1\nB=\\$A\nC=\\${A}\nD=a\\nb\\t\\\\\nE=x\\\n", [
      ["A", "1"],
      ["B", "$A"],
      ["C", "${A}"],
      ["D", "a\\nb\\t\\\\"],
      ["E", "x\\"],
    ]);
  });
  it("a backslash before \\$ stays: \\\\$A is \\ then a literal $A", () => {
    ok("A=1\nB=\\\\$A\n", [["A", "1"], ["B", "\\$A"]]);
  });
  it("unquoted values never span lines", () => {
    ok("A=a\\\nB=b\n", [["A", "a\\"], ["B", "b"]]);
  });
  it("non-ASCII text is kept as is", () => {
    ok("A=h\u00e9llo w\u00f6rld \u{1F600}\n", [[
      "A",
      "h\u00e9llo w\u00f6rld \u{1F600}",
    ]]);
  });
});

describe("rule 2: single quotes", () => {
  it("are literal: no escapes, no interpolation", () => {
    ok("X=1\nA='$X ${X} \\n \\$ \"'\n", [["X", "1"], [
      "A",
      '$X ${X} \\n \\$ "',
    ]]);
  });
  it("may span lines", () => {
    ok("A='l1\nl2\n'\nB=2\n", [["A", "l1\nl2\n"], ["B", "2"]]);
  });
  it("a backslash does not escape the closing quote", () => {
    ok("A='a\\'\n", [["A", "a\\"]]);
  });
  it("are not trimmed and keep #", () => {
    ok("A=' x # y '\n", [["A", " x # y "]]);
  });
  it("unterminated is an error at the opening quote", () => {
    bad("A=1\n\nB=  'abc\n", 3, 5, /unterminated single-quoted/);
  });
});

describe("rule 3: backticks", () => {
  it("are literal like single quotes and may hold both other quotes", () => {
    ok('A=`it\'s "q" $X \\n`\n', [["A", 'it\'s "q" $X \\n']]);
  });
  it("may span lines", () => {
    ok("A=`a\nb`\n", [["A", "a\nb"]]);
  });
  it("unterminated is an error at the opening backtick", () => {
    bad("A=`abc\n", 1, 3, /unterminated backtick-quoted/);
  });
});

describe("rule 4: double quotes", () => {
  it('decode \\n \\r \\t \\\\ \\" \\$', () => {
    ok('A="\\n|\\r|\\t|\\\\|\\"|\\$"\n', [["A", '\n|\r|\t|\\|"|$']]);
  });
  it("keep any other \\X as two characters", () => {
    ok('A="\\a\\x41\\u0041\\\'\\ \\#"\n', [["A", "\\a\\x41\\u0041\\'\\ \\#"]]);
  });
  it("keep a backslash before a line break", () => {
    ok('A="a\\\nb"\n', [["A", "a\\\nb"]]);
  });
  it("\\\\ then a quote closes the value", () => {
    ok('A="x\\\\"\n', [["A", "x\\"]]);
  });
  it("are never trimmed", () => {
    ok('A="  x \t"\n', [["A", "  x \t"]]);
  });
  it("are interpolated, and \\$ is literal", () => {
    ok('A=1\nB="$A-${A}-\\$A-\\${A}"\n', [["A", "1"], ["B", "1-1-$A-${A}"]]);
  });
  it("may hold single quotes and backticks", () => {
    ok('A="it\'s `x`"\n', [["A", "it's `x`"]]);
  });
  it("CRLF inside is LF, and \\r is the only way to a CR", () => {
    ok('A="a\r\nb\\rc"\n', [["A", "a\nb\rc"]]);
  });
  it("unterminated (an escaped closing quote) is at the opening quote", () => {
    bad('A="abc\\"\n', 1, 3, /unterminated double-quoted/);
  });
});

describe("rule 5: after a closing quote", () => {
  it("spaces, tabs and a comment may follow", () => {
    ok("A='x'  \nB=\"y\"\t# c\nC=`z` # c\n", [["A", "x"], ["B", "y"], [
      "C",
      "z",
    ]]);
  });
  it("a # right after the quote is a comment", () => {
    ok("A='x'#c\nB=\"y\"#c\n", [["A", "x"], ["B", "y"]]);
  });
  it("anything else is an error at its first character", () => {
    bad("A='x'y\n", 1, 6, /after the closing quote/);
    bad('A="x""y"\n', 1, 6, /after the closing quote/);
    bad("A=`x` y\n", 1, 7);
    bad('A=1\nB="multi\nline" z\n', 3, 7);
  });
});

describe("rule 6: empty values and bare keys", () => {
  it("A=, A=\"\", A='' and A=`` set the empty string", () => {
    ok("A=\nB=\"\"\nC=''\nD=``\nE=  \n", [
      ["A", ""],
      ["B", ""],
      ["C", ""],
      ["D", ""],
      ["E", ""],
    ]);
  });
  it("A= at end of input sets the empty string", () => {
    ok("A=", [["A", ""]]);
  });
  it("a bare key is not visible to later lookups", () => {
    ok("A\nB=${A-unset}\n", [["B", "unset"]]);
  });
});

describe("rule 7: later assignment wins", () => {
  it("keeps first-assignment order with the last value", () => {
    ok("A=1\nB=2\nA=3\n", [["A", "3"], ["B", "2"]]);
  });
});

describe("rule 8: everything else is an error", () => {
  it("a quoted key", () => {
    bad('"A"=1\n', 1, 1, /expected a key/);
    bad("'A'=1\n", 1, 1);
  });
  it("the YAML form", () => {
    bad("A: 1\n", 1, 1, /YAML/);
    bad("A=1\n  B: 2\n", 2, 3, /YAML/);
  });
  it("a missing key", () => {
    bad("=1\n", 1, 1, /missing key/);
    bad("  = 1\n", 1, 3, /missing key/);
  });
  it("a character outside the key alphabet points at the key", () => {
    bad("A$=1\n", 1, 1, /invalid character "\$"/);
    bad("\u00e9=1\n", 1, 1);
    bad("A/B=1\n", 1, 1);
  });
  it("a # glued to a key is not a comment (A#B=1 is not a silent no-op)", () => {
    bad("A#B=1\n", 1, 1, /invalid character "#"/);
  });
  it("export followed by a non-key points after export", () => {
    bad('export "A"=1\n', 1, 8, /after "export"/);
    bad("export A B=1\n", 1, 8, /spaces/);
  });
  it("the error column counts characters, not UTF-16 units", () => {
    bad("A='\u{1F600}'x\n", 1, 6);
  });
});

describe("interpolation", () => {
  it("$NAME takes the longest run of name characters", () => {
    ok("A=1\nA_B=2\nC=$A_B-$A.x\n", [["A", "1"], ["A_B", "2"], ["C", "2-1.x"]]);
  });
  it("$NAME cannot start with a digit: $1 is literal", () => {
    ok("A=$1 $9x\n", [["A", "$1 $9x"]]);
  });
  it("a $ not followed by { or a name start is literal", () => {
    ok('A=a$\nB=$ x\nC=$-\nD="$"\nE=$.\n', [
      ["A", "a$"],
      ["B", "$ x"],
      ["C", "$-"],
      ["D", "$"],
      ["E", "$."],
    ]);
  });
  it("$$ has no special meaning", () => {
    ok('A=1\nB=$$\nC=$$A\nD="$$"\n', [
      ["A", "1"],
      ["B", "$$"],
      ["C", "$1"],
      ["D", "$$"],
    ]);
  });
  it("an unset name with no operator is empty", () => {
    ok("A=x${U}y$U.\n", [["A", "xy."]]);
  });
  it("keys with . or - cannot be referenced; ${A.B} is an error at the $", () => {
    bad("A.B=1\nC=x ${A.B}\n", 2, 5, /malformed/);
  });
  it("malformed ${...} forms are errors at the $", () => {
    bad("A=${\n", 1, 3, /unterminated/);
    bad("A=x${}\n", 1, 4, /malformed/);
    bad("A=${1}\n", 1, 3, /malformed/);
    bad("A=${A:x}\n", 1, 3, /malformed/);
    bad("A=${A:}\n", 1, 3, /malformed/);
    bad("A=${A\n", 1, 3, /unterminated/);
    bad("A=${A:-x\n", 1, 3, /unterminated/);
    bad('A="${A:-x"\n', 1, 4, /unterminated/);
    bad("A=${#A}\n", 1, 3, /malformed/);
    bad("A=${A/x/y}\n", 1, 3, /malformed/);
  });
  it("an unterminated nest points at the outermost open ${", () => {
    bad("A=${U:-${V:-x}\n", 1, 3, /unterminated/);
    bad("A=ab${U:-${V:-x\n", 1, 5, /unterminated/);
  });
  it("a malformed form inside an unused word is still an error", () => {
    bad("A=1\nB=${A:-${X.Y}}\n", 2, 8, /malformed/);
  });
  it("} outside ${...} is literal", () => {
    ok("A=}{x}\n", [["A", "}{x}"]]);
  });
  it("the word ends at the matching }", () => {
    ok("A=${U:-a}b}\nB=${U:-${V:-x}y}z\n", [["A", "ab}"], ["B", "xyz"]]);
  });
  it("a { in the word does not nest; only ${ does", () => {
    ok("A=${U:-{a}}\n", [["A", "{a}"]]);
  });
  it("unquoted: \\} is a literal backslash and } closes the word", () => {
    ok("A=${U:-a\\}b}\n", [["A", "a\\b}"]]);
  });
  it("double-quoted: \\} stays two characters and does not close", () => {
    ok('A="${U:-a\\}b}"\n', [["A", "a\\}b"]]);
  });
  it("double-quoted words decode escapes", () => {
    ok('A="${U:-\\"q\\"\\t\\$x}"\n', [["A", '"q"\t$x']]);
  });
  it("a comment cuts the unquoted value before ${...} is read", () => {
    bad("A=${U:-a #b}\n", 1, 3, /unterminated/);
  });
  it("substituted text is never scanned again", () => {
    ok("A=${X}\nB=$X\n", [["A", "$Y ${Y}"], ["B", "$Y ${Y}"]], {
      processEnv: { X: "$Y ${Y}", Y: "no" },
    });
    ok("A=\\$B\nC=$A\n", [["A", "$B"], ["C", "$B"]]);
  });
  it("is not applied to single-quoted or backtick values", () => {
    ok("A='${U:?x}'\nB=`${`\n", [["A", "${U:?x}"], ["B", "${"]]);
  });
});

describe("interpolation operators (POSIX meaning)", () => {
  // name state -> [op, expected]; "W" is the word, V the variable's value.
  const env = "SET=V\nEMPTY=\n";
  const table: [string, string, string, string][] = [
    // op, set, empty, unset
    [":-", "V", "W", "W"],
    ["-", "V", "", "W"],
    [":+", "W", "", ""],
    ["+", "W", "W", ""],
  ];
  for (const [op, whenSet, whenEmpty, whenUnset] of table) {
    it(`\${NAME${op}word}`, () => {
      const got = parse(
        `${env}A=\${SET${op}W}\nB=\${EMPTY${op}W}\nC=\${UNSET${op}W}\n`,
      );
      assert.equal(got.get("A"), whenSet);
      assert.equal(got.get("B"), whenEmpty);
      assert.equal(got.get("C"), whenUnset);
    });
  }
  it("${NAME:?msg}: set passes, empty and unset fail", () => {
    assert.equal(parse(`${env}A=\${SET:?m}\n`).get("A"), "V");
    bad(`${env}A=\${EMPTY:?m}\n`, 3, 3, /EMPTY is unset or empty: m$/);
    bad(`${env}A=\${UNSET:?m}\n`, 3, 3, /UNSET is unset or empty: m$/);
  });
  it("${NAME?msg}: set and empty pass, unset fails", () => {
    assert.equal(parse(`${env}A=\${SET?m}\n`).get("A"), "V");
    assert.equal(parse(`${env}A=\${EMPTY?m}\n`).get("A"), "");
    bad(`${env}A=x \${UNSET?m}\n`, 3, 5, /UNSET is unset: m$/);
  });
  it("an empty :? message still names the variable", () => {
    bad("A=${U:?}\n", 1, 3, /U is unset or empty$/);
  });
  it("the :? message is itself expanded", () => {
    bad(
      "H=host\nA=${U:?set it on $H}\n",
      2,
      3,
      /U is unset or empty: set it on host$/,
    );
  });
  it(":? inside double quotes points at the $", () => {
    bad('A="ab ${U:?x}"\n', 1, 7, /U/);
  });
  it("the word is expanded only when used", () => {
    ok("A=1\nB=${A:-${U:?never}}\nC=${U:+${U:?never}}\nD=${A?${U:?no}}\n", [
      ["A", "1"],
      ["B", "1"],
      ["C", ""],
      ["D", "1"],
    ]);
  });
  it("a used word that fails does fail", () => {
    bad("A=${U:-${V:?needed}}\n", 1, 8, /V is unset or empty: needed/);
  });
  it("words nest several levels", () => {
    ok("Z=z\nA=${U:-${V:-${W:-$Z}}}\n", [["Z", "z"], ["A", "z"]]);
  });
});

describe("lookups: processEnv, earlier keys, initial, override", () => {
  it("parse is pure: the real environment is not read", () => {
    ok("A=${PATH}${HOME}\n", [["A", ""]]);
  });
  it("processEnv wins over earlier keys by default", () => {
    ok("A=file\nB=$A\n", [["A", "file"], ["B", "env"]], {
      processEnv: { A: "env" },
    });
  });
  it("override: earlier keys win over processEnv", () => {
    ok("A=file\nB=$A\n", [["A", "file"], ["B", "file"]], {
      processEnv: { A: "env" },
      override: true,
    });
  });
  it("override still falls back to processEnv for keys no file sets", () => {
    ok("B=$P\n", [["B", "p"]], { processEnv: { P: "p" }, override: true });
  });
  it("initial is visible like earlier keys, and is not returned", () => {
    ok("B=${BASE}/x\n", [["B", "/srv/x"]], {
      initial: new Map([["BASE", "/srv"]]),
    });
  });
  it("keys earlier in this text shadow initial", () => {
    ok("BASE=/here\nB=$BASE\n", [["BASE", "/here"], ["B", "/here"]], {
      initial: new Map([["BASE", "/srv"]]),
    });
  });
  it("processEnv wins over initial unless override", () => {
    const options = {
      processEnv: { BASE: "/env" },
      initial: new Map([["BASE", "/srv"]]),
    };
    ok("B=$BASE\n", [["B", "/env"]], options);
    ok("B=$BASE\n", [["B", "/srv"]], { ...options, override: true });
  });
  it("a forward reference is unset", () => {
    ok("A=${B-unset}\nB=1\n", [["A", "unset"], ["B", "1"]]);
  });
  it("a self-reference before any assignment is unset", () => {
    ok("A=x${A}y\n", [["A", "xy"]]);
  });
  it("an undefined processEnv entry is unset", () => {
    ok("A=${U-unset}\n", [["A", "unset"]], { processEnv: { U: undefined } });
  });
  it("an empty processEnv entry is set", () => {
    ok("A=${U-d}|${U:-d}\n", [["A", "|d"]], { processEnv: { U: "" } });
  });
  it("Object prototype names are not variables", () => {
    ok("A=$constructor|$toString|${__proto__-unset}\n", [["A", "||unset"]]);
  });
  it("earlier values are stored already expanded", () => {
    ok("A=1\nB=$A\nA=2\nC=$B\n", [["A", "2"], ["B", "1"], ["C", "1"]]);
  });
});

describe("errors", () => {
  it("are DotenvErrors and TendErrors with exit status 1", () => {
    const err = bad("A B=1\n", 1, 1);
    assert.ok(err instanceof TendError);
    assert.equal(err.exitCode, 1);
    assert.equal(err.name, "DotenvError");
  });
  it("format as PATH:LINE:COL: message with the given path", () => {
    const err = bad('\n\nA="x\n', 3, 3, undefined, { path: "conf/.env.local" });
    assert.equal(err.path, "conf/.env.local");
    assert.match(err.message, /^conf\/\.env\.local:3:3: unterminated/);
  });
  it("default to the path .env", () => {
    const err = bad("A B\n", 1, 1);
    assert.match(err.message, /^\.env:1:1: /);
  });
  it("the constructor sets every field", () => {
    const err = new DotenvError("f", 4, 2, "boom");
    assert.equal(err.message, "f:4:2: boom");
    assert.deepEqual([err.path, err.line, err.column, err.exitCode], [
      "f",
      4,
      2,
      1,
    ]);
  });
  it("too much interpolated text is an error, not an exhausted memory", () => {
    let text = "A0=xxxxxxxxxxxxxxxx\n";
    for (let i = 1; i <= 40; i++) text += `A${i}=$A${i - 1}$A${i - 1}\n`;
    const err = bad(text, 19, undefined, /more than/);
    assert.ok(err.column > 0);
  });
});

describe("stringify", () => {
  it("writes plain values unquoted, one KEY=value per line", () => {
    assert.equal(
      stringify({ A: "1", B: "hello world", C: "", D: "b=c==", E: "\u00e9" }),
      "A=1\nB=hello world\nC=\nD=b=c==\nE=\u00e9\n",
    );
  });
  it("uses single quotes for $, #, backslash, quotes, tabs, edge spaces", () => {
    assert.equal(
      stringify([
        ["A", "cost $5"],
        ["B", "x#y"],
        ["C", "a\\n"],
        ["D", ' "q" '],
        ["E", "a\tb"],
        ["F", "`x`"],
      ]),
      "A='cost $5'\nB='x#y'\nC='a\\n'\nD=' \"q\" '\nE='a\tb'\nF='`x`'\n",
    );
  });
  it("uses double quotes with escapes for ' and line breaks", () => {
    assert.equal(
      stringify({ A: "it's", B: "l1\nl2", C: "a\rb", D: "'$\"\\\t" }),
      'A="it\'s"\nB="l1\\nl2"\nC="a\\rb"\nD="\'\\$\\"\\\\\\t"\n',
    );
  });
  it("round-trips tricky values", () => {
    const values = new Map([
      ["A", "x # y"],
      ["B", "${A}"],
      ["C", "\\$"],
      ["D", 'it\'s "$HOME"\r\n\\'],
      ["E", "  "],
      ["F", "#"],
      ["G", "\uFEFF"],
      ["export", "1"],
      ["H", "a\\"],
      ["I", "'"],
    ]);
    assert.deepEqual([...parse(stringify(values))], [...values]);
  });
  it("accepts a Map, an iterable of pairs and a record", () => {
    const expected = "A=1\nB=2\n";
    assert.equal(stringify(new Map([["A", "1"], ["B", "2"]])), expected);
    assert.equal(stringify([["A", "1"], ["B", "2"]]), expected);
    assert.equal(stringify({ A: "1", B: "2" }), expected);
    assert.equal(stringify([]), "");
  });
  it("rejects keys outside the grammar with a TendError", () => {
    for (const key of ["", "A B", "A=B", "\u00e9", "A#", "A\n", '"A"']) {
      assert.throws(() => stringify({ [key]: "1" }), TendError, key);
    }
  });
  it("rejects a NUL in a value, which no environment can hold", () => {
    assert.throws(() => stringify({ A: "a\0b" }), TendError);
  });
});

/** The unset references of `text`, as `LINE:COL TEXT NAME`. */
function unsetOf(text: string | Uint8Array, options?: ParseOptions): string[] {
  const found: string[] = [];
  parse(text, {
    ...options,
    onUnset: (r) => found.push(`${r.line}:${r.column} ${r.text} ${r.name}`),
  });
  return found;
}

describe("references to variables set nowhere", () => {
  it("a password or hash holding $ reports each unset name at its $", () => {
    assert.deepEqual(unsetOf("DB_PASSWORD=pa$word1\nHASH=$2b$12$abc\n"), [
      "1:15 $word1 word1",
      "2:12 $abc abc",
    ]);
  });
  it("${NAME} is reported as written, in double quotes too", () => {
    assert.deepEqual(unsetOf('A="x ${B} $C"\nD=\u{1F600}$E\n'), [
      "1:6 ${B} B",
      "1:11 $C C",
      "2:4 $E E",
    ]);
  });
  it("names set in the environment, earlier or in initial are not reported", () => {
    assert.deepEqual(
      unsetOf("A=1\nB=$A$HOME$I\nC=$EMPTY\n", {
        processEnv: { HOME: "/root", EMPTY: "" },
        initial: new Map([["I", "i"]]),
      }),
      [],
    );
  });
  it("a forward reference is unset at that point, so it is reported", () => {
    assert.deepEqual(unsetOf("A=$B\nB=1\n"), ["1:3 $B B"]);
  });
  it("operator forms, single quotes, \\$ and unused words are not reported", () => {
    assert.deepEqual(
      unsetOf(
        "A=${U:-d}${U-}${U:+x}${U+y}\nB='$U'\nC=\\$U\nD=${A:-$U}\nE=`$U`\n",
      ),
      [],
    );
  });
  it("a reference inside a used default word is reported", () => {
    assert.deepEqual(unsetOf("A=${U:-$V}\n"), ["1:8 $V V"]);
  });
  it("values are unchanged by listening", () => {
    const text = "DB_PASSWORD=pa$word1\nHASH=$2b$12$abc\n";
    assert.deepEqual(
      [...parse(text, { onUnset: () => {} })],
      [...parse(text)],
    );
    ok(text, [["DB_PASSWORD", "pa"], ["HASH", "$2b$12"]]);
  });
  it("many references on long lines are placed in one pass", () => {
    const text = "A=" + "$U ".repeat(50_000) + "\n".repeat(3) + "B=$V\n";
    const started = performance.now();
    const found = unsetOf(text);
    assert.ok(performance.now() - started < 1000);
    assert.equal(found.length, 50_001);
    assert.equal(found[1], "1:6 $U U");
    assert.equal(found[50_000], "4:3 $V V");
  });
});

/** Every error of `text` with parsing going on, as `LINE:COL message`. */
function errorsOf(text: string | Uint8Array): {
  errors: string[];
  values: [string, string][];
} {
  const errors: string[] = [];
  const values = [
    ...parse(text, {
      path: "F",
      onError: (e) => errors.push(`${e.line}:${e.column} ${e.message}`),
    }),
  ];
  return { errors, values };
}

describe("onError: every malformed statement", () => {
  it("reports each bad line and keeps the good ones", () => {
    const { errors, values } = errorsOf(
      'A=1\nB C=2\nD="x" y\nE=${F:?need F}\nG=ok\nH: 1\n',
    );
    assert.deepEqual(errors, [
      '2:1 F:2:1: key "B" is followed by "C" instead of "=": a key cannot contain spaces',
      '3:7 F:3:7: unexpected "y" after the closing quote: only spaces and a "# comment" may follow',
      "4:3 F:4:3: F is unset or empty: need F",
      '6:1 F:6:1: expected "=" after key "H": the YAML form "H: value" is not supported',
    ]);
    assert.deepEqual(values, [["A", "1"], ["G", "ok"]]);
  });
  it("a bad statement with a multi-line quoted value is skipped whole", () => {
    const { errors, values } = errorsOf('A B="x\nC=1\n"\nD=2\n');
    assert.equal(errors.length, 1);
    assert.deepEqual(values, [["D", "2"]]);
  });
  it("an unterminated quote ends the text", () => {
    const { errors, values } = errorsOf("A=1\nB='open\nC=3\nD E\n");
    assert.deepEqual(errors, [
      '2:3 F:2:3: unterminated single-quoted value for "B"',
    ]);
    assert.deepEqual(values, [["A", "1"]]);
  });
  it("the first error is the one parse throws without onError", () => {
    const text = 'A=1\nB="x" y\nC D\nE=${\n';
    const thrown = bad(text, 2, 7, undefined, { path: "F" });
    assert.equal(errorsOf(text).errors[0], `2:7 ${thrown.message}`);
    assert.equal(errorsOf(text).errors.length, 3);
  });
  it("unreadable text is one error and assigns nothing", () => {
    assert.deepEqual(errorsOf(new Uint8Array([0x41, 0x3d, 0xff])), {
      errors: ["1:3 F:1:3: invalid UTF-8 (byte offset 2)"],
      values: [],
    });
    assert.deepEqual(errorsOf("A=1\nB=\0\n").errors, [
      "2:3 F:2:3: NUL character in input",
    ]);
  });
  it("a reference in a failed statement is not reported as unset", () => {
    const found: string[] = [];
    parse('A="$U" x\nB=$V\n', {
      onError: () => {},
      onUnset: (r) => found.push(r.name),
    });
    assert.deepEqual(found, ["V"]);
  });
  it("a file saved as UTF-16 is one error that says so", () => {
    const bytes = new Uint8Array([0xff, 0xfe, 0x41, 0, 0x3d, 0, 0x31, 0]);
    assert.deepEqual(errorsOf(bytes).errors, [
      "1:1 F:1:1: the file is UTF-16 (little-endian), not UTF-8: save it as UTF-8",
    ]);
  });
});

describe("findAssignment", () => {
  it("points at the value of the last assignment of a key", () => {
    const text = "PORT=1\nexport  PORT = 'x'\nA=${PORT:?}\n";
    assert.deepEqual(findAssignment(text, "PORT"), { line: 2, column: 16 });
  });
  it("needs no environment: nothing is expanded", () => {
    assert.deepEqual(findAssignment("A=${U:?no}\nPORT=$A\n", "PORT"), {
      line: 2,
      column: 6,
    });
  });
  it("counts lines after a multi-line value", () => {
    const bytes = enc.encode('A="1\r\n2"\r\nPORT=\r\n');
    assert.deepEqual(findAssignment(bytes, "PORT"), { line: 3, column: 6 });
  });
  it("is undefined for a key not assigned, or a bare key", () => {
    assert.equal(findAssignment("PORT\nA=1\n", "PORT"), undefined);
  });
});
