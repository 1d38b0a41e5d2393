/** End-to-end tests of `tend run`, `tend check` and `tend env`. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { cleanup, runTend, tempApp } from "./_helpers.ts";

describe("tend run", () => {
  it("runs one argument through sh -c with the env files and PORT", async () => {
    const app = tempApp({ ".env": "A=from-env\nB='two words'\n" });
    const r = await runTend(["run", 'echo "$A|$B|$PORT"'], {
      cwd: app,
      env: { PORT: undefined },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "from-env|two words|5000\n");
    cleanup(app);
  });

  it("runs several arguments as an exact argument vector, also after --", async () => {
    const app = tempApp();
    for (const args of [["run"], ["run", "--"]]) {
      const r = await runTend([...args, "printf", "%s|", "a b", "$HOME", "*"], {
        cwd: app,
      });
      assert.equal(r.stdout, "a b|$HOME|*|", args.join(" "));
    }
    cleanup(app);
  });

  it("passes the command's flags through untouched", async () => {
    const app = tempApp();
    const r = await runTend(["run", "sh", "-c", "echo $0 $1", "-f", "-x"], {
      cwd: app,
    });
    assert.equal(r.stdout, "-f -x\n");
    cleanup(app);
  });

  it("exits with the command's status, 128+n for a signal, 127 when not found", async () => {
    const app = tempApp();
    assert.equal((await runTend(["run", "exit 3"], { cwd: app })).status, 3);
    assert.equal(
      (await runTend(["run", "kill -TERM $$"], { cwd: app })).status,
      143,
    );
    const missing = await runTend(["run", "--", "no-such-command-tend"], {
      cwd: app,
    });
    assert.equal(missing.status, 127);
    assert.equal(
      missing.stderr,
      "tend: command not found: no-such-command-tend\n",
    );
    cleanup(app);
  });

  it("gives the command tend's stdin", async () => {
    const app = tempApp();
    const r = await runTend(["run", "--", "cat"], {
      cwd: app,
      input: "typed\n",
    });
    assert.equal(r.stdout, "typed\n");
    cleanup(app);
  });

  it("loads -e files in order, later winning, and the process env over both", async () => {
    const app = tempApp({
      ".env": "A=1\nB=1\nC=1\n",
      ".env.local": "B=2\nC=2\n",
    });
    const env = { C: "process" };
    const r = await runTend(["-e", ".env,.env.local", "run", "echo $A$B $C"], {
      cwd: app,
      env,
    });
    assert.equal(r.stdout, "12 process\n");
    const o = await runTend([
      "run",
      "--override",
      "-e",
      ".env,.env.local",
      "echo $C",
    ], { cwd: app, env });
    assert.equal(o.stdout, "2\n");
    cleanup(app);
  });

  it("forwards SIGTERM to the command", async () => {
    const app = tempApp();
    const { startTend } = await import("./_helpers.ts");
    const tend = startTend([
      "run",
      "trap 'echo got-term; exit 7' TERM; echo ready; while :; do sleep 0.05; done",
    ], {
      cwd: app,
    });
    await tend.waitFor("ready");
    tend.kill("SIGTERM");
    const r = await tend.done;
    assert.equal(r.stdout, "ready\ngot-term\n");
    assert.equal(r.status, 7);
    cleanup(app);
  });
});

describe("tend check", () => {
  it("says the Procfile is valid, on stderr, naming the types", async () => {
    const app = tempApp({ Procfile: "web: serve\nworker: work\n" });
    const r = await runTend(["check"], { cwd: app });
    assert.equal(r.status, 0);
    assert.equal(r.stderr, "Valid procfile detected (web, worker)\n");
    assert.equal(r.stdout, "");
    cleanup(app);
  });

  it("lists every problem of the Procfile, env files and required keys, and exits 1", async () => {
    const app = tempApp({
      Procfile: "web: serve\nweb : x\nworker:\n",
      ".env": 'A=1\nB="open\n',
      ".env.example": "A=\nSECRET_KEY=\nDATABASE_URL\n",
    });
    const r = await runTend(["check"], {
      cwd: app,
      env: { SECRET_KEY: undefined, DATABASE_URL: undefined },
    });
    assert.equal(r.status, 1);
    assert.deepEqual(r.stderr.trimEnd().split("\n"), [
      'tend: .env:2:3: unterminated double-quoted value for "B"',
      'tend: Procfile:2:4: space before ":" in process type "web "',
      'tend: Procfile:3: empty command for "worker"',
      "tend: .env.example: required variables not set: A, SECRET_KEY, DATABASE_URL (not loaded because of errors: .env; or skip this check with --no-example)",
    ]);
    cleanup(app);
  });
});

describe("tend env", () => {
  it("prints the resolved environment as .env text, masking secrets", async () => {
    const app = tempApp({ ".env": "API_TOKEN=abc\nNAME='a b'\nPLAIN=x\n" });
    const r = await runTend(["env"], {
      cwd: app,
      env: { TEND_TEST_PASSWORD: "hunter2" },
    });
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.split("\n");
    assert.ok(lines.includes("API_TOKEN=********"), r.stdout);
    assert.ok(lines.includes("NAME=a b"));
    assert.ok(lines.includes("PLAIN=x"));
    // The shell's own variables only with --all, masked the same way.
    assert.ok(!r.stdout.includes("TEND_TEST_PASSWORD"));
    const all = await runTend(["env", "--all"], {
      cwd: app,
      env: { TEND_TEST_PASSWORD: "hunter2" },
    });
    assert.ok(all.stdout.split("\n").includes("TEND_TEST_PASSWORD=********"));
    const shown = await runTend(["env", "--show-secrets"], { cwd: app });
    assert.ok(shown.stdout.split("\n").includes("API_TOKEN=abc"));
    cleanup(app);
  });
});

describe("required variables", () => {
  it("start and run exit 1 before starting anything when .env.example keys are missing", async () => {
    const app = tempApp({
      Procfile: "web: echo started-web\n",
      ".env.example": "# required\nSECRET_KEY=\nOTHER=\n",
      ".env": "OTHER=set\n",
    });
    for (const args of [["start"], ["run", "echo ran"]]) {
      const r = await runTend(args, {
        cwd: app,
        env: { SECRET_KEY: undefined },
      });
      assert.equal(r.status, 1, args[0]);
      assert.equal(
        r.stderr,
        "tend: .env.example: required variable not set: SECRET_KEY (set it in an env file or the environment, or skip this check with --no-example)\n",
      );
      assert.equal(r.stdout, "");
    }
    const ok = await runTend(["run", "echo $SECRET_KEY"], {
      cwd: app,
      env: { SECRET_KEY: "s3" },
    });
    assert.equal(ok.stdout, "s3\n");
    cleanup(app);
  });
});
