/**
 * tend as PID 1, as the entrypoint of a container: simulated with
 * `unshare --pid --fork --mount-proc`, which makes tend the init of a new
 * PID namespace. The kernel drops signals that such an init has no handler
 * for, so these tests prove that tend's handlers make `docker stop`
 * (SIGTERM, then SIGKILL after a grace period) and Ctrl-C work.
 */
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import process from "node:process";
import { afterEach, describe, it } from "node:test";
import {
  alive,
  assertNoneAlive,
  bodyLines,
  cleanup,
  launcher,
  marker,
  sleep,
  tempApp,
} from "./_helpers.ts";

const _UNSHARE = ["--pid", "--fork", "--mount-proc"];

// Where the runtime has FFI (Deno, Bun, the binary) tend adopts and reaps
// orphans as PID 1, and says nothing; on Node it says once, on stderr,
// that it cannot.
const _ADOPTS = launcher().name !== "node";
const _WARNING =
  "tend: note: running as PID 1 without FFI: orphaned processes are not reaped; use `docker run --init`\n";

/** Zombies whose parent is `pid` (seen from outside the namespace). */
function _zombiesOf(pid: number): number {
  let n = 0;
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "latin1");
      const [state, ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (state === "Z" && Number(ppid) === pid) n++;
    } catch { /* gone */ }
  }
  return n;
}

/** Why the PID 1 tests cannot run here, or false when they can. */
function _skipReason(): string | false {
  if (process.platform !== "linux") return "PID namespaces are Linux only";
  try {
    execFileSync("unshare", [..._UNSHARE, "true"], { stdio: "pipe" });
    return false;
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? "").trim();
    return `unshare ${_UNSHARE.join(" ")} is not available here (${
      stderr || (error as Error).message
    }): it needs root or user namespaces`;
  }
}

const _SKIP = _skipReason();

/** Per test: above the hang guard, and above bun's default of 5 s. */
const _TIMEOUT = 30_000;

/** Namespaces still running; afterEach kills them if a test gave up. */
const _open = new Set<_InNamespace>();

/** A command run inside a new PID namespace, with its output collected. */
class _InNamespace {
  readonly child: ChildProcess;
  stdout = "";
  stderr = "";
  readonly done: Promise<{ status: number | null; signal: string | null }>;

  constructor(command: string[], cwd: string, mark: string) {
    const env: Record<string, string> = { TEND_TEST_MARK: mark };
    for (const [k, v] of Object.entries(process.env)) {
      if (v !== undefined && k !== "FORCE_COLOR") env[k] = v;
    }
    this.child = spawn("unshare", [..._UNSHARE, ...command], {
      cwd,
      env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    this.child.stdout!.on("data", (d: Uint8Array) => (this.stdout += d));
    this.child.stderr!.on("data", (d: Uint8Array) => (this.stderr += d));
    _open.add(this);
    this.done = new Promise((resolve) => {
      const guard = setTimeout(() => {
        this.stderr += "\n[test] did not finish within 20 s: killed\n";
        this.kill();
      }, 20_000);
      this.child.once("close", (status, signal) => {
        clearTimeout(guard);
        _open.delete(this);
        resolve({ status, signal });
      });
    });
  }

  /** The host pid of unshare's child, the namespace's PID 1; 0 if none. */
  private _child(): number {
    try {
      const out = execFileSync("ps", [
        "-o",
        "pid=",
        "--ppid",
        `${this.child.pid}`,
      ], {
        encoding: "utf8",
      });
      return Number(out.trim().split(/\s+/)[0]) || 0;
    } catch {
      return 0; // ps exits 1 when there is none
    }
  }

  /** Ends the namespace: SIGKILL to its init kills everything in it. */
  kill(): void {
    for (const pid of [this._child(), this.child.pid ?? 0]) {
      try {
        if (pid > 0) process.kill(pid, "SIGKILL");
      } catch { /* gone */ }
    }
  }

  /** The namespace's PID 1, once unshare has forked it. */
  async init(): Promise<number> {
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const pid = this._child();
      if (pid > 0) return pid;
      await sleep(20);
    }
    throw new Error(`unshare forked no child; stderr:\n${this.stderr}`);
  }

  async waitFor(text: string, ms = 20_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!this.stdout.includes(text)) {
      if (Date.now() > deadline) {
        throw new Error(
          `timed out waiting for ${
            JSON.stringify(text)
          }; stdout:\n${this.stdout}\nstderr:\n${this.stderr}`,
        );
      }
      await sleep(50);
    }
  }
}

function _exists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function _tend(args: string[]): string[] {
  const { file, args: pre } = launcher();
  return [file, ...pre, ...args];
}

describe("tend as PID 1 (unshare --pid --fork)", { skip: _SKIP }, () => {
  afterEach(() => {
    for (const ns of _open) ns.kill();
  });

  it("the namespace's PID 1 ignores SIGTERM without a handler (the premise)", {
    timeout: _TIMEOUT,
  }, async () => {
    const m = marker();
    const app = tempApp();
    const ns = new _InNamespace(["sh", "-c", "sleep 1000; :", m], app, m);
    const init = await ns.init();
    // sh -c installs no handler: as PID 1 the signal is dropped, not fatal.
    await sleep(300);
    process.kill(init, "SIGTERM");
    await sleep(500);
    assert.ok(_exists(init), "the kernel delivered SIGTERM to a bare PID 1");
    process.kill(init, "SIGKILL"); // SIGKILL from the parent always works.
    // (unshare then fails to re-raise SIGKILL on itself and exits 1.)
    await ns.done;
    assert.ok(!_exists(init));
    await assertNoneAlive(m);
    cleanup(app);
  });

  it(
    "stops on SIGTERM within the timeout, exits 143 and leaves nothing",
    { timeout: _TIMEOUT },
    async () => {
      const m = marker();
      const app = tempApp({
        Procfile: [
          `web: echo web-up; while :; do sleep 0.2; done # ${m}`,
          `stubborn: trap '' TERM; echo stubborn-up; while :; do sleep 0.2; done # ${m}`,
        ].join("\n") + "\n",
      });
      const ns = new _InNamespace(
        _tend(["start", "--no-timestamp", "-t", "1"]),
        app,
        m,
      );
      const init = await ns.init();
      await ns.waitFor("web-up");
      await ns.waitFor("stubborn-up");
      const stopped = Date.now();
      process.kill(init, "SIGTERM");
      const r = await ns.done;
      const ms = Date.now() - stopped;
      assert.equal(
        r.status,
        143,
        `stdout:\n${ns.stdout}\nstderr:\n${ns.stderr}`,
      );
      assert.equal(ns.stderr, _ADOPTS ? "" : _WARNING);
      assert.deepEqual(bodyLines(ns.stdout, "web.1"), ["web-up"]);
      assert.match(ns.stdout, /\| SIGTERM received\n/);
      assert.match(
        ns.stdout,
        /\| sending SIGKILL to stubborn\.1 \(pid=\d+\)\n/,
      );
      assert.match(ns.stdout, /\| stubborn\.1 exited \(signal=SIGKILL\)\n/);
      // It waited for the 1 s timeout before SIGKILL, and not much longer
      // (a generous bound: this only catches a hang).
      assert.ok(ms >= 900, `stopped after ${ms} ms, before the timeout`);
      assert.ok(ms < 15_000, `stopped after ${ms} ms`);
      assert.ok(!_exists(init), "tend is gone");
      await assertNoneAlive(m);
      assert.deepEqual(alive(m), []);
      cleanup(app);
    },
  );

  it("stops on SIGINT (Ctrl-C of docker run -it) and exits 130", {
    timeout: _TIMEOUT,
  }, async () => {
    const m = marker();
    const app = tempApp({
      Procfile: `web: echo web-up; while :; do sleep 0.2; done # ${m}\n`,
    });
    const ns = new _InNamespace(_tend(["start", "--no-timestamp"]), app, m);
    const init = await ns.init();
    await ns.waitFor("web-up");
    process.kill(init, "SIGINT");
    const r = await ns.done;
    assert.equal(r.status, 130, `stdout:\n${ns.stdout}\nstderr:\n${ns.stderr}`);
    assert.equal(ns.stderr, _ADOPTS ? "" : _WARNING);
    assert.match(ns.stdout, /\| SIGINT received\n/);
    assert.match(ns.stdout, /\| web\.1 exited \(signal=SIGTERM\)\n/);
    await assertNoneAlive(m);
    cleanup(app);
  });

  it("reaps what a workload orphans: 100 orphans leave no zombie 1 s later", {
    timeout: _TIMEOUT,
    skip: _ADOPTS ? false : "needs FFI (not on Node)",
  }, async () => {
    const m = marker();
    const app = tempApp({
      Procfile:
        `orphans: for i in $(seq 100); do (sleep 0.2 &); done; echo spawned; exec sleep 1000\n`,
    });
    const ns = new _InNamespace(_tend(["start", "--no-timestamp"]), app, m);
    const init = await ns.init();
    await ns.waitFor("spawned");
    // The sleeps end 0.2 s after they started; 1 s later none is a zombie.
    await sleep(1200);
    assert.equal(_zombiesOf(init), 0, "zombies left under tend as PID 1");
    process.kill(init, "SIGTERM");
    const r = await ns.done;
    assert.equal(r.status, 143, `stdout:\n${ns.stdout}\nstderr:\n${ns.stderr}`);
    await assertNoneAlive(m);
    cleanup(app);
  });
});
