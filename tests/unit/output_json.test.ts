import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { outputHints, Printer, QueuedSink } from "../../mod.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const T = Date.UTC(2026, 0, 2, 3, 4, 5, 678);

async function printJson(
  act: (p: Printer) => void,
  timestamp = true,
): Promise<Record<string, unknown>[]> {
  const chunks: Uint8Array[] = [];
  const sink = new QueuedSink((b) => {
    chunks.push(b.slice());
    return Promise.resolve();
  });
  const printer = new Printer(
    sink,
    ["web.1", "worker.1"],
    { format: "json", color: true, timestamp },
    () => T,
  );
  act(printer);
  await sink.flush();
  const text = chunks.map((c) => new TextDecoder().decode(c)).join("");
  assert.ok(text.endsWith("\n"));
  return text.split("\n").slice(0, -1).map((l) => JSON.parse(l));
}

describe("Printer, JSON format", () => {
  it("prints lines with time, name, type, pid (from the started event) and line", async () => {
    const objects = await printJson((p) => {
      p.event({ event: "started", name: "web.1", pid: 42 });
      p.stream("web.1").push(enc("hi\n"));
      p.stream("worker.1").push(enc("no pid yet\n"));
    });
    const time = "2026-01-02T03:04:05.678Z";
    assert.deepEqual(objects, [
      {
        time,
        event: "started",
        name: "web.1",
        type: "web",
        pid: 42,
        line: "web.1 started (pid=42)",
      },
      { time, name: "web.1", type: "web", pid: 42, line: "hi" },
      { time, name: "worker.1", type: "worker", line: "no pid yet" },
    ]);
  });

  it("prints every event's data, tend's messages included, without time if asked", async () => {
    const objects = await printJson((p) => {
      p.event({
        event: "exited",
        name: "web.1",
        pid: 1,
        code: null,
        signal: "SIGKILL",
        status: 137,
      });
      p.event({ event: "signal", signal: "SIGINT" });
      p.system("running as PID 1");
    }, false);
    assert.deepEqual(objects, [
      {
        event: "exited",
        name: "web.1",
        type: "web",
        pid: 1,
        code: null,
        signal: "SIGKILL",
        status: 137,
        line: "web.1 exited (signal=SIGKILL)",
      },
      { event: "signal", signal: "SIGINT", line: "SIGINT received" },
      { event: "message", text: "running as PID 1", line: "running as PID 1" },
    ]);
  });
});

describe("outputHints", () => {
  it("adds FORCE_COLOR, CLICOLOR_FORCE and PYTHONUNBUFFERED only in colour", () => {
    assert.deepEqual(outputHints({ color: true, env: {} }), {
      FORCE_COLOR: "1",
      CLICOLOR_FORCE: "1",
      PYTHONUNBUFFERED: "1",
    });
    assert.deepEqual(outputHints({ color: false, env: {} }), {});
  });

  it("never replaces a value that is set, even an empty one", () => {
    assert.deepEqual(
      outputHints({
        color: true,
        env: { FORCE_COLOR: "", PYTHONUNBUFFERED: "0" },
      }),
      { CLICOLOR_FORCE: "1" },
    );
  });

  it("leaves the colour hints out when NO_COLOR is set for the processes", () => {
    assert.deepEqual(outputHints({ color: true, env: { NO_COLOR: "1" } }), {
      PYTHONUNBUFFERED: "1",
    });
  });
});
