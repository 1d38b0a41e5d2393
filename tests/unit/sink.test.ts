/** QueuedSink: order, backpressure, a broken reader, a stalled reader. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { QueuedSink } from "../../mod.ts";

const enc = (s: string) => new TextEncoder().encode(s);

/** A writer that completes each write when `release()` is called. */
function gated() {
  const written: string[] = [];
  const pending: (() => void)[] = [];
  const writeAll = (bytes: Uint8Array) =>
    new Promise<void>((resolve) => {
      pending.push(() => {
        written.push(new TextDecoder().decode(bytes));
        resolve();
      });
    });
  const release = async () => {
    while (pending.length) {
      pending.shift()!();
      await new Promise((r) => setTimeout(r, 0));
    }
  };
  return { written, writeAll, release };
}

describe("QueuedSink", () => {
  it("writes buffers in order, one at a time", async () => {
    const { written, writeAll, release } = gated();
    const sink = new QueuedSink(writeAll);
    for (const s of ["a", "b", "c"]) sink.write(enc(s));
    const flushed = sink.flush();
    await release();
    await flushed;
    assert.deepEqual(written, ["a", "b", "c"]);
  });

  it("asks writers to wait once more than 1 MiB is queued, and wakes them", async () => {
    const { writeAll, release } = gated();
    const sink = new QueuedSink(writeAll);
    assert.equal(sink.write(new Uint8Array(1 << 19)), undefined);
    assert.equal(sink.write(new Uint8Array(1 << 19)), undefined);
    const wait = sink.write(new Uint8Array(1 << 19));
    assert.ok(wait instanceof Promise, "no backpressure past 1 MiB");
    let woken = false;
    wait!.then(() => (woken = true));
    await release();
    await wait;
    assert.ok(woken);
  });

  it("breaks once on a failed write, drops later writes and releases flush", async () => {
    const causes: unknown[] = [];
    const sink = new QueuedSink(
      () => Promise.reject(new Error("EPIPE")),
      (cause) => causes.push(cause),
    );
    sink.write(enc("x"));
    await sink.flush();
    assert.ok(sink.broken);
    assert.equal(sink.write(enc("y")), undefined);
    assert.equal(causes.length, 1);
  });

  it("gives up on a reader that stalls once limitStall is set", async () => {
    const sink = new QueuedSink(() => new Promise<void>(() => {}));
    sink.write(enc("stuck"));
    const started = Date.now();
    sink.limitStall(30);
    await sink.flush();
    assert.ok(sink.broken);
    assert.ok(Date.now() - started < 1000);
  });

  it("returns written buffers through done when it may reuse them", async () => {
    const sink = new QueuedSink(() => Promise.resolve(), undefined, true);
    let done = 0;
    sink.write(enc("a"), () => done++);
    sink.write(enc("b"), () => done++);
    await sink.flush();
    assert.equal(done, 2);
  });
});
