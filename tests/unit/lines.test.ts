import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LineSplitter } from "../../src/lines.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (
  b: Uint8Array | undefined,
) => (b ? new TextDecoder().decode(b) : "");
const P = enc("p| ");

/** Feeds `parts` through a splitter and returns everything it printed. */
function split(parts: (string | Uint8Array)[], maxLine?: number): string {
  const s = new LineSplitter(maxLine);
  return parts.map((p) => dec(s.push(typeof p === "string" ? enc(p) : p, P)))
    .join("") + dec(s.end(P));
}

describe("LineSplitter", () => {
  it("prefixes every complete line of a chunk in one buffer", () => {
    const s = new LineSplitter();
    assert.equal(dec(s.push(enc("a\nbb\nccc\n"), P)), "p| a\np| bb\np| ccc\n");
    assert.equal(s.end(P), undefined);
  });

  it("joins a line split across chunk boundaries, never tearing it", () => {
    assert.equal(
      split(["he", "llo\nwor", "", "ld", "\n"]),
      "p| hello\np| world\n",
    );
    const s = new LineSplitter();
    assert.equal(s.push(enc("partial"), P), undefined);
    assert.equal(s.pending, 7);
  });

  it("prints a final line that has no newline, adding one", () => {
    assert.equal(split(["a\nlast"]), "p| a\np| last\n");
  });

  it("keeps empty lines and CRLF bytes as they are", () => {
    assert.equal(split(["\n\nx\r\n\r\n"]), "p| \np| \np| x\r\np| \r\n");
  });

  it("passes bytes that are not UTF-8 through unchanged", () => {
    const bytes = new Uint8Array([
      0xff,
      0xfe,
      0x00,
      0x80,
      0x0a,
      0xc3,
      0x28,
      0x0a,
    ]);
    const s = new LineSplitter();
    const out = s.push(bytes, P)!;
    assert.deepEqual([...out], [
      ...P,
      0xff,
      0xfe,
      0x00,
      0x80,
      0x0a,
      ...P,
      0xc3,
      0x28,
      0x0a,
    ]);
  });

  it("handles every split point of a multi-line input identically", () => {
    const text = "one\ntwo\n\nthree\nfour";
    const expected = "p| one\np| two\np| \np| three\np| four\n";
    for (let i = 0; i <= text.length; i++) {
      for (let j = i; j <= text.length; j++) {
        assert.equal(
          split([text.slice(0, i), text.slice(i, j), text.slice(j)]),
          expected,
          `${i},${j}`,
        );
      }
    }
  });

  it("bounds a line held in memory, cutting it into prefixed pieces", () => {
    const s = new LineSplitter(10);
    assert.equal(s.push(enc("0123456"), P), undefined);
    assert.equal(dec(s.push(enc("789abc"), P)), "p| 0123456789abc\n");
    assert.equal(s.pending, 0);
    assert.equal(split(["0123456789", "ab\n"], 10), "p| 0123456789\np| ab\n");
  });

  it("accepts Node Buffers and views into larger buffers", () => {
    const backing = enc("XXa\nbXX");
    const view = backing.subarray(2, 5);
    assert.equal(split([view]), "p| a\np| b\n");
  });
});
