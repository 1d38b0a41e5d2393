/**
 * The output ring and the history of `tend logs`: the limits hold, lines
 * come back whole and in order, a line whose start was dropped is left
 * out, followers get each line once, and a printer records quiet
 * processes and events too.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { History } from "../../src/history.ts";
import { Printer } from "../../src/output.ts";
import { OutputRing, RING_LINES } from "../../src/ring.ts";
import { QueuedSink } from "../../src/sink.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const texts = (ring: OutputRing, max?: number) =>
  ring.lines(max).map((l) => dec(l.bytes));

describe("OutputRing", () => {
  it("returns the last 1000 of many lines, oldest first", () => {
    const ring = new OutputRing();
    for (let i = 0; i < 5000; i += 10) {
      let chunk = "";
      for (let j = i; j < i + 10; j++) chunk += `line ${j}\n`;
      ring.push(enc(chunk), i, i);
    }
    const lines = texts(ring);
    assert.equal(lines.length, RING_LINES);
    assert.equal(lines[0], "line 4000");
    assert.equal(lines.at(-1), "line 4999");
    assert.deepEqual(texts(ring, 3), ["line 4997", "line 4998", "line 4999"]);
  });

  it("stays within its byte limit and drops whole chunks, oldest first", () => {
    const ring = new OutputRing({ maxBytes: 64 });
    for (let i = 0; i < 100; i++) ring.push(enc(`n${i}\n`), i, i);
    assert.ok(ring.size <= 64);
    const lines = texts(ring);
    assert.equal(lines.at(-1), "n99");
    for (let i = 1; i < lines.length; i++) {
      assert.equal(
        Number(lines[i].slice(1)),
        Number(lines[i - 1].slice(1)) + 1,
      );
    }
  });

  it("keeps at most maxChunks chunks", () => {
    const ring = new OutputRing({ maxChunks: 5 });
    for (let i = 0; i < 20; i++) ring.push(enc(`${i}\n`), i, i);
    assert.deepEqual(texts(ring), ["15", "16", "17", "18", "19"]);
  });

  it("joins a line split over chunks, with the time of the chunk that ended it", () => {
    const ring = new OutputRing();
    ring.push(enc("he"), 1, 1);
    ring.push(enc("llo\nwor"), 2, 2);
    assert.deepEqual(ring.lines().map((l) => [dec(l.bytes), l.time]), [
      ["hello", 2],
    ]);
    assert.equal(dec(ring.pending()), "wor");
    ring.end(3, 3);
    assert.deepEqual(texts(ring), ["hello", "wor"]);
    // end() after a newline adds nothing.
    ring.end(4, 4);
    assert.equal(ring.size, 10);
  });

  it("leaves out a line whose start was dropped", () => {
    const ring = new OutputRing({ maxBytes: 10 });
    ring.push(enc("aaaa"), 1, 1);
    ring.push(enc("bbbb\n"), 2, 2);
    ring.push(enc("cc\n"), 3, 3);
    // "aaaa" went; "bbbb" is no longer the whole line.
    assert.deepEqual(texts(ring), ["cc"]);
  });

  it("keeps the end of a chunk larger than the ring", () => {
    const ring = new OutputRing({ maxBytes: 8 });
    ring.push(enc("old\n"), 1, 1);
    ring.push(enc("0123456789\nabc\nde\n"), 2, 2);
    assert.deepEqual(texts(ring), ["abc", "de"]);
    ring.push(enc("x".repeat(20) + "\n"), 3, 3);
    assert.deepEqual(texts(ring), []);
  });

  it("passes each line to a follower once, starting with the line begun", () => {
    const ring = new OutputRing();
    ring.push(enc("done\nhalf"), 1, 1);
    const got: string[] = [];
    ring.follow((lines) => got.push(...lines.map((l) => dec(l.bytes))));
    ring.push(enc(" line\nnext\nla"), 2, 2);
    ring.push(enc("st"), 3, 3);
    ring.end(4, 4);
    assert.deepEqual(got, ["half line", "next", "last"]);
    ring.follow(undefined);
    ring.push(enc("unseen\n"), 5, 5);
    assert.equal(got.length, 3);
  });

  it("returns a suffix of the complete lines, all of them when nothing was dropped", () => {
    fc.assert(
      fc.property(
        fc.array(fc.stringMatching(/^[a-c\n]{0,12}$/), { maxLength: 40 }),
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 4, max: 200 }),
        (chunks, max, maxBytes) => {
          const ring = new OutputRing({ maxBytes });
          chunks.forEach((c, i) => ring.push(enc(c), i, i));
          const all = chunks.join("").split("\n").slice(0, -1);
          const got = texts(ring, max);
          assert.ok(got.length <= max);
          assert.deepEqual(got, all.slice(all.length - got.length));
          if (chunks.join("").length <= maxBytes) {
            assert.equal(got.length, Math.min(max, all.length));
          }
          assert.ok(ring.size <= maxBytes);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe("History", () => {
  it("merges the lines of several processes and events in arrival order", () => {
    let now = 0;
    const history = new History(["a.1", "b.1"], {}, () => ++now);
    const a = history.tap("a.1");
    const b = history.tap("b.1");
    a.push(enc("a1\n"));
    b.push(enc("b1\n"));
    history.event({ event: "started", name: "b.1", pid: 7 });
    history.event({ event: "started", name: "c.1", pid: 8 });
    a.push(enc("a2\n"));
    const shown = history.snapshot(["a.1", "b.1"]).map((i) =>
      "bytes" in i ? `${i.name}:${dec(i.bytes)}` : i.text
    );
    assert.deepEqual(shown, [
      "a.1:a1",
      "b.1:b1",
      "b.1 started (pid=7)",
      "a.1:a2",
    ]);
    assert.deepEqual(
      history.snapshot(["a.1"]).map((i) =>
        "bytes" in i ? dec(i.bytes) : i.text
      ),
      ["a1", "a2"],
    );
  });

  it("follows only the names asked for, until told to stop", () => {
    const history = new History(["a.1", "b.1"]);
    const got: string[] = [];
    const stop = history.follow(["a.1"], (items) => {
      for (const i of items) got.push("bytes" in i ? dec(i.bytes) : i.text);
    });
    history.tap("a.1").push(enc("x\n"));
    history.tap("b.1").push(enc("y\n"));
    history.event({ event: "signal", signal: "SIGTERM" });
    stop();
    history.tap("a.1").push(enc("z\n"));
    assert.deepEqual(got, ["x", "SIGTERM received"]);
  });

  it("is fed by a printer: printed, quiet and event lines alike", async () => {
    const history = new History(["web.1", "quiet.1"]);
    const out: string[] = [];
    const sink = new QueuedSink((b) => {
      out.push(dec(b));
      return Promise.resolve();
    });
    const printer = new Printer(sink, ["web.1", "quiet.1"], {
      timestamp: false,
      history,
    });
    printer.stream("web.1").push(enc("shown\n"));
    printer.quietStream("quiet.1")!.push(enc("hidden\n"));
    printer.event({ event: "started", name: "web.1", pid: 1 });
    await sink.flush();
    assert.equal(
      out.join(""),
      "web.1   | shown\nsystem  | web.1 started (pid=1)\n",
    );
    const items = history.snapshot(["web.1", "quiet.1"]);
    assert.deepEqual(
      items.map((i) => "bytes" in i ? dec(i.bytes) : i.text),
      ["shown", "hidden", "web.1 started (pid=1)"],
    );
  });
});
