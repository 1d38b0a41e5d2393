/**
 * A release phase, start order and readiness, end to end: what runs
 * first, what waits for what, what a user sees, and the exit statuses.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import {
  assertNoneAlive,
  cleanup,
  marker,
  runTend,
  sleep,
  startTend,
  tempApp,
} from "./_helpers.ts";

/** tend's own lines, without time and prefix. */
function system(stdout: string): string[] {
  return stdout.split("\n").filter((l) => /(^| )system +\| /.test(l)).map((
    l,
  ) => l.replace(/^(.*? )?system +\| /, "").replace(/pid=\d+/, "pid"));
}

/** A port unlikely to be taken, so tests do not collide with anything. */
function port(): number {
  return 20_000 + Math.floor(Math.random() * 30_000);
}

// A server that listens on $PORT after a delay, and a client that
// connects to $WEB_PORT once at start-up and fails if it cannot.
const SERVER = `import os, socket, sys, time
time.sleep(float(sys.argv[1]))
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(os.environ["PORT"])))
s.listen(5)
print("listening", flush=True)
while True:
    c, _ = s.accept()
    c.sendall(b"HTTP/1.0 204 No Content\\r\\n\\r\\n")
    c.close()
`;
const CLIENT = `import os, socket, sys
try:
    socket.create_connection(("127.0.0.1", int(os.environ["WEB_PORT"])), timeout=2).close()
    print("connected", flush=True)
except OSError as e:
    print("refused", flush=True)
    sys.exit(1)
`;

const _PYTHON = spawnSync("python3", ["-c", "pass"]).status === 0
  ? false
  : "python3 is not installed";

describe("the release phase", () => {
  it("runs release first, alone, once, then the rest with web on the base port", async () => {
    const m = marker();
    const app = tempApp({
      Procfile: [
        "release: echo migrating $PORT $PS; sleep 0.3",
        "web: echo web $PORT; exec sleep 1000",
        "worker: echo worker $PORT; exec sleep 1000",
      ].join("\n") + "\n",
    });
    const tend = startTend(["start", "--no-timestamp"], { mark: m, cwd: app });
    await tend.waitFor(/worker\.1 +\| worker/);
    tend.kill("SIGINT");
    const r = await tend.done;
    assert.equal(r.status, 130, r.stdout);
    const lines = system(r.stdout);
    assert.deepEqual(lines.slice(0, 6), [
      "web.1 waiting for release",
      "worker.1 waiting for release",
      "release.1 started (pid)",
      "release.1 exited (code=0)",
      "web.1 started (pid)",
      "worker.1 started (pid)",
    ]);
    assert.match(r.stdout, /release\.1 \| migrating 5000 release\.1\n/);
    assert.match(r.stdout, /web\.1 +\| web 5000\n/);
    assert.match(r.stdout, /worker\.1 +\| worker 5100\n/);
    await assertNoneAlive(m);
    cleanup(app);
  });

  it("starts nothing else when release fails, and exits with its status", async () => {
    const m = marker();
    const app = tempApp({
      Procfile:
        `release: echo failing; exit 3\nweb: echo web; exec sleep 1000\n`,
    });
    const r = await runTend(["start", "--no-timestamp"], { mark: m, cwd: app });
    assert.equal(r.status, 3, r.stdout);
    assert.doesNotMatch(r.stdout, /web\.1 started/);
    assert.match(r.stdout, /release\.1 exited \(code=3\)/);
    await assertNoneAlive(m);
    cleanup(app);
  });

  it("is skipped with --no-release or -c release=0, and never restarted", async () => {
    const app = tempApp({
      Procfile: "release: echo migrating\nweb: echo web $PORT\n",
    });
    for (const args of [["--no-release"], ["-c", "release=0"]]) {
      const r = await runTend(["start", "--no-timestamp", ...args], {
        cwd: app,
      });
      assert.equal(r.status, 0, r.stdout);
      assert.doesNotMatch(r.stdout, /migrating/);
      assert.match(r.stdout, /web\.1 +\| web 5000/);
    }
    const again = await runTend(
      ["start", "--no-timestamp", "--restart", "all", "--max-restarts", "1"],
      { cwd: app },
    );
    assert.equal(again.stdout.match(/\| migrating/g)?.length, 1, again.stdout);
    cleanup(app);
  });

  it("runs with tend run release, and check knows it runs once", async () => {
    const app = tempApp({
      Procfile: "release: echo migrating on $PORT as $PS\nweb: serve\n",
    });
    const r = await runTend(["run", "release"], { cwd: app });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "migrating on 5000 as release.1\n");
    const check = await runTend(["check", "-c", "release=2"], { cwd: app });
    assert.equal(check.status, 1);
    assert.equal(
      check.stderr,
      'tend: Procfile: "release" runs once, before the others: its count is 0 or 1\n',
    );
    cleanup(app);
  });
});

describe("start order and readiness", { skip: _PYTHON }, () => {
  it("a worker that connects to web at start-up succeeds only with --after and --ready", async () => {
    const m = marker();
    const p = port();
    const app = tempApp({
      "server.py": SERVER,
      "client.py": CLIENT,
      Procfile:
        `web: exec python3 server.py 0.8\nworker: WEB_PORT=${p} python3 client.py && exec sleep 1000\n`,
    });
    const bare = await runTend(["start", "--no-timestamp", "-p", `${p}`], {
      mark: m,
      cwd: app,
    });
    assert.equal(bare.status, 1, bare.stdout);
    assert.match(bare.stdout, /worker\.1 +\| refused/);
    const tend = startTend([
      "start",
      "--no-timestamp",
      "-p",
      `${p}`,
      "--after",
      "worker=web",
      "--ready",
      "web=tcp",
    ], { mark: m, cwd: app });
    await tend.waitFor("worker.1 | connected");
    tend.kill("SIGTERM");
    const r = await tend.done;
    assert.equal(r.status, 143, r.stdout);
    const lines = system(r.stdout);
    assert.equal(lines[0], "worker.1 waiting for web");
    assert.match(
      lines[2],
      new RegExp(`^web\\.1 ready \\(tcp :${p} after \\d\\.\\d s\\)$`),
    );
    assert.equal(lines[3], "worker.1 started (pid)");
    // Dependents stop first, then what they depend on.
    assert.deepEqual(lines.slice(-4), [
      "sending SIGTERM to worker.1 (pid)",
      "worker.1 exited (signal=SIGTERM)",
      "sending SIGTERM to web.1 (pid)",
      "web.1 exited (signal=SIGTERM)",
    ]);
    await assertNoneAlive(m);
    cleanup(app);
  });

  it("reads the order and probes from #tend lines: http and log probes", async () => {
    const m = marker();
    const p = port();
    const app = tempApp({
      "server.py": SERVER,
      Procfile: [
        "web: exec python3 server.py 0.5",
        "slow: sleep 0.3; echo now serving; exec sleep 1000",
        "worker: echo worker up; exec sleep 1000",
        "#tend web ready=http:/",
        '#tend slow ready="log:now serving"',
        "#tend worker after=web,slow",
      ].join("\n") + "\n",
    });
    const tend = startTend(["start", "--no-timestamp", "-p", `${p}`], {
      mark: m,
      cwd: app,
    });
    await tend.waitFor("worker.1 | worker up");
    tend.kill("SIGINT");
    const r = await tend.done;
    assert.equal(r.status, 130, r.stdout);
    const lines = system(r.stdout);
    const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
    assert.ok(at(/^web\.1 ready \(http :\d+\/ after/) !== -1, r.stdout);
    assert.ok(
      at(/^slow\.1 ready \(log \/now serving\/ after/) !== -1,
      r.stdout,
    );
    assert.ok(at(/^worker\.1 started/) > at(/^web\.1 ready/));
    assert.ok(at(/^worker\.1 started/) > at(/^slow\.1 ready/));
    await assertNoneAlive(m);
    cleanup(app);
  });

  it("stops at once with 130 on Ctrl-C while waiting for a probe", async () => {
    const m = marker();
    const app = tempApp({
      Procfile: "web: exec sleep 1000\nworker: exec sleep 1000\n",
    });
    const tend = startTend([
      "start",
      "--no-timestamp",
      "-p",
      `${port()}`,
      "--after",
      "worker=web",
      "--ready",
      "web=tcp",
    ], { mark: m, cwd: app });
    await tend.waitFor("web.1 started");
    await sleep(300);
    const sent = Date.now();
    tend.kill("SIGINT");
    const r = await tend.done;
    assert.equal(r.status, 130, r.stdout);
    assert.ok(Date.now() - sent < 2000, `took ${Date.now() - sent} ms`);
    assert.doesNotMatch(r.stdout, /worker\.1 started/);
    await assertNoneAlive(m);
    cleanup(app);
  });

  it("stops everything with 1 when a probe does not pass in time", async () => {
    const m = marker();
    const p = port();
    const app = tempApp({ Procfile: "web: exec sleep 1000\n" });
    const r = await runTend([
      "start",
      "--no-timestamp",
      "-p",
      `${p}`,
      "--ready",
      "web=tcp",
      "--ready-timeout",
      "0.5",
    ], { mark: m, cwd: app });
    assert.equal(r.status, 1, r.stdout);
    assert.match(
      r.stdout,
      new RegExp(`web\\.1 not ready in time \\(tcp :${p}\\): stopping`),
    );
    await assertNoneAlive(m);
    cleanup(app);
  });

  it("with --restart, a dependency that restarts leaves its dependents running", async () => {
    const m = marker();
    const app = tempApp({
      Procfile:
        "web: echo web up; sleep 0.3; exit 1\nworker: echo worker up; exec sleep 1000\n",
    });
    const tend = startTend([
      "start",
      "--no-timestamp",
      "--after",
      "worker=web",
      "--restart",
      "web",
    ], { mark: m, cwd: app });
    await tend.waitFor(/web\.1 restarting[^]*web\.1 restarting/);
    tend.kill("SIGINT");
    const r = await tend.done;
    assert.equal(r.status, 130, r.stdout);
    assert.equal(r.stdout.match(/worker\.1 started/g)?.length, 1, r.stdout);
    await assertNoneAlive(m);
    cleanup(app);
  });
});

describe("tend check and the start order", () => {
  it("reports a cycle, an unknown type, key or probe at its place", async () => {
    const app = tempApp({
      Procfile: [
        "web: serve",
        "worker: work",
        "#tend web after=worker",
        "#tend worker after=web",
        "#tend db ready=tcp",
        "#tend web color=red",
        "#tend worker ready=ping",
      ].join("\n") + "\n",
    });
    const r = await runTend(["check"], { cwd: app });
    assert.equal(r.status, 1);
    assert.equal(
      r.stderr,
      [
        'tend: Procfile:5:10: unknown process type "db" in "#tend" (known: web, worker)',
        'tend: Procfile:6:11: unknown setting "color" (settings: ready, after)',
        'tend: Procfile:7:14: unknown probe "ping" (probes: tcp, tcp:[HOST:]PORT, http:PATH, exec:CMD, log:REGEX)',
        "tend: Procfile:3:11: start order has a cycle: web -> worker -> web",
        "",
      ].join("\n"),
    );
    const flags = await runTend(["check", "--after", "worker=nope"], {
      cwd: tempApp({ Procfile: "worker: work\n" }),
    });
    assert.equal(flags.status, 1);
    assert.match(flags.stderr, /unknown process type "nope" in --after/);
    cleanup(app);
  });

  it("#tend lines are comments to foreman's own parser", {
    skip: spawnSync("foreman", ["version"]).status === 0
      ? false
      : "foreman is not installed",
  }, () => {
    const app = tempApp({
      Procfile:
        "web: serve\n#tend web ready=http:/health\n#tend worker after=web\nworker: work\n",
    });
    const r = spawnSync("foreman", ["check"], { cwd: app, encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /valid procfile detected \(web, worker\)/);
    cleanup(app);
  });
});
