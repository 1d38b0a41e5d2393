/**
 * Controlling a running tend from another process, end to end: restart
 * and stop one process while the others run on, status and its JSON, the
 * health check, logs and following them, the socket's place, permissions
 * and removal, stale sockets, a second tend of the same app, and clients
 * that misbehave. Each test has its own XDG_RUNTIME_DIR, so the sockets
 * of one test never meet another's.
 */
import assert from "node:assert/strict";
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { spawnSync } from "node:child_process";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { describe, it } from "node:test";
import {
  assertNoneAlive,
  bodyLines,
  cleanup,
  marker,
  type Result,
  runTend,
  sleep,
  startTend,
  tempApp,
  type Tend,
} from "./_helpers.ts";

interface StatusProcess {
  name: string;
  type: string;
  pid: number | null;
  state: string;
  port: number;
  uptime: number | null;
  restarts: number;
  lastStatus: number | null;
  ready: boolean;
  canDie: boolean;
  tend: number;
}
interface StatusJson {
  v: number;
  healthy: boolean;
  tends: { pid: number; appRoot: string; procfile: string; socket: string }[];
  processes: StatusProcess[];
}

/** A fresh XDG_RUNTIME_DIR, as a login session makes it (0700). */
function runtimeDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "tend-xdg-"));
  chmodSync(dir, 0o700);
  return dir;
}

/** Runs a control command for the app in `app` with the runtime dir `xdg`. */
function ctl(args: string[], app: string, xdg: string): Promise<Result> {
  return runTend(args, {
    cwd: app,
    env: { XDG_RUNTIME_DIR: xdg },
    timeout: 20_000,
  });
}

async function status(app: string, xdg: string): Promise<StatusJson> {
  const r = await ctl(["status", "--json"], app, xdg);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

/** Waits until every process named runs, by `tend status`; returns the status. */
async function running(
  app: string,
  xdg: string,
  names: string[],
  ms = 15_000,
): Promise<StatusJson> {
  const deadline = Date.now() + ms;
  for (;;) {
    const r = await ctl(["status", "--json"], app, xdg);
    if (r.status === 0) {
      const s: StatusJson = JSON.parse(r.stdout);
      const up = names.every((n) =>
        s.processes.some((p) => p.name === n && p.state === "running")
      );
      if (up) return s;
    }
    if (Date.now() > deadline) {
      throw new Error(`not running: ${names}\n${r.stdout}${r.stderr}`);
    }
    await sleep(100);
  }
}

function byName(s: StatusJson, name: string): StatusProcess {
  const p = s.processes.find((p) => p.name === name);
  assert.ok(p, `${name} in ${JSON.stringify(s)}`);
  return p;
}

/** The control directory's entries; none when it is gone. */
function sockets(xdg: string): string[] {
  const dir = join(xdg, "tend");
  return existsSync(dir) ? readdirSync(dir) : [];
}

function start(args: string[], app: string, xdg: string, mark: string): Tend {
  return startTend(args, {
    cwd: app,
    mark,
    env: { XDG_RUNTIME_DIR: xdg },
    timeout: 60_000,
  });
}

async function finish(tend: Tend, mark: string, ...dirs: string[]) {
  if (tend.child.exitCode === null) tend.kill("SIGTERM");
  await tend.done;
  await assertNoneAlive(mark);
  for (const dir of dirs) cleanup(dir);
}

/** tend's line where the runtime has no FFI (Node). */
const NO_FFI = /\| no FFI here: /;

/** A loop that prints numbered lines: `NAME PORT N`. */
const counter = (name: string, every: number, mark: string) =>
  `i=0; while :; do i=$((i+1)); echo "${name} $PORT $i"; sleep ${every}; done # ${mark}`;

describe("restart and stop", () => {
  it("restart gives that process a new pid; the others keep theirs and print on", async () => {
    const m = marker();
    const xdg = runtimeDir();
    const app = tempApp({
      Procfile: [
        // Slow to stop, so the others visibly print while it restarts.
        `web: trap 'sleep 0.5; exit 0' TERM; ${counter("web", 0.05, m)}`,
        `worker: ${counter("worker", 0.02, m)}`,
        `clock: exec sleep 1000 # ${m}`,
      ].join("\n"),
    });
    const tend = start(["start", "--no-timestamp"], app, xdg, m);
    const before = await running(app, xdg, ["web.1", "worker.1", "clock.1"]);
    const r = await ctl(["restart", "web"], app, xdg);
    assert.equal(r.status, 0, r.stderr);
    const web = byName(before, "web.1").pid;
    const match = /^web\.1 restarted \(pid (\d+) -> (\d+)\)\n$/.exec(r.stdout);
    assert.ok(match, r.stdout);
    assert.equal(Number(match[1]), web);
    const after = await status(app, xdg);
    assert.equal(byName(after, "web.1").pid, Number(match[2]));
    assert.notEqual(byName(after, "web.1").pid, web);
    assert.equal(byName(after, "web.1").restarts, 1);
    assert.equal(byName(after, "web.1").state, "running");
    for (const name of ["worker.1", "clock.1"]) {
      assert.equal(byName(after, name).pid, byName(before, name).pid, name);
      assert.equal(byName(after, name).restarts, 0);
    }
    await tend.waitFor(/web\.1 +\| web 5000 2\n[^]*web\.1 +\| web 5000 3\n/);
    await sleep(200);
    tend.kill("SIGTERM");
    const out = (await tend.done).stdout;
    // The worker printed all the while, every line in order.
    const from = out.indexOf("web.1: restart requested");
    const to = out.indexOf("web.1 started", from);
    assert.ok(from > 0 && to > from, out);
    const during = bodyLines(out.slice(from, to), "worker.1");
    assert.ok(during.length >= 5, `worker printed ${during.length} lines`);
    const numbers = bodyLines(out, "worker.1").map((l) =>
      Number(l.split(" ")[2])
    );
    numbers.forEach((n, i) => assert.equal(n, i + 1, "worker lines in order"));
    // web ran twice with the same PORT; the second run counts from 1 again.
    const webLines = bodyLines(out, "web.1");
    assert.equal(webLines.filter((l) => l === "web 5000 1").length, 2);
    await finish(tend, m, app, xdg);
  });

  it("stop keeps a process stopped while tend and the others run on; restart starts it", async () => {
    const m = marker();
    const xdg = runtimeDir();
    const app = tempApp({
      Procfile: `web: exec sleep 1000 # ${m}\nworker: ${
        counter("worker", 0.1, m)
      }\n`,
    });
    const tend = start(["start"], app, xdg, m);
    const before = await running(app, xdg, ["web.1", "worker.1"]);
    const stopped = await ctl(["stop", "worker.1"], app, xdg);
    assert.equal(stopped.status, 0, stopped.stderr);
    assert.equal(
      stopped.stdout,
      `worker.1 stopped (pid ${byName(before, "worker.1").pid})\n`,
    );
    await sleep(1000);
    assert.equal(tend.child.exitCode, null, "tend runs on");
    const s = await status(app, xdg);
    assert.equal(byName(s, "worker.1").state, "stopped");
    assert.equal(byName(s, "worker.1").lastStatus, 143);
    assert.equal(byName(s, "web.1").pid, byName(before, "web.1").pid);
    assert.equal(s.healthy, false);
    const check = await ctl(["status", "--check"], app, xdg);
    assert.equal(check.status, 1);
    assert.equal(check.stdout, "unhealthy: worker.1 stopped\n");
    // Stopping what is stopped changes nothing.
    const again = await ctl(["stop", "worker"], app, xdg);
    assert.equal(again.status, 0);
    assert.equal(again.stdout, "worker.1 was not running (stopped)\n");
    const restarted = await ctl(["restart", "worker"], app, xdg);
    assert.equal(restarted.status, 0, restarted.stderr);
    assert.match(restarted.stdout, /^worker\.1 started \(pid \d+\)\n$/);
    const healthy = await ctl(["status", "--check"], app, xdg);
    assert.equal(healthy.status, 0, healthy.stdout);
    assert.equal(healthy.stdout, "healthy: web.1, worker.1 up\n");
    tend.kill("SIGTERM");
    const r = await tend.done;
    assert.equal(r.status, 143);
    await finish(tend, m, app, xdg);
  });

  it("says what is wrong: no tend, an unknown name, a missing argument", async () => {
    const xdg = runtimeDir();
    const app = tempApp({ Procfile: "web: exec sleep 1000\n" });
    for (
      const args of [["status"], ["restart", "web"], ["stop", "web"], ["logs"]]
    ) {
      const r = await ctl(args, app, xdg);
      assert.equal(r.status, 69, `${args}: ${r.stderr}`);
      assert.equal(
        r.stderr,
        `tend: ${app}/Procfile: no tend is running for this app (start one with tend start)\n`,
      );
    }
    const check = await ctl(["status", "--check"], app, xdg);
    assert.equal(check.status, 1);
    assert.equal(check.stdout, "unhealthy: no tend is running for this app\n");
    assert.equal((await ctl(["restart"], app, xdg)).status, 2);
    assert.equal((await ctl(["status", "web"], app, xdg)).status, 2);
    const m = marker();
    const tend = start(["start"], app, xdg, m);
    await running(app, xdg, ["web.1"]);
    const unknown = await ctl(["restart", "nope"], app, xdg);
    assert.equal(unknown.status, 1);
    assert.equal(
      unknown.stderr,
      'tend: no process "nope" (processes: web.1)\n',
    );
    const logs = await ctl(["logs", "nope"], app, xdg);
    assert.equal(logs.status, 1);
    await finish(tend, m, app, xdg);
  });
});

describe("status", () => {
  it("JSON matches the processes; the table and -d from elsewhere agree", async () => {
    const m = marker();
    const xdg = runtimeDir();
    const app = tempApp({
      Procfile:
        `web: exec sleep 1000 # ${m}\nonce: echo done # ${m}\nworker: exec sleep 1000 # ${m}\n`,
    });
    const tend = start(
      ["start", "-c", "web=2", "--can-die", "once"],
      app,
      xdg,
      m,
    );
    await tend.waitFor("once.1 exited (code=0)");
    const s = await running(app, xdg, ["web.1", "web.2", "worker.1"]);
    assert.equal(s.v, 1);
    assert.equal(s.tends.length, 1);
    assert.equal(s.tends[0].pid, tend.child.pid);
    assert.equal(s.tends[0].appRoot, app);
    assert.equal(s.tends[0].procfile, join(app, "Procfile"));
    assert.deepEqual(
      s.processes.map((p) => [p.name, p.type, p.port, p.state, p.canDie]),
      [
        ["web.1", "web", 5000, "running", false],
        ["web.2", "web", 5001, "running", false],
        ["once.1", "once", 5100, "done", true],
        ["worker.1", "worker", 5200, "running", false],
      ],
    );
    for (const p of s.processes) {
      // The pid is the one tend announced when it started the process.
      assert.match(
        tend.stdout,
        new RegExp(`${p.name} started \\(pid=${p.pid}\\)`),
      );
      assert.equal(p.tend, tend.child.pid);
      assert.equal(p.ready, p.state === "running");
      assert.equal(p.uptime === null, p.state !== "running");
    }
    assert.equal(byName(s, "once.1").lastStatus, 0);
    assert.equal(s.healthy, true);
    // From another directory, naming the app with -d or -f.
    const elsewhere = tmpdir();
    for (const flag of [["-d", app], ["-f", join(app, "Procfile")]]) {
      const r = await ctl(["status", ...flag], elsewhere, xdg);
      assert.equal(r.status, 0, r.stderr);
      const rows = r.stdout.trimEnd().split("\n");
      assert.match(
        rows[0],
        /^NAME +TYPE +PID +STATE +PORT +UPTIME +RESTARTS +LAST EXIT +READY$/,
      );
      assert.equal(rows.length, 5);
      assert.match(rows[3], /^once\.1 +once +\d+ +done +5100 +- +0 +0 +no$/);
    }
    await finish(tend, m, app, xdg);
  });
});

describe("logs", () => {
  it("prints the last lines with their prefix, and follows until tend exits", async () => {
    const m = marker();
    const xdg = runtimeDir();
    const app = tempApp({
      Procfile: `web: seq 1 1500; exec sleep 1000 # ${m}\nworker: ${
        counter("worker", 0.05, m)
      }\n`,
    });
    const tend = start(["start"], app, xdg, m);
    await tend.waitFor("web.1    | 1500");
    await running(app, xdg, ["web.1"]); // the socket opens a little later
    const r = await ctl(["logs", "web"], app, xdg);
    assert.equal(r.status, 0, r.stderr);
    // Node has no FFI, and says so first.
    const lines = r.stdout.trimEnd().split("\n").filter((l) => !NO_FFI.test(l));
    assert.match(
      lines[0],
      /^\d\d:\d\d:\d\d system +\| web\.1 started \(pid=\d+\)$/,
    );
    const web = lines.filter((l) => / web\.1 +\| /.test(l));
    assert.equal(web.length, 1000);
    assert.match(web[0], /^\d\d:\d\d:\d\d web\.1 +\| 501$/);
    assert.match(web[999], / web\.1 +\| 1500$/);
    const bare = await ctl(["logs", "--no-prefix", "web.1"], app, xdg);
    assert.equal(bare.stdout.split("\n").filter((l) => l === "1500").length, 1);
    const follow = startTend(["logs", "-F", "worker"], {
      cwd: app,
      env: { XDG_RUNTIME_DIR: xdg },
    });
    await follow.waitFor(/worker\.1 \| worker 5100 \d+\n/);
    const seen = follow.stdout.split("\n").length;
    await sleep(500);
    assert.ok(follow.stdout.split("\n").length > seen + 3, "new lines come");
    tend.kill("SIGTERM");
    const followed = await follow.done;
    assert.equal(followed.status, 0, followed.stderr);
    assert.match(
      followed.stdout,
      /system +\| worker\.1 exited \(signal=SIGTERM\)\n$/,
    );
    const numbers = followed.stdout.split("\n").filter((l) =>
      l.includes("worker.1 |")
    ).map((l) => Number(l.split(" ").at(-1)));
    numbers.forEach((n, i) => i > 0 && assert.equal(n, numbers[i - 1] + 1));
    await finish(tend, m, app, xdg);
  });
});

describe("the socket", () => {
  it("is in a 0700 directory, mode 0600, and gone after every way tend ends", async () => {
    const xdg = runtimeDir();
    const app = tempApp({
      Procfile: "web: exec sleep 1000\nonce: sleep 2\n",
    });
    const uid = process.getuid!();
    for (const how of ["SIGTERM", "SIGINT", "SIGHUP", "exit", "refused"]) {
      const m = marker();
      const types = how === "exit" ? ["once"] : ["web"];
      const tend = start(["start", ...types], app, xdg, m);
      await running(app, xdg, [`${types[0]}.1`]);
      const dir = join(xdg, "tend");
      const names = sockets(xdg);
      assert.deepEqual(names, [names[0]]);
      assert.match(
        names[0],
        new RegExp(`^[0-9a-f]{16}-${tend.child.pid}\\.sock$`),
      );
      const dirStat = statSync(dir);
      assert.equal(dirStat.mode & 0o777, 0o700);
      assert.equal(dirStat.uid, uid);
      const sock = statSync(join(dir, names[0]));
      assert.ok(sock.isSocket());
      assert.equal(sock.mode & 0o777, 0o600);
      if (how === "refused") {
        // A second tend of the same type: its socket comes and goes, the
        // first one's stays.
        const second = await ctl(["start", "web"], app, xdg);
        assert.equal(second.status, 75);
        assert.deepEqual(sockets(xdg), names);
        tend.kill("SIGTERM");
      } else if (how !== "exit") tend.kill(how as NodeJS.Signals);
      await tend.done;
      assert.equal(existsSync(dir), false, `${how}: ${sockets(xdg)}`);
      await assertNoneAlive(m);
    }
    cleanup(app);
    cleanup(xdg);
  });

  it("falls back to TMPDIR/tend-UID without XDG_RUNTIME_DIR", async () => {
    const m = marker();
    const temp = runtimeDir();
    const app = tempApp({ Procfile: `web: exec sleep 1000 # ${m}\n` });
    const env = { XDG_RUNTIME_DIR: undefined, TMPDIR: temp };
    const tend = startTend(["start"], { cwd: app, mark: m, env });
    await tend.waitFor("web.1 started");
    const dir = join(temp, `tend-${process.getuid!()}`);
    let r: Result | undefined;
    for (let i = 0; i < 50 && r?.status !== 0; i++) {
      r = await runTend(["status"], { cwd: app, env });
    }
    assert.equal(r?.status, 0, r?.stderr);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.equal(readdirSync(dir).length, 1);
    tend.kill("SIGTERM");
    await tend.done;
    assert.equal(existsSync(dir), false);
    await assertNoneAlive(m);
    cleanup(app);
    cleanup(temp);
  });

  it("refuses a control directory that others could control, starting nothing", async () => {
    const app = tempApp({ Procfile: "web: exec sleep 1000\n" });
    const cases: [string, (dir: string) => void, RegExp][] = [
      [
        "open",
        (d) => mkdirSync(d, { mode: 0o755 }),
        /open to others \(mode 0755\)/,
      ],
      ["symlink", (d) => {
        mkdirSync(d + "-real", { mode: 0o700 });
        symlinkSync(d + "-real", d);
      }, /is a symlink/],
    ];
    if (process.getuid!() === 0) {
      cases.push(["owner", (d) => {
        mkdirSync(d, { mode: 0o700 });
        chownSync(d, 12345, 12345);
      }, /belongs to uid 12345, not to you \(uid 0\)/]);
    }
    for (const [what, make, message] of cases) {
      const m = marker();
      const xdg = runtimeDir();
      const dir = join(xdg, "tend");
      make(dir);
      const r = await runTend(["start"], {
        cwd: app,
        mark: m,
        env: { XDG_RUNTIME_DIR: xdg },
      });
      assert.equal(r.status, 1, `${what}: ${r.stdout}${r.stderr}`);
      const lines = r.stderr.trimEnd().split("\n");
      assert.equal(lines.length, 1, r.stderr);
      assert.ok(lines[0].startsWith(`tend: ${dir}: the control directory `));
      assert.match(lines[0], message);
      assert.equal(r.stdout, "", "nothing started");
      // The clients refuse it too.
      const s = await ctl(["status"], app, xdg);
      assert.equal(s.status, 1);
      assert.match(s.stderr, message);
      await assertNoneAlive(m);
      rmSync(xdg, { recursive: true, force: true });
    }
    cleanup(app);
  });

  it("a stale socket (tend SIGKILLed) is found by connecting and removed", async () => {
    const xdg = runtimeDir();
    const app = tempApp({ Procfile: "web: exec sleep 1000\n" });
    const m = marker();
    const killed = start(["start"], app, xdg, m);
    await running(app, xdg, ["web.1"]);
    const [stale] = sockets(xdg);
    killed.kill("SIGKILL");
    await killed.done;
    await assertNoneAlive(m, 3000); // its watchdog took the processes along
    assert.deepEqual(sockets(xdg), [stale]);
    const r = await ctl(["status"], app, xdg);
    assert.equal(r.status, 69, r.stderr);
    assert.deepEqual(sockets(xdg), []);
    // Again, and this time a new tend of the same type replaces it.
    const m2 = marker();
    const again = start(["start"], app, xdg, m2);
    await running(app, xdg, ["web.1"]);
    again.kill("SIGKILL");
    await again.done;
    await assertNoneAlive(m2, 3000);
    const m3 = marker();
    const next = start(["start"], app, xdg, m3);
    const s = await running(app, xdg, ["web.1"]);
    assert.equal(s.tends.length, 1);
    assert.equal(s.tends[0].pid, next.child.pid);
    assert.equal(sockets(xdg).length, 1);
    await finish(next, m3, app, xdg);
  });
});

describe("two tends of one app", () => {
  it("started at the same moment: the one that listened later gives way with 75", async () => {
    const xdg = runtimeDir();
    const app = tempApp({ Procfile: "web: exec sleep 1000\n" });
    const marks = [marker(), marker()];
    const tends = marks.map((m) => start(["start"], app, xdg, m));
    const ended = await Promise.race(tends.map((t, i) => t.done.then(() => i)));
    const loser = await tends[ended].done;
    assert.equal(loser.status, 75, loser.stderr);
    assert.match(
      loser.stderr,
      /^tend: web already runs under another tend for this app \(pid \d+;/m,
    );
    await assertNoneAlive(marks[ended]);
    const winner = tends[1 - ended];
    const s = await running(app, xdg, ["web.1"]);
    assert.deepEqual(s.tends.map((t) => t.pid), [winner.child.pid]);
    await finish(winner, marks[1 - ended], app, xdg);
  });

  it("refuses a type that runs already; other types run beside it, reached by every command", async () => {
    const m = marker();
    const xdg = runtimeDir();
    const app = tempApp({
      Procfile: `web: ${counter("web", 0.1, m)}\nworker: ${
        counter("worker", 0.1, m)
      }\n`,
    });
    const first = start(["start", "web"], app, xdg, m);
    await running(app, xdg, ["web.1"]);
    for (const args of [["start", "web"], ["start"]]) {
      const r = await runTend(args, {
        cwd: app,
        mark: m,
        env: { XDG_RUNTIME_DIR: xdg },
      });
      assert.equal(r.status, 75, r.stderr);
      assert.equal(
        r.stderr,
        `tend: web already runs under another tend for this app (pid ${first.child.pid}; see tend status): stop it first, or start other types (tend start TYPE...)\n`,
      );
      assert.equal(r.stdout, "", "nothing started");
    }
    const second = start(["start", "worker"], app, xdg, m);
    const s = await running(app, xdg, ["web.1", "worker.1"]);
    assert.deepEqual(
      s.tends.map((t) => t.pid).sort(),
      [
        first.child.pid,
        second.child.pid,
      ].sort(),
    );
    assert.equal(byName(s, "web.1").tend, first.child.pid);
    assert.equal(byName(s, "worker.1").tend, second.child.pid);
    const table = await ctl(["status"], app, xdg);
    assert.match(table.stdout.split("\n")[0], / +READY +TEND$/);
    const restarted = await ctl(["restart", "worker"], app, xdg);
    assert.equal(restarted.status, 0, restarted.stderr);
    assert.match(restarted.stdout, /^worker\.1 restarted/);
    const stopped = await ctl(["stop", "web"], app, xdg);
    assert.match(stopped.stdout, /^web\.1 stopped/);
    const logs = await ctl(["logs"], app, xdg);
    assert.match(logs.stdout, / web\.1 +\| web 5000 1\n/);
    // Alone in its tend, worker is its first type: PORT 5000 (plan's rule).
    assert.match(logs.stdout, / worker\.1 +\| worker 5000 1\n/);
    assert.match(logs.stdout, / system +\| worker\.1 started/);
    second.kill("SIGTERM");
    await second.done;
    await finish(first, m, app, xdg);
  });
});

/** One raw exchange with a socket: what came back, and how it ended. */
function raw(
  path: string,
  send: (socket: Socket) => void,
  ms = 15_000,
): Promise<{ text: string; ms: number; error?: string }> {
  return new Promise((resolve) => {
    const started = Date.now();
    let text = "";
    let error: string | undefined;
    const socket = connect({ path, allowHalfOpen: true });
    socket.setEncoding("utf8");
    const timer = setTimeout(() => socket.destroy(), ms);
    socket.on("connect", () => send(socket));
    socket.on("data", (d: string) => (text += d));
    socket.on("end", () => socket.end());
    socket.on("error", (e: NodeJS.ErrnoException) => (error = e.code));
    socket.on("close", () => {
      clearTimeout(timer);
      resolve({ text, ms: Date.now() - started, error });
    });
  });
}

function errorCode(text: string): string | undefined {
  try {
    return JSON.parse(text.split("\n")[0]).error?.code;
  } catch {
    return undefined;
  }
}

function rss(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(
    readFileSync(`/proc/${pid}/status`, "utf8"),
  );
  return Number(match![1]) * 1024;
}

describe("clients that misbehave", () => {
  it("a follower that does not read loses lines, and slows nothing", async () => {
    const m = marker();
    const xdg = runtimeDir();
    const app = tempApp({
      Procfile: `web: read go < fifo; seq 1 300000; exec sleep 1000 # ${m}\n`,
    });
    spawnSync("mkfifo", [join(app, "fifo")]);
    const tend = start(["start", "--no-timestamp"], app, xdg, m);
    await running(app, xdg, ["web.1"]);
    const path = join(xdg, "tend", sockets(xdg)[0]);
    const follower = connect({ path });
    let text = "";
    follower.setEncoding("utf8");
    follower.write('{"cmd":"logs","follow":true}\n');
    follower.on("data", (d: string) => (text += d));
    await new Promise<void>((r) => {
      const wait = () =>
        text.includes('{"following":true}') ? r() : setTimeout(wait, 20);
      wait();
    });
    follower.pause();
    const started = Date.now();
    writeFileSync(join(app, "fifo"), "go\n");
    await tend.waitFor(/web\.1 +\| 300000\n/, 20_000);
    const ms = Date.now() - started;
    assert.ok(ms < 10_000, `the flood took ${ms} ms`);
    follower.resume();
    const deadline = Date.now() + 10_000;
    while (!/\{"dropped":\d+\}/.test(text) && Date.now() < deadline) {
      await sleep(50);
    }
    const dropped = Number(/\{"dropped":(\d+)\}/.exec(text)?.[1]);
    assert.ok(dropped > 0, text.slice(-300));
    const got = text.split("\n").filter((l) => l.startsWith('{"name":"web.1"'));
    assert.equal(got.length + dropped, 300000);
    follower.destroy();
    await finish(tend, m, app, xdg);
  });

  it("get an error or a timeout, and change nothing in tend", async () => {
    const m = marker();
    const xdg = runtimeDir();
    const app = tempApp({
      Procfile: `web: ${counter("web", 0.02, m)}\n`,
    });
    const tend = start(["start", "--no-timestamp"], app, xdg, m);
    const before = await running(app, xdg, ["web.1"]);
    const path = join(xdg, "tend", sockets(xdg)[0]);
    const memory = rss(tend.child.pid!);

    const bad = await raw(path, (s) => s.end("{not json\n"));
    assert.equal(errorCode(bad.text), "bad-request", bad.text);
    const unknown = await raw(path, (s) => s.end('{"cmd":"reboot"}\n'));
    assert.equal(errorCode(unknown.text), "unknown-command", unknown.text);
    const version = await raw(path, (s) => s.end('{"v":9,"cmd":"status"}\n'));
    assert.equal(errorCode(version.text), "unsupported-version");

    // 10 MB without a newline: refused at 64 KiB, closed before the rest.
    const big = await raw(path, (s) => {
      const block = new Uint8Array(1 << 20).fill(0x7b);
      let sent = 0;
      const more = () => {
        while (sent < 10 && !s.destroyed) {
          sent++;
          if (!s.write(block)) return void s.once("drain", more);
        }
        if (!s.destroyed) s.end();
      };
      more();
    });
    assert.equal(errorCode(big.text), "too-large", JSON.stringify(big));

    // Connects and says nothing: answered with a timeout after 5 s.
    const idle = await raw(path, () => {});
    assert.equal(errorCode(idle.text), "timeout", idle.text);
    assert.ok(idle.ms >= 4500 && idle.ms < 9000, `${idle.ms} ms`);

    // 100 at once, of every kind.
    const kinds: ((s: Socket) => void)[] = [
      (s) => s.end('{"cmd":"status"}\n'),
      (s) => s.end("]]]\n"),
      (s) => s.end('{"cmd":"stop","target":"nope"}\n'),
      (s) => s.write('{"cmd":"stat'),
      (s) => s.destroy(),
    ];
    const crowd = await Promise.all(
      Array.from({ length: 100 }, (_, i) => raw(path, kinds[i % kinds.length])),
    );
    const codes = new Set([
      "bad-request",
      "unknown-process",
      "timeout",
      "busy",
    ]);
    crowd.forEach((c, i) => {
      if (i % kinds.length === 4) return; // it left at once
      const first = c.text.split("\n")[0];
      assert.ok(
        first.startsWith('{"v":1,"ok":true') || codes.has(errorCode(c.text)!),
        `client ${i}: ${JSON.stringify(c)}`,
      );
      assert.ok(c.ms < 9000, `client ${i} took ${c.ms} ms`);
    });

    // tend is as it was: same process, still printing, nothing said about
    // clients, memory within bounds.
    const after = await status(app, xdg);
    assert.equal(byName(after, "web.1").pid, byName(before, "web.1").pid);
    assert.equal(byName(after, "web.1").restarts, 0);
    const lines = bodyLines(tend.stdout, "web.1").length;
    await sleep(300);
    assert.ok(bodyLines(tend.stdout, "web.1").length > lines, "still printing");
    const grown = rss(tend.child.pid!) - memory;
    assert.ok(grown < 32 << 20, `RSS grew ${grown >> 20} MiB`);
    tend.kill("SIGTERM");
    const r = await tend.done;
    const system = r.stdout.split("\n").filter((l) =>
      l.startsWith("system") && !NO_FFI.test(l)
    );
    assert.deepEqual(system, [
      `system | web.1 started (pid=${byName(before, "web.1").pid})`,
      "system | SIGTERM received",
      "system | sending SIGTERM to all processes",
      "system | web.1 exited (signal=SIGTERM)",
    ]);
    assert.equal(r.stderr, "");
    const numbers = bodyLines(r.stdout, "web.1").map((l) =>
      Number(l.split(" ")[2])
    );
    numbers.forEach((n, i) => assert.equal(n, i + 1));
    await finish(tend, m, app, xdg);
  });
});
