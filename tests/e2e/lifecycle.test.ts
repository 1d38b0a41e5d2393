/** End-to-end tests of process lifecycle policies: --can-die, --restart, --stop-signal. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  assertNoneAlive,
  bodyLines,
  cleanup,
  marker,
  runTend,
  startTend,
  tempApp,
} from "./_helpers.ts";

describe("--can-die", () => {
  it("lets a one-shot step exit without stopping the others", async () => {
    const m = marker();
    const app = tempApp({
      Procfile:
        `migrate: echo migrating; sleep 0.2; exit 4 # ${m}\nweb: echo serving; exec sleep 1000 # ${m}\n`,
    });
    const tend = startTend(
      ["start", "--no-timestamp", "--can-die", "migrate"],
      { mark: m, cwd: app },
    );
    await tend.waitFor("migrate.1 exited (code=4)");
    await new Promise((r) => setTimeout(r, 300));
    assert.doesNotMatch(tend.stdout, /sending SIGTERM/);
    tend.kill("SIGTERM");
    const r = await tend.done;
    assert.equal(r.status, 143);
    assert.deepEqual(bodyLines(r.stdout, "migrate.1"), ["migrating"]);
    assert.deepEqual(bodyLines(r.stdout, "web.1"), ["serving"]);
    await assertNoneAlive(m);
    cleanup(app);
  });

  it("exits 0 when every process may die and all have ended", async () => {
    const app = tempApp({ Procfile: "a: exit 3\nb: sleep 0.3; exit 5\n" });
    const r = await runTend(["start", "--can-die", "all"], { cwd: app });
    assert.equal(r.status, 0, r.stdout);
    assert.match(r.stdout, /b\.1 exited \(code=5\)/);
    cleanup(app);
  });

  it("exits with the status of a process that may not die", async () => {
    const app = tempApp({
      Procfile: "once: exit 0\nmain: sleep 0.5; exit 6\n",
    });
    const r = await runTend(["start", "--can-die", "once"], { cwd: app });
    assert.equal(r.status, 6);
    cleanup(app);
  });
});

describe("--restart", () => {
  it("restarts with doubling backoff, keeps name and PORT, and stops after --max-restarts", async () => {
    const m = marker();
    const app = tempApp({
      Procfile: [
        `steady: while :; do echo tick; sleep 0.2; done # ${m}`,
        `flaky: echo "run $PS $PORT $(date +%s%N)"; exit 1 # ${m}`,
      ].join("\n"),
    });
    const r = await runTend([
      "start",
      "--no-timestamp",
      "--restart",
      "flaky",
      "--max-restarts",
      "4",
    ], {
      cwd: app,
      timeout: 20_000,
    });
    assert.equal(r.status, 1, r.stdout);
    const runs = bodyLines(r.stdout, "flaky.1");
    assert.equal(runs.length, 5, r.stdout);
    for (const run of runs) assert.match(run, /^run flaky\.1 5100 \d+$/);
    const starts = runs.map((line) => Number(line.split(" ")[3]) / 1e6);
    const gaps = starts.slice(1).map((t, i) => t - starts[i]);
    const delays = [100, 200, 400, 800];
    gaps.forEach((gap, i) => {
      assert.ok(
        gap >= delays[i] - 5 && gap < delays[i] + 400,
        `restart ${i + 1} after ${gap.toFixed(0)} ms`,
      );
    });
    for (const [i, delay] of ["0.1", "0.2", "0.4", "0.8"].entries()) {
      assert.match(
        r.stdout,
        new RegExp(`flaky\\.1 restarting in ${delay} s \\(exit code 1\\)`),
        `restart ${i}`,
      );
    }
    // The steady process kept running and printing all along.
    assert.ok(bodyLines(r.stdout, "steady.1").length >= 5, r.stdout);
    assert.match(r.stdout, /sending SIGTERM to all processes/);
    await assertNoneAlive(m);
    cleanup(app);
  });

  it("exits at once with 130 on Ctrl-C during a backoff wait, leaving nothing", async () => {
    const m = marker();
    const app = tempApp({
      Procfile: `flaky: exit 2 # ${m}\nweb: exec sleep 1000 # ${m}\n`,
    });
    const tend = startTend(["start", "--restart", "flaky"], {
      mark: m,
      cwd: app,
    });
    await tend.waitFor("restarting in 1.6 s");
    const sent = Date.now();
    tend.kill("SIGINT");
    const r = await tend.done;
    assert.equal(r.status, 130);
    assert.ok(Date.now() - sent < 1000, `took ${Date.now() - sent} ms`);
    assert.doesNotMatch(
      r.stdout.slice(r.stdout.indexOf("SIGINT received")),
      /flaky\.1 started/,
    );
    await assertNoneAlive(m);
    cleanup(app);
  });
});

describe("--stop-signal", () => {
  it("sends the type's signal to its process group first", async () => {
    const m = marker();
    const app = tempApp({
      Procfile: [
        `web: trap 'echo got INT; exit 0' INT; echo ready; while :; do sleep 0.05; done # ${m}`,
        `worker: trap 'echo got TERM; exit 0' TERM; echo ready; while :; do sleep 0.05; done # ${m}`,
      ].join("\n"),
    });
    const tend = startTend([
      "start",
      "--no-timestamp",
      "--stop-signal",
      "web=INT",
    ], { mark: m, cwd: app });
    await tend.waitFor(/worker\.1 +\| ready/);
    await tend.waitFor(/web\.1 +\| ready/);
    tend.kill("SIGTERM");
    const r = await tend.done;
    assert.equal(r.status, 143);
    assert.deepEqual(bodyLines(r.stdout, "web.1"), ["ready", "got INT"]);
    // sh reports its foreground sleep killed by the group's SIGTERM.
    const worker = bodyLines(r.stdout, "worker.1").filter((l) =>
      l !== "Terminated"
    );
    assert.deepEqual(worker, ["ready", "got TERM"]);
    assert.match(r.stdout, /sending SIGINT to web\.1 \(pid=\d+\)/);
    await assertNoneAlive(m);
    cleanup(app);
  });

  it("rejects a bad signal (usage, 2) or an unknown type (input, 1)", async () => {
    const app = tempApp({ Procfile: "web: sleep 1\n" });
    const bad = await runTend(["start", "--stop-signal", "web=NOPE"], {
      cwd: app,
    });
    assert.equal(bad.status, 2);
    assert.equal(
      bad.stderr,
      'tend: bad --stop-signal "web=NOPE": expected TYPE=SIGNAL, e.g. web=INT\n',
    );
    const unknown = await runTend(["start", "--restart", "db"], { cwd: app });
    assert.equal(unknown.status, 1);
    assert.equal(
      unknown.stderr,
      'tend: Procfile: unknown process type "db" in --restart (known: web)\n',
    );
    cleanup(app);
  });
});
