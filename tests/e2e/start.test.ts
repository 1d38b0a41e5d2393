/** End-to-end tests of `tend start`: the real CLI on small Procfiles. */
import assert from "node:assert/strict";
import { SIGNAL_WINDOW } from "../../src/policy.ts";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import {
  assertNoneAlive,
  bodyLines,
  cleanup,
  marker,
  runTend,
  sleep,
  startTend,
  tempApp,
} from "./_helpers.ts";

/** tend's own lines, without the time. */
function systemLines(stdout: string): string[] {
  return stdout.split("\n").filter((l) => /(^| )system +\| /.test(l)).map((l) =>
    l.replace(/^(.*? )?system +\| /, "")
  );
}

describe("tend start", () => {
  it("runs every type with PORT, PS and .env, prefixes output, and exits with the first status", async () => {
    const m = marker();
    const app = tempApp({
      Procfile: [
        `web: echo "web $PORT $PS $GREETING"; sleep 0.5; echo bye; exit 3 # ${m}`,
        `worker: echo "worker $PORT $PS"; echo to-stderr >&2; exec sleep 1000 # ${m}`,
      ].join("\n"),
      ".env": "GREETING='hello world'\n",
    });
    const r = await runTend(["start", "--no-timestamp"], { mark: m, cwd: app });
    assert.equal(r.status, 3, r.stderr);
    assert.deepEqual(bodyLines(r.stdout, "web.1"), [
      "web 5000 web.1 hello world",
      "bye",
    ]);
    assert.deepEqual(bodyLines(r.stdout, "worker.1"), [
      "worker 5100 worker.1",
      "to-stderr",
    ]);
    const sys = systemLines(r.stdout);
    assert.match(sys[0], /^web\.1 started \(pid=\d+\)$/);
    assert.match(sys[1], /^worker\.1 started \(pid=\d+\)$/);
    assert.deepEqual(sys.slice(2), [
      "web.1 exited (code=3)",
      "sending SIGTERM to all processes",
      "worker.1 exited (signal=SIGTERM)",
    ]);
    // Names are padded to the longest one ("worker.1" and "system").
    assert.ok(r.stdout.includes("web.1    | bye\n"), r.stdout);
    assert.equal(r.stderr, "");
    await assertNoneAlive(m);
    cleanup(app);
  });

  it("prints HH:MM:SS before the name by default", async () => {
    const app = tempApp({ Procfile: "a: echo hi\n" });
    const r = await runTend(["start"], { cwd: app });
    assert.equal(r.status, 0);
    assert.match(r.stdout, /^\d\d:\d\d:\d\d a\.1 {4}\| hi$/m);
    cleanup(app);
  });

  for (
    const [signal, status] of [["SIGINT", 130], ["SIGTERM", 143], [
      "SIGHUP",
      129,
    ]] as const
  ) {
    it(`stops every process group on ${signal} and exits ${status}`, async () => {
      const m = marker();
      const app = tempApp({
        Procfile: `a: sleep 1000 # ${m}\nb: sh -c 'sleep 1000 & wait' # ${m}\n`,
      });
      const tend = startTend(["start"], { mark: m, cwd: app });
      await tend.waitFor("b.1 started");
      await sleep(200);
      tend.kill(signal);
      const r = await tend.done;
      assert.equal(r.status, status, r.stdout + r.stderr);
      assert.match(r.stdout, new RegExp(`${signal} received`));
      assert.match(r.stdout, /sending SIGTERM to all processes/);
      assert.ok(r.ms < 5000, `took ${r.ms} ms`);
      await assertNoneAlive(m);
      cleanup(app);
    });
  }

  it("lets a program under the shell finish its graceful shutdown", async () => {
    const m = marker();
    // The Procfile's shell dies at once on SIGTERM; the program it started
    // must still get to print its last words, not be SIGKILLed with it.
    const app = tempApp({
      Procfile:
        `web: sh -c 'trap "sleep 0.3; echo graceful; exit 0" TERM; echo up; while :; do sleep 0.05; done' # ${m}\n`,
    });
    const tend = startTend(["start", "--no-timestamp"], { mark: m, cwd: app });
    await tend.waitFor(/web\.1 +\| up/);
    tend.kill("SIGTERM");
    const r = await tend.done;
    assert.equal(r.status, 143);
    assert.deepEqual(
      bodyLines(r.stdout, "web.1").filter((l) => l !== "Terminated"),
      ["up", "graceful"],
    );
    assert.doesNotMatch(r.stdout, /SIGKILL/);
    await assertNoneAlive(m);
    cleanup(app);
  });

  it("SIGKILLs a child that ignores SIGTERM after the timeout", async () => {
    const m = marker();
    const app = tempApp({
      Procfile:
        `stubborn: trap '' TERM; echo ready; while :; do sleep 0.1; done # ${m}\n`,
    });
    const tend = startTend(["start", "-t", "1"], { mark: m, cwd: app });
    await tend.waitFor("ready");
    const sent = Date.now();
    tend.kill("SIGTERM");
    const r = await tend.done;
    const took = Date.now() - sent;
    assert.equal(r.status, 143);
    assert.match(r.stdout, /sending SIGKILL to stubborn\.1 \(pid=\d+\)/);
    assert.match(r.stdout, /stubborn\.1 exited \(signal=SIGKILL\)/);
    assert.ok(
      took >= 950 && took < 4000,
      `stopped after ${took} ms, expected about 1000`,
    );
    await assertNoneAlive(m);
    cleanup(app);
  });

  it("kills at once on a second SIGINT, one that comes after the first's window", async () => {
    const m = marker();
    const app = tempApp({
      Procfile:
        `stubborn: trap '' TERM INT; echo ready; while :; do sleep 0.1; done # ${m}\n`,
    });
    const tend = startTend(["start", "-t", "30"], { mark: m, cwd: app });
    await tend.waitFor("ready");
    tend.kill("SIGINT");
    await tend.waitFor("sending SIGTERM");
    // Within SIGNAL_WINDOW a second signal is the same Ctrl-C (a wrapper's copy).
    tend.kill("SIGINT");
    await sleep(SIGNAL_WINDOW + 200);
    assert.doesNotMatch(tend.stdout, /SIGKILL/);
    const second = Date.now();
    tend.kill("SIGINT");
    const r = await tend.done;
    assert.equal(r.status, 130);
    assert.ok(Date.now() - second < 3000, "second SIGINT did not kill at once");
    assert.match(r.stdout, /sending SIGKILL to stubborn\.1/);
    await assertNoneAlive(m);
    cleanup(app);
  });

  it("reports a signal that killed the first process as 128+n", async () => {
    const app = tempApp({ Procfile: "a: kill -KILL $$\nb: sleep 1000\n" });
    const r = await runTend(["start"], { cwd: app });
    assert.equal(r.status, 137);
    assert.match(r.stdout, /a\.1 exited \(signal=SIGKILL\)/);
    cleanup(app);
  });

  it("prints a final line that has no newline, and output from after the exit", async () => {
    const app = tempApp({ Procfile: "a: printf 'one\\ntwo'\n" });
    const r = await runTend(["start", "--no-timestamp"], { cwd: app });
    assert.deepEqual(bodyLines(r.stdout, "a.1"), ["one", "two"]);
    assert.ok(
      r.stdout.indexOf("a.1    | two") < r.stdout.indexOf("a.1 exited"),
    );
    cleanup(app);
  });

  it("runs only the types named, in that order, with their ports", async () => {
    const app = tempApp({
      Procfile:
        "a: echo a $PORT; sleep 1\nb: echo b $PORT\nc: echo c $PORT; sleep 1\n",
    });
    const r = await runTend(["start", "--no-timestamp", "c", "a"], {
      cwd: app,
    });
    assert.deepEqual(bodyLines(r.stdout, "c.1"), ["c 5000"]);
    assert.deepEqual(bodyLines(r.stdout, "a.1"), ["a 5100"]);
    assert.doesNotMatch(r.stdout, /b\.1/);
    cleanup(app);
  });

  it("runs -c/-m instances with consecutive ports from -p", async () => {
    const app = tempApp({
      Procfile: "w: echo $PS $PORT; sleep 0.3\nx: echo $PS $PORT; sleep 0.3\n",
    });
    for (const flag of ["-c", "-m", "--concurrency", "--formation"]) {
      const r = await runTend([
        "start",
        "--no-timestamp",
        flag,
        "w=2,x=2",
        "-p",
        "7000",
      ], { cwd: app });
      const lines = ["w.1", "w.2", "x.1", "x.2"].flatMap((n) =>
        bodyLines(r.stdout, n)
      ).sort();
      assert.deepEqual(
        lines,
        ["w.1 7000", "w.2 7001", "x.1 7100", "x.2 7101"],
        flag,
      );
    }
    cleanup(app);
  });

  it("takes the base port from -p, else PORT from the environment, else .env, else 5000", async () => {
    const app = tempApp({ Procfile: "a: echo $PORT\n", ".env": "PORT=6000\n" });
    const port = async (
      args: string[],
      env: Record<string, string | undefined> = {},
    ) =>
      bodyLines(
        (await runTend(["start", ...args], {
          cwd: app,
          env: { PORT: undefined, ...env },
        })).stdout,
        "a.1",
      )[0];
    assert.equal(await port(["-p", "9000"], { PORT: "8000" }), "9000");
    assert.equal(await port([], { PORT: "8000" }), "8000");
    assert.equal(await port([]), "6000");
    assert.equal(await port(["-e", "/dev/null"]), "5000");
    cleanup(app);
  });

  it("accepts flags before the subcommand, and PROCFILE from the env file", async () => {
    const app = tempApp({
      "Procfile.dev": "dev: echo dev\n",
      ".env": "PROCFILE=Procfile.dev\n",
    });
    const r = await runTend(["--no-timestamp", "start"], { cwd: app });
    assert.deepEqual(bodyLines(r.stdout, "dev.1"), ["dev"]);
    const other = tempApp({ "P2": "p: echo p2\n" });
    const r2 = await runTend(["-f", `${other}/P2`, "start"], { cwd: app });
    assert.equal(r2.status, 0, r2.stderr);
    assert.deepEqual(bodyLines(r2.stdout, "p.1"), ["p2"]);
    cleanup(app);
    cleanup(other);
  });

  it("prints bare lines with --no-prefix and hides quiet types' output", async () => {
    const app = tempApp({
      Procfile: "a: echo from-a; sleep 0.3\nb: echo from-b; sleep 0.3\n",
    });
    const r = await runTend(["start", "--no-prefix", "-q", "b"], { cwd: app });
    const lines = r.stdout.split("\n");
    assert.ok(lines.includes("from-a"), r.stdout);
    assert.ok(!r.stdout.includes("from-b"), r.stdout);
    cleanup(app);
  });

  it("colours prefixes with FORCE_COLOR and not with --no-color", async () => {
    const app = tempApp({ Procfile: "a: echo x\n" });
    const colored = await runTend(["start", "--no-timestamp"], {
      cwd: app,
      env: { FORCE_COLOR: "1" },
    });
    assert.ok(
      colored.stdout.includes("\x1b[36ma.1    | \x1b[0mx\n"),
      JSON.stringify(colored.stdout),
    );
    for (const flag of ["--no-color", "--no-colour"]) {
      const plain = await runTend(["start", flag], {
        cwd: app,
        env: { FORCE_COLOR: "1" },
      });
      assert.ok(!plain.stdout.includes("\x1b["), flag);
    }
    cleanup(app);
  });

  it("kills a background grandchild when its process exits", async () => {
    const m = marker();
    const app = tempApp({
      Procfile: `a: sleep 1000 & echo forked # ${m}\nb: sleep 0.5\n`,
    });
    const r = await runTend(["start"], { mark: m, cwd: app });
    assert.match(r.stdout, /forked/);
    await assertNoneAlive(m);
    cleanup(app);
  });

  it("uses no CPU while its processes are idle", async () => {
    const m = marker();
    const app = tempApp({
      Procfile: `a: sleep 1000 # ${m}\nb: sleep 1000 # ${m}\n`,
    });
    const tend = startTend(["start"], { mark: m, cwd: app });
    await tend.waitFor("b.1 started");
    await sleep(500);
    const ticks = () => {
      const stat = readFileSync(`/proc/${tend.child.pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      return Number(fields[11]) + Number(fields[12]);
    };
    const before = ticks();
    await sleep(2000);
    const used = ticks() - before;
    tend.kill("SIGTERM");
    await tend.done;
    // A poller at 10 Hz would burn several ticks in 2 s; allow a little noise.
    assert.ok(used <= 3, `tend used ${used} clock ticks of CPU while idle`);
    await assertNoneAlive(m);
    cleanup(app);
  });
});
