import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Printer, QueuedSink, wantColor } from "../../mod.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (
  b: Uint8Array | undefined,
) => (b ? new TextDecoder().decode(b) : "");

describe("Printer", () => {
  async function print(
    names: string[],
    style: ConstructorParameters<typeof Printer>[2],
    act: (p: Printer) => void,
  ): Promise<string> {
    const chunks: Uint8Array[] = [];
    const sink = new QueuedSink((b) => {
      chunks.push(b.slice());
      return Promise.resolve();
    });
    const printer = new Printer(
      sink,
      names,
      style,
      () => new Date(2026, 0, 1, 9, 5, 7).getTime(),
    );
    act(printer);
    await sink.flush();
    return chunks.map(dec).join("");
  }

  it("prints HH:MM:SS name | text with names padded to the longest", async () => {
    const out = await print(["web.1", "worker.1"], {}, (p) => {
      p.stream("web.1").push(enc("hi\n"));
      p.system("web.1 started (pid=1)");
    });
    assert.equal(
      out,
      "09:05:07 web.1    | hi\n09:05:07 system   | web.1 started (pid=1)\n",
    );
  });

  it("drops the time with timestamp: false and the prefix with prefix: false", async () => {
    assert.equal(
      await print(
        ["a.1"],
        { timestamp: false },
        (p) => p.stream("a.1").push(enc("x\n")),
      ),
      "a.1    | x\n",
    );
    assert.equal(
      await print(
        ["a.1"],
        { prefix: false },
        (p) => p.stream("a.1").push(enc("x\ny\n")),
      ),
      "x\ny\n",
    );
  });

  it("colours each instance's prefix in honcho's order", async () => {
    const out = await print(
      ["a.1", "b.1"],
      { color: true, timestamp: false },
      (p) => {
        p.stream("a.1").push(enc("x\n"));
        p.stream("b.1").push(enc("y\n"));
      },
    );
    assert.equal(out, "\x1b[36ma.1    | \x1b[0mx\n\x1b[33mb.1    | \x1b[0my\n");
  });
});

describe("wantColor", () => {
  it("follows --no-color, NO_COLOR, FORCE_COLOR, then the TTY", () => {
    assert.equal(wantColor({ isTerminal: true, env: {} }), true);
    assert.equal(wantColor({ isTerminal: false, env: {} }), false);
    assert.equal(
      wantColor({ isTerminal: true, env: {}, noColor: true }),
      false,
    );
    assert.equal(
      wantColor({ isTerminal: true, env: { NO_COLOR: "1" } }),
      false,
    );
    assert.equal(
      wantColor({ isTerminal: false, env: { FORCE_COLOR: "1" } }),
      true,
    );
    assert.equal(
      wantColor({ isTerminal: false, env: { FORCE_COLOR: "0" } }),
      false,
    );
    assert.equal(
      wantColor({
        isTerminal: false,
        env: { FORCE_COLOR: "1", NO_COLOR: "1" },
      }),
      false,
    );
  });
});
