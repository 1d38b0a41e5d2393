// Differential test of src/dotenv.ts against npm dotenv 18 (`dotenv.parse`).
//
// The inputs below are where the spec says/we measured they agree: plain
// unquoted values, quoted single-line values without `$`, comments after
// whitespace, `export`, empty values, CRLF, multi-line quotes and `\n` in
// double quotes. They disagree on purpose elsewhere (measured with dotenv
// 18.0.10), for example:
//   A=x#c       us "x#c", dotenv "x"       (# needs whitespace before it)
//   A=#c        us "#c",  dotenv ""
//   A=$B        us "",    dotenv "$B"      (dotenv alone does not interpolate)
//   A=\$x       us "$x",  dotenv "\$x"
//   A="\\"      us "\",   dotenv "\\"      (dotenv decodes only \n and \r)
//   A: 1        us error, dotenv {A:"1"}
//   A B=1       us error, dotenv {}        (dotenv skips the line silently)
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import dotenv from "dotenv";
import { parse } from "../../src/dotenv.ts";

const AGREED: string[] = [
  "A=1\n",
  "A=1\nB=2\n",
  "A=hello world\n",
  "A=1 2 3\n",
  "A=\n",
  'A=""\n',
  "A=''\n",
  "A=``\n",
  "export A=1\n",
  "export A\n",
  "A\n",
  "  A=1\n",
  "A = 1\n",
  "A= 1 \n",
  "A=\t1\t\n",
  "A=x # c\n",
  "A=x  # c # d\n",
  "A= #c\n",
  'A="x"\n',
  "A='x'\n",
  "A=`x`\n",
  'A="x y" # c\n',
  "A='x # y'\n",
  'A="x" #c\nB=2\n',
  "A='x'#c\n",
  'A="x"#c\n',
  "# c\nA=1\n",
  "\n\nA=1\n\n",
  "A=1\r\nB=2\r\n",
  "A=b=c==\n",
  "A.B=1\n",
  "A-B=1\n",
  "1B=1\n",
  "lower=case\n",
  "A=1\nA=2\n",
  "A=http://x/y?z=1&w=2\n",
  "A=@!%^&*()\n",
  "A=\u{1F600}\u00e9\n",
  "\uFEFFA=1\n",
  "A='a\\nb'\n",
  'A="a\\nb"\n',
  'A="l1\nl2"\n',
  "A='l1\nl2'\n",
  "A=it's\n",
  'A=x"y\n',
  "A=a\\b\n",
  "A='\"'\n",
  'A="\'"\n',
  "A=`'\"`\n",
  "A=cost $5\n",
  "A=\"x\"\nB='y'\nC=z\n",
];

describe("agrees with npm dotenv 18 where the spec says it should", () => {
  it("has a meaningful number of agreed inputs", () => {
    assert.ok(AGREED.length >= 20);
  });
  for (const input of AGREED) {
    it(JSON.stringify(input), () => {
      const ours = Object.fromEntries(parse(input));
      const theirs = { ...dotenv.parse(input) };
      assert.deepEqual(ours, theirs);
    });
  }
  it("agrees on all the inputs joined into one file", () => {
    // Joined, later keys overwrite earlier ones in both parsers alike.
    const joined = AGREED.filter((s) => !s.startsWith("\uFEFF")).join("");
    assert.deepEqual(Object.fromEntries(parse(joined)), {
      ...dotenv.parse(joined),
    });
  });
});
