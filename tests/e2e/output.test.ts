/**
 * End-to-end tests of tend's output for people and for machines: the
 * colour and buffering hints processes get on a terminal, JSON lines, and
 * log files (rotation, a full disk, a directory that cannot be made).
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { spawn, spawnSync } from "node:child_process";
import {
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
} from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  bodyLines,
  cleanup,
  launcher,
  type Result,
  runTend,
  startTend,
  tempApp,
  type TendOptions,
} from "./_helpers.ts";

/** This machine's PYTHONUNBUFFERED must not look like tend's hint. */
const CLEAN = { PYTHONUNBUFFERED: undefined, CLICOLOR_FORCE: undefined };

function quote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** Options that run tend under `script`, so its stdout is a terminal. */
function inTerminal(args: string[], options: TendOptions): TendOptions {
  const { file, args: pre } = launcher();
  const line = [file, ...pre, ...args].map(quote).join(" ");
  return { ...options, command: { file: "script", args: ["-qfc", line] } };
}

/** Runs tend with its stdout on a pseudo-terminal; lines without \r. */
async function runInTerminal(
  args: string[],
  options: TendOptions,
): Promise<Result> {
  const r = await runTend(["/dev/null"], inTerminal(args, options));
  return { ...r, stdout: r.stdout.replaceAll("\r\n", "\n") };
}

const hasScript = spawnSync("script", ["--version"]).status === 0;
const hasPython = spawnSync("python3", ["--version"]).status === 0;
const ANSI = new RegExp("\x1b\\[[0-9;]*m", "g");
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

describe("colour and buffering hints", { skip: !hasScript }, () => {
  const procfile =
    'a: echo "F=${FORCE_COLOR-unset} C=${CLICOLOR_FORCE-unset} P=${PYTHONUNBUFFERED-unset}"\n';
  const seen = (r: Result) =>
    r.stdout.replace(ANSI, "").match(/F=[^\s"]* C=[^\s"]* P=[^\s"]*/)?.[0];

  it("a process gets FORCE_COLOR, CLICOLOR_FORCE and PYTHONUNBUFFERED only when tend prints in colour to a terminal", async () => {
    const app = tempApp({ Procfile: procfile });
    const options = { cwd: app, env: CLEAN };
    const on = await runInTerminal(["start"], options);
    assert.equal(on.status, 0, on.stdout + on.stderr);
    assert.ok(on.stdout.includes("\x1b["), "tend itself prints in colour");
    assert.equal(seen(on), "F=1 C=1 P=1");
    const piped = await runTend(["start"], options);
    assert.equal(seen(piped), "F=unset C=unset P=unset");
    const noColor = await runInTerminal(["start", "--no-color"], options);
    assert.equal(seen(noColor), "F=unset C=unset P=unset");
    const envNoColor = await runInTerminal(["start"], {
      ...options,
      env: { ...CLEAN, NO_COLOR: "1" },
    });
    assert.equal(seen(envNoColor), "F=unset C=unset P=unset");
    const json = await runInTerminal(
      ["start", "--log-format", "json"],
      options,
    );
    assert.equal(seen(json), "F=unset C=unset P=unset");
    cleanup(app);
  });

  it("never replaces a value from the environment or an env file", async () => {
    const app = tempApp({ Procfile: procfile, ".env": "FORCE_COLOR=0\n" });
    const r = await runInTerminal(["start"], {
      cwd: app,
      env: { ...CLEAN, PYTHONUNBUFFERED: "" },
    });
    assert.equal(seen(r), "F=0 C=1 P=");
    cleanup(app);
  });

  it("tend env shows them on a terminal, not through a pipe", async () => {
    const app = tempApp({ ".env": "A=1\n" });
    const tty = await runInTerminal(["env"], { cwd: app, env: CLEAN });
    assert.match(tty.stdout, /^CLICOLOR_FORCE=1$/m);
    assert.match(tty.stdout, /^FORCE_COLOR=1$/m);
    assert.match(tty.stdout, /^PYTHONUNBUFFERED=1$/m);
    const piped = await runTend(["env"], { cwd: app, env: CLEAN });
    assert.doesNotMatch(piped.stdout, /FORCE_COLOR|PYTHONUNBUFFERED/);
    cleanup(app);
  });

  it("a Python process's line arrives when printed, not when it exits", {
    skip: !hasPython,
  }, async () => {
    const app = tempApp({
      Procfile:
        `py: python3 -c 'import time; print("first"); time.sleep(3); print("second")'\n`,
    });
    const tend = startTend(
      ["/dev/null"],
      inTerminal(["start"], { cwd: app, env: CLEAN }),
    );
    await tend.waitFor("first", 2500);
    assert.ok(!tend.stdout.includes("second"), tend.stdout);
    const r = await tend.done;
    assert.equal(r.status, 0, r.stdout);
    assert.match(r.stdout, /second/);
    cleanup(app);
  });
});

describe("--log-format json", () => {
  it("prints every line of a flood as one JSON object, in order, and events with their data", async () => {
    const n = 100_000;
    const app = tempApp({
      Procfile: `a: seq ${n}; printf 'tab\\there "q" \\\\ \\377 é\\n'\n`,
    });
    const r = await runTend(["start", "--log-format", "json"], { cwd: app });
    assert.equal(r.status, 0, r.stderr);
    const objects = r.stdout.split("\n").slice(0, -1).map((l) => JSON.parse(l));
    const lines = objects.filter((o) => o.event === undefined);
    assert.equal(lines.length, n + 1);
    for (let i = 0; i < n; i++) {
      if (lines[i].line !== String(i + 1)) {
        assert.fail(`line ${i + 1} is ${JSON.stringify(lines[i])}`);
      }
    }
    const pid = objects[0].pid;
    assert.equal(objects[0].event, "started");
    assert.equal(typeof pid, "number");
    assert.match(lines[0].time, ISO);
    assert.deepEqual({ ...lines[0], time: 0 }, {
      time: 0,
      name: "a.1",
      type: "a",
      pid,
      line: "1",
    });
    const odd = lines[n];
    assert.equal(odd.line, 'tab\there "q" \\ \ufffd é');
    assert.deepEqual(
      [...Buffer.from(odd.base64, "base64")],
      [
        ...new TextEncoder().encode('tab\there "q" \\ '),
        0xff,
        0x20,
        0xc3,
        0xa9,
      ],
    );
    const last = objects[objects.length - 1];
    assert.deepEqual({ ...last, time: 0 }, {
      time: 0,
      event: "exited",
      name: "a.1",
      type: "a",
      pid,
      code: 0,
      signal: null,
      status: 0,
      line: "a.1 exited (code=0)",
    });
    cleanup(app);
  });

  it("rejects an unknown format as a usage error", async () => {
    const app = tempApp({ Procfile: "a: true\n" });
    const r = await runTend(["start", "--log-format", "xml"], { cwd: app });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /bad --log-format "xml": expected text or json/);
    cleanup(app);
  });
});

/** Log lines as [time, text]; every line must carry an ISO time. */
function logLines(path: string): [string, string][] {
  const text = readFileSync(path, "utf8");
  assert.ok(text === "" || text.endsWith("\n"), "the file ends with a line");
  return text.split("\n").slice(0, -1).map((line) => {
    const space = line.indexOf(" ");
    assert.match(line.slice(0, space), ISO, line);
    return [line.slice(0, space), line.slice(space + 1)];
  });
}

describe("--log-dir", () => {
  it("writes each process's lines and events to DIR/NAME.log, appended across runs, 0600 in a 0700 directory, the terminal unchanged", async () => {
    const app = tempApp({
      Procfile: "web: echo one; echo two\nworker: sleep 0.3; echo three\n",
    });
    const dir = join(app, "logs");
    const plain = await runTend(["start", "--can-die", "web"], { cwd: app });
    for (let run = 0; run < 2; run++) {
      const r = await runTend(
        ["start", "--can-die", "web", "--log-dir", "logs"],
        { cwd: app },
      );
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(bodyLines(r.stdout, "web.1"), ["one", "two"]);
      assert.equal(
        r.stdout.replace(/pid=\d+/g, "").replace(/^\d\d:\d\d:\d\d /gm, ""),
        plain.stdout.replace(/pid=\d+/g, "").replace(/^\d\d:\d\d:\d\d /gm, ""),
      );
    }
    const web = logLines(join(dir, "web.1.log")).map(([, text]) =>
      text.replace(/pid=\d+/, "pid=N")
    );
    const once = [
      "[tend] web.1 started (pid=N)",
      "one",
      "two",
      "[tend] web.1 exited (code=0)",
    ];
    assert.deepEqual(web, [...once, ...once]);
    const worker = logLines(join(dir, "worker.1.log")).map(([, t]) => t);
    assert.deepEqual(worker.filter((t) => t === "three"), ["three", "three"]);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.equal(statSync(join(dir, "web.1.log")).mode & 0o777, 0o600);
    cleanup(app);
  });

  it("rotates NAME.log to NAME.log.1 at the cap, between whole lines", async () => {
    const app = tempApp({ Procfile: "a: seq 3000\n" });
    const r = await runTend(
      ["start", "--log-dir", "logs", "--log-max-size", "4K"],
      { cwd: app },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.equal(bodyLines(r.stdout, "a.1").length, 3000);
    const current = join(app, "logs", "a.1.log");
    const previous = current + ".1";
    assert.ok(statSync(current).size <= 4096);
    assert.ok(statSync(previous).size <= 4096);
    assert.ok(statSync(previous).size > 4000, "filled up to the cap");
    const texts = [...logLines(previous), ...logLines(current)]
      .map(([, text]) => text)
      .filter((t) => !t.startsWith("[tend]"));
    const first = Number(texts[0]);
    assert.deepEqual(
      texts,
      Array.from({ length: 3001 - first }, (_, i) => String(first + i)),
    );
    cleanup(app);
  });

  it("on a full disk says so in one line and goes on printing", async () => {
    const app = tempApp({ Procfile: "web: seq 2000\n" });
    mkdirSync(join(app, "logs"));
    symlinkSync("/dev/full", join(app, "logs", "web.1.log"));
    const r = await runTend(["start", "--log-dir", "logs"], { cwd: app });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(bodyLines(r.stdout, "web.1").length, 2000);
    const notes = r.stdout.split("\n").filter((l) =>
      l.includes("cannot write")
    );
    assert.equal(notes.length, 1, r.stdout.slice(0, 2000));
    assert.match(
      notes[0],
      /system +\| cannot write .*web\.1\.log: ENOSPC.* \(web\.1 is no longer logged there\)$/,
    );
    cleanup(app);
  });

  it("on a tmpfs that fills up keeps whole lines in the file and every line on stdout", async (t) => {
    const app = tempApp({ Procfile: "a: seq 30000\n" });
    const dir = join(app, "logs");
    mkdirSync(dir);
    const mount = spawnSync("mount", [
      "-t",
      "tmpfs",
      "-o",
      "size=64k",
      "tmpfs",
      dir,
    ]);
    if (mount.status !== 0) {
      t.skip("cannot mount a tmpfs here (needs root)");
      cleanup(app);
      return;
    }
    try {
      const r = await runTend(["start", "--log-dir", "logs"], { cwd: app });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(bodyLines(r.stdout, "a.1").length, 30000);
      const notes = r.stdout.split("\n").filter((l) =>
        l.includes("cannot write")
      );
      assert.equal(notes.length, 1);
      assert.match(notes[0], /ENOSPC/);
      // What fit is whole lines, from the first, perhaps the last cut short.
      const text = readFileSync(join(dir, "a.1.log"), "utf8");
      const lines = text.split("\n").slice(1, -1).map((l) => l.split(" ")[1]);
      lines.forEach((n, i) => assert.equal(n, String(i + 1)));
      assert.ok(lines.length > 1000, `${lines.length} lines fit`);
    } finally {
      spawnSync("umount", [dir]);
      cleanup(app);
    }
  });

  it("when writes stall, waits 1 s, then drops and counts the file's lines while stdout gets them all", async () => {
    const app = tempApp({ Procfile: "a: seq 200000\n" });
    mkdirSync(join(app, "logs"));
    const fifo = join(app, "logs", "a.1.log");
    assert.equal(spawnSync("mkfifo", [fifo]).status, 0);
    // A reader that opens the pipe and never reads: writes block at 64 KiB.
    const reader = spawn("sh", ["-c", `exec sleep 60 <'${fifo}'`], {
      stdio: "ignore",
    });
    try {
      const r = await runTend(["start", "--log-dir", "logs"], { cwd: app });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(bodyLines(r.stdout, "a.1").length, 200000);
      assert.match(
        r.stdout,
        /system +\| dropped \d+ lines of a\.1's log \(writing to it stalled\)\n/,
      );
      assert.ok(r.ms >= 1000 && r.ms < 10_000, `${r.ms} ms`);
    } finally {
      reader.kill("SIGKILL");
      cleanup(app);
    }
  });

  it("when the directory cannot be made, says so in one line and runs without files", async () => {
    const app = tempApp({ Procfile: "web: echo hi\n", notadir: "" });
    const r = await runTend(["start", "--log-dir", "notadir/logs"], {
      cwd: app,
    });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(bodyLines(r.stdout, "web.1"), ["hi"]);
    assert.match(
      r.stdout,
      /system +\| cannot write logs to .*notadir\/logs: E\w+.* \(no log files this run\)\n/,
    );
    cleanup(app);
  });

  it("rejects a bad size as a usage error", async () => {
    const app = tempApp({ Procfile: "a: true\n" });
    const r = await runTend(
      ["start", "--log-dir", "x", "--log-max-size", "big"],
      { cwd: app },
    );
    assert.equal(r.status, 2);
    assert.match(r.stderr, /bad --log-max-size "big"/);
    rmSync(join(app, "x"), { recursive: true, force: true });
    cleanup(app);
  });
});
