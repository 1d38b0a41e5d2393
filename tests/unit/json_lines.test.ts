import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { describe, it } from "node:test";
import { jsonHead, JsonLineSplitter } from "../../src/json_lines.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array | undefined) => b ? new TextDecoder().decode(b) : "";
const HEAD = enc('{"name":"a.1","line":"');
const strict = new TextDecoder("utf-8", { fatal: true });

/** Feeds `parts` through a splitter; returns the parsed objects. */
function encode(
  parts: (string | Uint8Array)[],
  maxLine?: number,
): Record<string, unknown>[] {
  const s = new JsonLineSplitter(maxLine);
  const text =
    parts.map((p) => dec(s.push(typeof p === "string" ? enc(p) : p, HEAD)))
      .join("") + dec(s.end(HEAD));
  assert.ok(text === "" || text.endsWith("\n"));
  return text.split("\n").slice(0, -1).map((l) => JSON.parse(l));
}

/** What an object must hold for the line `bytes`. */
function expected(bytes: Uint8Array): Record<string, unknown> {
  try {
    return { name: "a.1", line: strict.decode(bytes) };
  } catch {
    return {
      name: "a.1",
      line: new TextDecoder().decode(bytes),
      base64: Buffer.from(bytes).toString("base64"),
    };
  }
}

describe("JsonLineSplitter", () => {
  it("writes one object per line, escaped as JSON.stringify escapes", () => {
    const line = 'q"b\\s\x00\x01\x1f\b\t\f\r\x7f é 😀 \u2028';
    const s = new JsonLineSplitter();
    const out = dec(s.push(enc(line + "\n"), HEAD));
    assert.equal(out, `{"name":"a.1","line":${JSON.stringify(line)}}\n`);
  });

  it("joins a line across chunks, even inside a UTF-8 character", () => {
    const bytes = enc("héllo 😀\nnext");
    const parts = [bytes.slice(0, 2), bytes.slice(2, 8), bytes.slice(8)];
    assert.deepEqual(encode(parts), [
      { name: "a.1", line: "héllo 😀" },
      { name: "a.1", line: "next" },
    ]);
  });

  it("keeps bytes that are not UTF-8 in base64 and replaces them in line", () => {
    const bad = new Uint8Array([
      0x61,
      0xff,
      0x62,
      0xe2,
      0x82,
      0x0a,
      0x63,
      0x0a,
    ]);
    assert.deepEqual(encode([bad]), [
      { name: "a.1", line: "a\ufffdb\ufffd", base64: "Yf9i4oI=" },
      { name: "a.1", line: "c" },
    ]);
  });

  it("rejects overlong forms, surrogates and code points past U+10FFFF", () => {
    for (
      const seq of [[0xc0, 0xaf], [0xe0, 0x80, 0xaf], [0xed, 0xa0, 0x80], [
        0xf4,
        0x90,
        0x80,
        0x80,
      ], [0xf5, 0x80, 0x80, 0x80]]
    ) {
      const bytes = new Uint8Array([...seq, 0x0a]);
      assert.deepEqual(encode([bytes]), [expected(bytes.subarray(0, -1))]);
    }
  });

  it("cuts a line longer than maxLine into objects of its own", () => {
    assert.deepEqual(encode(["abcdefgh", "ij\nk"], 4), [
      { name: "a.1", line: "abcdefgh" },
      { name: "a.1", line: "ij" },
      { name: "a.1", line: "k" },
    ]);
  });

  it("holds every line of random bytes in random chunks, in order", () => {
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const alphabet = [
      0x0a,
      0x22,
      0x5c,
      0x00,
      0x1b,
      0x41,
      0x7f,
      0xc3,
      0xa9,
      0xe2,
      0x82,
      0xac,
      0xf0,
      0x9f,
      0x98,
      0x80,
      0xff,
      0x80,
    ];
    for (let run = 0; run < 200; run++) {
      const bytes = new Uint8Array(rand(300));
      for (let i = 0; i < bytes.length; i++) {
        bytes[i] = rand(3) === 0
          ? 0x30 + rand(10)
          : alphabet[rand(alphabet.length)];
      }
      const parts: Uint8Array[] = [];
      for (let at = 0; at < bytes.length;) {
        const n = 1 + rand(40);
        parts.push(bytes.slice(at, at + n));
        at += n;
      }
      const lines: Uint8Array[] = [];
      let start = 0;
      for (let i = 0; i < bytes.length; i++) {
        if (bytes[i] === 0x0a) {
          lines.push(bytes.subarray(start, i));
          start = i + 1;
        }
      }
      if (start < bytes.length) lines.push(bytes.subarray(start));
      assert.deepEqual(encode(parts), lines.map(expected));
    }
  });
});

describe("jsonHead", () => {
  it("leaves out time and pid when not given", () => {
    assert.equal(
      dec(jsonHead({ name: "web.1", type: "web" })),
      '{"name":"web.1","type":"web","line":"',
    );
  });
});
