/**
 * Stops that keep their promise: the program, not a wrapper shell, gets
 * the signals and reports its own status; the whole grace period applies;
 * one Ctrl-C through `deno task` or `npm run` is one Ctrl-C; processes
 * that leave their group (setsid, daemons) are stopped too.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { describe, it } from "node:test";
import {
  alive,
  assertNoneAlive,
  cleanup,
  launcher,
  marker,
  ROOT,
  runTend,
  sleep,
  startTend,
  tempApp,
} from "./_helpers.ts";

const TRAP = `trap 'sleep 1; echo bye >> g.log; exit 0' TERM
echo ready
while :; do sleep 0.1; done
`;

describe("the program gets the signals", () => {
  it("reports a program that traps SIGTERM and exits 0 as code=0", async () => {
    const m = marker();
    const app = tempApp({
      "trap.sh":
        "trap 'echo bye; exit 0' TERM\necho ready\nwhile :; do sleep 0.1; done\n",
      Procfile: "a: sh trap.sh\n",
    });
    const tend = startTend(["start", "--no-timestamp"], { mark: m, cwd: app });
    await tend.waitFor("ready");
    tend.kill("SIGTERM");
    const r = await tend.done;
    assert.equal(r.status, 143, r.stdout);
    assert.match(r.stdout, /a\.1 +\| bye\n/);
    assert.match(r.stdout, /a\.1 exited \(code=0\)/);
    await assertNoneAlive(m);
    cleanup(app);
  });

  it("gives a program whose output goes elsewhere its whole -t", async () => {
    const m = marker();
    const app = tempApp({
      "trap.sh": TRAP,
      Procfile: "a: sh trap.sh > /dev/null 2>&1\nb: echo up; exec sleep 1000\n",
    });
    const tend = startTend(["start", "-t", "5"], { mark: m, cwd: app });
    await tend.waitFor("b.1    | up");
    await sleep(300); // trap.sh has set its trap
    const sent = Date.now();
    tend.kill("SIGINT");
    const r = await tend.done;
    const ms = Date.now() - sent;
    assert.equal(r.status, 130, r.stdout);
    assert.equal(readFileSync(join(app, "g.log"), "utf8"), "bye\n");
    assert.match(r.stdout, /a\.1 exited \(code=0\)/);
    assert.doesNotMatch(r.stdout, /SIGKILL/);
    assert.ok(ms >= 900 && ms < 4000, `stopped after ${ms} ms`);
    await assertNoneAlive(m);
    cleanup(app);
  });

  it("keeps stderr merged into stdout in order", async () => {
    const app = tempApp({
      Procfile: "a: echo 1; echo 2 >&2; echo 3; echo 4 >&2\n",
    });
    const r = await runTend(["start", "--no-timestamp"], { cwd: app });
    assert.equal(r.status, 0);
    const lines = r.stdout.split("\n").filter((l) => l.startsWith("a.1"));
    assert.deepEqual(lines.map((l) => l.slice(-1)), ["1", "2", "3", "4"]);
    cleanup(app);
  });
});

describe("processes that leave the group", () => {
  const procfile = (m: string) =>
    [
      // A setsid child that holds the output pipe, and a double-forked
      // daemon in a new session that does not.
      "a: setsid sleep 1000 & echo ready-a; exec sleep 1000",
      "b: setsid sh -c 'sleep 1000 > /dev/null 2>&1 &'; echo ready-b; exec sleep 1000",
      `# ${m}`,
    ].join("\n") + "\n";

  it("are stopped with the rest on SIGINT", async () => {
    const m = marker();
    const app = tempApp({ Procfile: procfile(m) });
    const tend = startTend(["start", "-t", "2"], { mark: m, cwd: app });
    await tend.waitFor("ready-a");
    await tend.waitFor("ready-b");
    // Two sleeps per type, and tend: the strays exist before the stop.
    assert.ok(alive(m).length >= 5, alive(m).join("\n"));
    tend.kill("SIGINT");
    const r = await tend.done;
    assert.equal(r.status, 130, r.stdout);
    assert.match(r.stdout, /that left their group/);
    await assertNoneAlive(m);
    cleanup(app);
  });

  it("are stopped when the last process exits by itself", async () => {
    const m = marker();
    const app = tempApp({
      Procfile:
        "a: setsid sleep 1000 & setsid sh -c 'sleep 1000 > /dev/null 2>&1 &'; echo ready; sleep 0.3\n",
    });
    const r = await runTend(["start", "-t", "2"], { mark: m, cwd: app });
    assert.equal(r.status, 0, r.stdout);
    assert.match(r.stdout, /a\.1 exited \(code=0\)/);
    await assertNoneAlive(m);
    cleanup(app);
  });

  it("are killed by the watchdog when tend itself is SIGKILLed", async () => {
    const m = marker();
    const app = tempApp({ Procfile: procfile(m) });
    const tend = startTend(["start"], { mark: m, cwd: app });
    await tend.waitFor("ready-a");
    await tend.waitFor("ready-b");
    await sleep(100);
    tend.kill("SIGKILL");
    await tend.done;
    await assertNoneAlive(m, 3000);
    cleanup(app);
  });
});

/** Why Ctrl-C cannot be tested through a terminal here, or false. */
function _noTmux(): string | false {
  return spawnSync("tmux", ["-V"]).status === 0
    ? false
    : "tmux is not installed";
}

/** The shell words that start tend with the launcher under test. */
function _tendWords(): string {
  const { file, args } = launcher();
  return [file, ...args].map((w) => `'${w.replaceAll("'", "'\\''")}'`).join(
    " ",
  );
}

/** The task or script: tend as a user would start it. */
function _script(): string {
  return `${_tendWords()} start -t 5`;
}

describe("one Ctrl-C in a terminal", { skip: _noTmux() }, () => {
  const wrappers: [string, (dir: string) => string][] = [
    ["deno task", (dir) => {
      writeFileSync(
        join(dir, "deno.json"),
        JSON.stringify({ tasks: { up: _script() } }),
      );
      const deno = process.env.DENO_BIN ??
        join(ROOT, "node_modules", ".bin", "deno");
      return `'${deno}' task up`;
    }],
    ["npm run", (dir) => {
      writeFileSync(
        join(dir, "package.json"),
        JSON.stringify({ scripts: { up: _script() } }),
      );
      return "npm run --silent up";
    }],
  ];
  for (const [wrapper, command] of wrappers) {
    it(`through ${wrapper} stops gracefully with 130, no SIGKILL`, {
      timeout: 60_000,
    }, async () => {
      const m = marker();
      const app = tempApp({
        Procfile:
          "web: trap 'echo closing; sleep 0.5; echo closed; exit 0' TERM; echo ready; while :; do sleep 0.1; done\n",
      });
      const session = `tend-${m}`;
      const out = join(app, "out.txt");
      const tmux = (...args: string[]) =>
        spawnSync("tmux", ["-L", session, ...args], { encoding: "utf8" });
      // An interactive shell, as a user has: Ctrl-C goes to the job's
      // process group, and the shell lives on to report the status.
      const started = tmux(
        "new-session",
        "-d",
        "-s",
        session,
        "-x",
        "200",
        "-y",
        "50",
        "-c",
        app,
        "-e",
        `TEND_TEST_MARK=${m}`,
        // What the user would see as `$?` after each command, into a
        // file: the prompt comes back even when the job died of SIGINT.
        "-e",
        'PROMPT_COMMAND=echo "status=$?" >> status.txt',
        "bash --norc --noprofile -i",
      );
      assert.equal(started.status, 0, started.stderr);
      tmux(
        "send-keys",
        "-t",
        session,
        `${command(app)} > out.txt 2>&1`,
        "Enter",
      );
      try {
        const read = () => existsSync(out) ? readFileSync(out, "utf8") : "";
        const status = join(app, "status.txt");
        const readStatus = () =>
          existsSync(status) ? readFileSync(status, "utf8") : "";
        const deadline = Date.now() + 30_000;
        while (!read().includes("ready") && Date.now() < deadline) {
          await sleep(50);
        }
        assert.match(read(), /ready/);
        tmux("send-keys", "-t", session, "C-c");
        // One line for the first prompt, one for the command.
        while (readStatus().split("\n").length < 3 && Date.now() < deadline) {
          await sleep(50);
        }
        const text = read();
        assert.equal(readStatus(), "status=0\nstatus=130\n", text);
        assert.match(text, /SIGINT received/);
        assert.match(text, /sending SIGTERM to all processes/);
        assert.match(text, /web\.1 +\| closed/);
        assert.doesNotMatch(text, /SIGKILL/);
        assert.equal(text.match(/SIGINT received/g)?.length, 1, text);
      } finally {
        tmux("kill-server");
      }
      await assertNoneAlive(m);
      cleanup(app);
    });
  }
});
