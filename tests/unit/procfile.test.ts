import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkProcfile, parseProcfile, TendError } from "../../mod.ts";

describe("parseProcfile", () => {
  it("reads NAME: COMMAND lines in order, trimming the command's end", () => {
    const entries = parseProcfile(
      "web: python app.py $PORT  \nworker:./work --fast\n",
    );
    assert.deepEqual(entries, [
      { name: "web", command: "python app.py $PORT", line: 1 },
      { name: "worker", command: "./work --fast", line: 2 },
    ]);
  });

  it("skips blank and comment lines, keeps line numbers", () => {
    const entries = parseProcfile(
      "# app\n\n   \n  # indented comment\nweb: serve\n",
    );
    assert.deepEqual(entries, [{ name: "web", command: "serve", line: 5 }]);
  });

  it("accepts CRLF, a lone CR, a BOM and no final newline", () => {
    const entries = parseProcfile("\ufeffa: x\r\nb: y\rc: z");
    assert.deepEqual(entries.map((e) => [e.name, e.command, e.line]), [
      ["a", "x", 1],
      ["b", "y", 2],
      ["c", "z", 3],
    ]);
  });

  it("allows letters, digits, _ and - in names, and colons in commands", () => {
    const entries = parseProcfile("web-2_b: echo a:b http://x:1\n");
    assert.equal(entries[0].name, "web-2_b");
    assert.equal(entries[0].command, "echo a:b http://x:1");
  });

  it("reports every bad line with its number instead of skipping it", () => {
    const text = "web : x\nwe.b: x\nweb:\nok: fine\nok: again\njust text\n";
    const { entries, problems } = checkProcfile(text, "Procfile");
    assert.deepEqual(entries.map((e) => e.name), ["ok"]);
    assert.deepEqual(problems.map((p) => p.line), [1, 2, 3, 5, 6]);
    assert.match(problems[0].message, /space before ":"/);
    assert.match(problems[1].message, /invalid process type "we.b"/);
    assert.match(problems[2].message, /empty command for "web"/);
    assert.match(
      problems[3].message,
      /duplicate process type "ok" \(first on line 4\)/,
    );
    assert.match(problems[4].message, /expected "NAME: COMMAND"/);
  });

  it("throws one TendError listing all problems, formatted FILE:LINE[:COL]: message", () => {
    assert.throws(
      () => parseProcfile("a: x\nb :y\nc:\n", "Procfile.dev"),
      (error: unknown) => {
        assert.ok(error instanceof TendError);
        assert.equal(error.exitCode, 1);
        assert.equal(error.problems.length, 2);
        assert.equal(error.line, 2);
        assert.equal(
          error.message,
          'Procfile.dev:2:2: space before ":" in process type "b "\nProcfile.dev:3: empty command for "c"',
        );
        return true;
      },
    );
  });

  it("rejects a file with no process types", () => {
    assert.throws(
      () => parseProcfile("# nothing\n\n"),
      /Procfile: no process types defined/,
    );
  });

  it("points at the first character that is not allowed in a name", () => {
    const { problems } = checkProcfile("we.b: x\n: y\n", "P");
    assert.deepEqual(problems.map((p) => [p.line, p.column]), [[1, 3], [
      2,
      1,
    ]]);
  });
});

/** The problems of a text, as `LINE:COL message`. */
function problemsOf(input: string | Uint8Array): string[] {
  return checkProcfile(input, "P").problems.map((p) =>
    `${p.line ?? ""}:${p.column ?? ""} ${p.message}`
  );
}

describe("checkProcfile: characters", () => {
  it("a control character is an error at its line and column", () => {
    assert.deepEqual(problemsOf("ok: x\nweb: echo a\0b\n"), [
      '2:12 control character U+0000 in the command of "web": only tab may appear in a line',
    ]);
    assert.deepEqual(problemsOf("w\x1bb: x\n# note \x07\n\f\n"), [
      "1:2 control character U+001B in the line: only tab may appear in a line",
      "2:8 control character U+0007 in the line: only tab may appear in a line",
      "3:1 control character U+000C in the line: only tab may appear in a line",
    ]);
    assert.deepEqual(problemsOf("web: x\x7fy \u0085\n"), [
      '1:7 control character U+007F in the command of "web": only tab may appear in a line',
    ]);
  });

  it("a tab is allowed anywhere, and trimmed at the end of a command", () => {
    const { entries, problems } = checkProcfile("web:\tx\ty\t \n");
    assert.deepEqual(problems, []);
    assert.equal(entries[0].command, "x\ty");
  });

  it("columns count characters, not UTF-16 units", () => {
    assert.deepEqual(
      problemsOf("web: \u{1F600}\u{1F600}\0\n").map((p) => p.split(" ")[0]),
      [
        "1:8",
      ],
    );
  });

  it("U+2028 and U+2029 are command text, as foreman reads them", () => {
    const { entries, problems } = checkProcfile("web: echo a\u2028b\u2029\n");
    assert.deepEqual(problems, []);
    assert.deepEqual(entries, [{
      name: "web",
      command: "echo a\u2028b\u2029",
      line: 1,
    }]);
  });

  it("only spaces and tabs are trimmed from a command", () => {
    const { entries } = checkProcfile("web: x\u00a0 \n");
    assert.equal(entries[0].command, "x\u00a0");
  });

  it("an invisible character in a name is shown escaped", () => {
    assert.deepEqual(problemsOf("we\u2028b: x\n"), [
      '1:3 invalid process type "we\\u2028b" (use letters, digits, "_" and "-")',
    ]);
  });
});

describe("checkProcfile: indentation", () => {
  it("an indented entry is leading whitespace, at column 1", () => {
    assert.deepEqual(problemsOf("web: x\n  worker: y\n\tclock : z\n"), [
      '2:1 leading whitespace before "worker": an entry starts at the beginning of its line',
      '3:1 leading whitespace before "clock": an entry starts at the beginning of its line',
    ]);
  });

  it("an indented comment is still a comment", () => {
    assert.deepEqual(problemsOf("  # web: x\nweb: y\n"), []);
  });

  it("a space before the colon is reported at the space", () => {
    assert.deepEqual(problemsOf("web : x\n"), [
      '1:4 space before ":" in process type "web "',
    ]);
  });
});

describe("checkProcfile: encodings", () => {
  const utf16 = (text: string, order: "le" | "be", bom: boolean) => {
    const units = [...(bom ? "\ufeff" : ""), ...text].flatMap((c) => {
      const u = c.charCodeAt(0);
      return order === "le" ? [u & 0xff, u >> 8] : [u >> 8, u & 0xff];
    });
    return new Uint8Array(units);
  };

  it("reads UTF-8 bytes, with or without a byte-order mark", () => {
    const bytes = new TextEncoder().encode("\ufeffweb: \u00e9cho\n");
    assert.deepEqual(checkProcfile(bytes).entries, [{
      name: "web",
      command: "\u00e9cho",
      line: 1,
    }]);
  });

  it("a UTF-16 file is one problem, with or without a byte-order mark", () => {
    const text = "web: serve\r\nworker: work\r\n";
    for (const bom of [true, false]) {
      assert.deepEqual(problemsOf(utf16(text, "le", bom)), [
        ": the file is UTF-16 (little-endian), not UTF-8: save it as UTF-8",
      ]);
      assert.deepEqual(problemsOf(utf16(text, "be", bom)), [
        ": the file is UTF-16 (big-endian), not UTF-8: save it as UTF-8",
      ]);
    }
  });

  it("invalid UTF-8 is one problem at its line and column", () => {
    const bytes = new Uint8Array([
      ...new TextEncoder().encode("web: x\r\nworker: \u00e9"),
      0xe9,
      0x0a,
    ]);
    assert.deepEqual(problemsOf(bytes), [
      "2:10 invalid UTF-8 (byte offset 18)",
    ]);
  });
});
