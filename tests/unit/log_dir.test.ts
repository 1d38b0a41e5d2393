import assert from "node:assert/strict";
import { readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { tempDir } from "../_temp.ts";
import { type LogEvent, openLogDir, Printer, QueuedSink } from "../../mod.ts";

const enc = (s: string) => new TextEncoder().encode(s);

describe("LogDir", () => {
  it("creates the directory 0700 and files 0600, and appends across runs", async () => {
    const root = tempDir();
    const dir = join(root, "logs");
    for (const line of ["one\n", "two\n"]) {
      const logs = openLogDir(dir, ["web.1"]);
      logs.file("web.1")!.write(enc(line));
      await logs.close();
    }
    const path = join(dir, "web.1.log");
    assert.equal(readFileSync(path, "utf8"), "one\ntwo\n");
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    rmSync(root, { recursive: true });
  });

  it("rotates to NAME.log.1 between lines, never past the cap", async () => {
    const dir = tempDir();
    const logs = openLogDir(dir, ["a.1"], { maxSize: 100 });
    let all = "";
    for (let i = 0; i < 60; i++) {
      const chunk = `line ${i}\nline ${i}b\n`;
      all += chunk;
      logs.file("a.1")!.write(enc(chunk));
    }
    await logs.close();
    const current = readFileSync(join(dir, "a.1.log"), "utf8");
    const previous = readFileSync(join(dir, "a.1.log.1"), "utf8");
    assert.ok(current.length <= 100 && previous.length <= 100);
    assert.ok(previous.length > 80, "a rotated file is filled to the cap");
    assert.ok(current.endsWith("line 59b\n"));
    assert.ok(all.endsWith(previous + current), "whole lines, in order");
    rmSync(dir, { recursive: true });
  });

  it("writes a line longer than the cap whole, into a file of its own", async () => {
    const dir = tempDir();
    const logs = openLogDir(dir, ["a.1"], { maxSize: 10 });
    logs.file("a.1")!.write(enc("short\n" + "x".repeat(30) + "\nend\n"));
    await logs.close();
    assert.equal(
      readFileSync(join(dir, "a.1.log.1"), "utf8"),
      "x".repeat(30) + "\n",
    );
    assert.equal(readFileSync(join(dir, "a.1.log"), "utf8"), "end\n");
    rmSync(dir, { recursive: true });
  });

  it("pushes back past the queue limit, and loses no line", async () => {
    const dir = tempDir();
    const logs = openLogDir(dir, ["a.1"], { queueLimit: 64 });
    const file = logs.file("a.1")!;
    const waits = [];
    for (let i = 0; i < 10; i++) {
      waits.push(file.write(enc(`${i}`.padStart(19) + "\n")));
    }
    assert.equal(waits.slice(0, 3).filter((w) => w).length, 0);
    assert.ok(waits.slice(3).every((w) => w instanceof Promise));
    await Promise.all(waits);
    await logs.close();
    const text = readFileSync(join(dir, "a.1.log"), "utf8");
    assert.equal(text.split("\n").length - 1, 10);
    rmSync(dir, { recursive: true });
  });

  it("drops lines past the queue limit while a write is stalled, counts them, and says so once", async () => {
    const dir = tempDir();
    // With stallMs 0 every write in flight counts as stalled.
    const logs = openLogDir(dir, ["a.1"], { queueLimit: 64, stallMs: 0 });
    const events: LogEvent[] = [];
    logs.listen((e) => events.push(e));
    const file = logs.file("a.1")!;
    for (let i = 0; i < 10; i++) file.write(enc(`${i}`.padStart(19) + "\n"));
    // Let the queue drain: with stallMs 0, close() would not wait for it.
    await new Promise((r) => setTimeout(r, 100));
    await logs.close();
    const text = readFileSync(join(dir, "a.1.log"), "utf8");
    assert.equal(text.split("\n").length - 1, 3, "three 20-byte lines fit");
    assert.deepEqual(events, [{
      event: "log-dropped",
      name: "a.1",
      path: join(dir, "a.1.log"),
      lines: 7,
    }]);
    rmSync(dir, { recursive: true });
  });

  it("reports a directory it cannot create, once, and has no files", () => {
    const root = tempDir();
    const file = join(root, "file");
    writeFileSync(file, "");
    const logs = openLogDir(file, ["a.1"]);
    const events: LogEvent[] = [];
    logs.listen((e) => events.push(e));
    assert.equal(events.length, 1);
    assert.equal(events[0].event, "log-failed");
    assert.equal(events[0].path, file);
    assert.equal(logs.file("a.1"), undefined);
    rmSync(root, { recursive: true });
  });

  it("reports a write that fails (a full disk) and stops writing that file", async () => {
    const dir = tempDir();
    const { symlinkSync } = await import("node:fs");
    symlinkSync("/dev/full", join(dir, "a.1.log"));
    const logs = openLogDir(dir, ["a.1"]);
    const events: LogEvent[] = [];
    logs.listen((e) => events.push(e));
    logs.file("a.1")!.write(enc("x\n"));
    await logs.file("a.1")!.flush();
    logs.file("a.1")?.write(enc("y\n"));
    await logs.close();
    assert.equal(events.length, 1);
    assert.equal(events[0].event, "log-failed");
    assert.match(
      events[0].event === "log-failed" ? events[0].message : "",
      /ENOSPC/,
    );
    assert.equal(logs.file("a.1"), undefined);
    rmSync(dir, { recursive: true });
  });
});

describe("Printer with log files", () => {
  it("writes timestamped lines, the process's events and events about all to its file, the terminal unchanged", async () => {
    const dir = tempDir();
    const logs = openLogDir(dir, ["web.1"]);
    const out: Uint8Array[] = [];
    const sink = new QueuedSink((b) => {
      out.push(b.slice());
      return Promise.resolve();
    });
    const printer = new Printer(
      sink,
      ["web.1"],
      { timestamp: false, logs },
      () => Date.UTC(2026, 0, 2, 3, 4, 5, 678),
    );
    printer.event({ event: "started", name: "web.1", pid: 7 });
    const stream = printer.stream("web.1");
    stream.push(enc("hello\nwor"));
    stream.push(enc("ld\n"));
    stream.end();
    printer.quietStream("web.1")!.push(enc("quiet\n"));
    printer.event({ event: "signal", signal: "SIGINT" });
    await logs.close();
    await sink.flush();
    assert.equal(
      out.map((b) => new TextDecoder().decode(b)).join(""),
      "system | web.1 started (pid=7)\nweb.1  | hello\nweb.1  | world\n" +
        "system | SIGINT received\n",
    );
    const t = "2026-01-02T03:04:05.678Z";
    assert.equal(
      readFileSync(join(dir, "web.1.log"), "utf8"),
      `${t} [tend] web.1 started (pid=7)\n${t} hello\n${t} world\n${t} quiet\n` +
        `${t} [tend] SIGINT received\n`,
    );
    rmSync(dir, { recursive: true });
  });
});
