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

  it("throws one TendError listing all problems, formatted FILE:LINE: message", () => {
    assert.throws(
      () => parseProcfile("a: x\nb :y\nc:\n", "Procfile.dev"),
      (error: unknown) => {
        assert.ok(error instanceof TendError);
        assert.equal(error.exitCode, 1);
        assert.equal(error.problems.length, 2);
        assert.equal(error.line, 2);
        assert.equal(
          error.message,
          'Procfile.dev:2: space before ":" in process type "b "\nProcfile.dev:3: empty command for "c"',
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
});
