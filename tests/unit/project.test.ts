/** loadProject and checkProject: the rules every command shares. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { cleanup, tempDir } from "../_temp.ts";
import {
  checkProject,
  loadEnv,
  loadProject,
  TendError,
  UsageError,
} from "../../mod.ts";

const dirs: string[] = [];
after(() => dirs.forEach(cleanup));

/** An app directory with these files (subdirectories made as needed). */
function app(files: Record<string, string>): string {
  const dir = tempDir(files);
  dirs.push(dir);
  return dir;
}

function problems(options: Parameters<typeof checkProject>[0]): string[] {
  return checkProject(options).problems.map((p) =>
    `${p.path ?? ""}${p.line ? `:${p.line}` : ""}: ${p.message}`
  );
}

describe("loadProject", () => {
  it("finds the Procfile by -f, then PROCFILE, then ./Procfile", () => {
    const dir = app({
      Procfile: "a: x\n",
      "alt/P2": "b: y\n",
      "P3": "c: z\n",
    });
    assert.deepEqual(
      loadProject({ cwd: dir }).entries.map((e) => e.name),
      ["a"],
    );
    const byFlag = loadProject({ cwd: dir, procfile: "alt/P2" });
    assert.deepEqual(byFlag.entries.map((e) => e.name), ["b"]);
    // -f also makes the Procfile's directory the app root.
    assert.equal(byFlag.appRoot, join(dir, "alt"));
    // An empty PROCFILE is unset.
    assert.equal(
      loadProject({ cwd: dir, processEnv: { PROCFILE: "" } }).procfile,
      "Procfile",
    );
    const byEnv = loadProject({ cwd: dir, processEnv: { PROCFILE: "P3" } });
    assert.deepEqual(byEnv.entries.map((e) => e.name), ["c"]);
    assert.equal(byEnv.procfile, "P3");
  });

  it("takes the port from -p, then PORT, then 5000, and plans from it", () => {
    const dir = app({ Procfile: "web: x\nworker: y\n", ".env": "PORT=7000\n" });
    assert.equal(loadProject({ cwd: dir }).basePort, 7000);
    assert.equal(
      loadProject({ cwd: dir, processEnv: { PORT: "8000" } }).basePort,
      8000,
    );
    const flagged = loadProject({
      cwd: dir,
      port: "9000",
      processEnv: { PORT: "8000" },
    });
    assert.deepEqual(flagged.instances.map((i) => i.port), [9000, 9100]);
    assert.equal(
      loadProject({ cwd: app({ Procfile: "a: x\n" }) }).basePort,
      5000,
    );
    assert.throws(() => loadProject({ cwd: dir, port: "0" }), UsageError);
  });

  it("lets the process environment win over env files unless override", () => {
    const dir = app({ Procfile: "a: x\n", ".env": "A=file\nB=file\n" });
    const env = { A: "process" };
    assert.equal(loadProject({ cwd: dir, processEnv: env }).env.A, "process");
    assert.equal(
      loadProject({ cwd: dir, processEnv: env, override: true }).env.A,
      "file",
    );
    // What an export carries: the files' values only.
    assert.deepEqual(
      [...loadProject({ cwd: dir, processEnv: env }).files],
      [["A", "file"], ["B", "file"]],
    );
  });

  it("runs the formation and only the types named", () => {
    const dir = app({ Procfile: "web: x\nworker: y\nclock: z\n" });
    const project = loadProject({
      cwd: dir,
      formation: "web=2,clock=0",
      only: ["clock", "web", "worker"],
    });
    assert.deepEqual(
      project.instances.map((i) => `${i.name}:${i.port}`),
      ["web.1:5000", "web.2:5001", "worker.1:5100"],
    );
  });

  it("works without a Procfile when told it need not exist", () => {
    const dir = app({ ".env": "A=1\n" });
    const project = loadProject({ cwd: dir, needProcfile: false });
    assert.equal(project.env.A, "1");
    assert.equal(project.procfile, undefined);
    assert.throws(() => loadProject({ cwd: dir }), /Procfile: no such file/);
  });
});

describe("checkProject", () => {
  it("lists every problem of every env file, the Procfile and the example", () => {
    const dir = app({
      Procfile: "web: x\nweb : y\n",
      "a.env": 'A="open\n',
      "b.env": "OK=1\nB C=2\n",
      "c.env": "SET_HERE=1\n",
      ".env.example": "OK=\nSET_HERE=\nMISSING=\n",
    });
    assert.deepEqual(
      problems({ cwd: dir, envFiles: ["a.env", "b.env", "c.env"] }),
      [
        'a.env:1: unterminated double-quoted value for "A"',
        'b.env:2: key "B" is followed by "C" instead of "=": a key cannot contain spaces',
        'Procfile:2: space before ":" in process type "web "',
        // OK is in b.env, which failed as a whole; SET_HERE loaded from c.env.
        ".env.example: required variables not set: OK, MISSING (not loaded because of errors: a.env, b.env; or skip this check with --no-example)",
      ],
    );
  });

  it("names the Procfile for a formation type it does not define", () => {
    const dir = app({ Procfile: "web: x\n" });
    assert.deepEqual(problems({ cwd: dir, formation: "web=1,db=2" }), [
      'Procfile: unknown process type "db" in the formation (known: web)',
    ]);
  });

  it("is what loadProject throws, all at once, with status 1", () => {
    const dir = app({ Procfile: "web x\nweb: y\nweb: z\n" });
    assert.throws(
      () => loadProject({ cwd: dir }),
      (e) =>
        e instanceof TendError && e.exitCode === 1 && e.problems.length === 2,
    );
  });
});

describe("loadEnv", () => {
  it("reports each failing file to onError and loads the rest", () => {
    const dir = app({ "bad.env": "X='open\n", "good.env": "Y=1\n" });
    const seen: string[] = [];
    const { env } = loadEnv({
      files: ["bad.env", "missing.env", "good.env"],
      named: true,
      cwd: dir,
      onError: (error) => seen.push(error.path ?? ""),
    });
    assert.deepEqual(seen, ["bad.env", "missing.env"]);
    assert.equal(env.Y, "1");
    assert.equal(env.X, undefined);
  });

  it("throws the first problem without onError", () => {
    const dir = app({ "bad.env": "X='open\n" });
    assert.throws(
      () => loadEnv({ files: ["bad.env"], named: true, cwd: dir }),
      /bad\.env:1:3: unterminated single-quoted value/,
    );
  });
});

describe("checkProject: warnings", () => {
  const env = "DB_PASSWORD=pa$word1\nHASH=$2b$12$abc\n";

  it("lists each reference to a variable set nowhere, with its place", () => {
    const dir = app({ Procfile: "web: x\n", ".env": env });
    const { project, problems: found } = checkProject({ cwd: dir });
    assert.deepEqual(found, []);
    assert.deepEqual(
      project.warnings.map((w) => `${w.path}:${w.line}:${w.column}`),
      [".env:1:15", ".env:2:12"],
    );
    assert.equal(project.env.DB_PASSWORD, "pa");
  });

  it("strict makes them problems", () => {
    const dir = app({ Procfile: "web: x\n", ".env": env });
    assert.deepEqual(problems({ cwd: dir, strict: true }), [
      '.env:1: $word1 is not set, so it becomes ""; for a literal "$" write \\$word1 or single-quote the value',
      '.env:2: $abc is not set, so it becomes ""; for a literal "$" write \\$abc or single-quote the value',
    ]);
    assert.throws(() => loadProject({ cwd: dir, strict: true }), TendError);
  });

  it("a file that failed gives no warnings: its values are not used", () => {
    const dir = app({ Procfile: "web: x\n", ".env": "A=$U\nB C\n" });
    const { project } = checkProject({ cwd: dir });
    assert.deepEqual(project.warnings, []);
  });

  it("names per file the keys the process environment overrides", () => {
    const dir = app({
      Procfile: "web: x\n",
      ".env": "A=1\nB=2\nSAME=3\n",
      "local.env": "C=4\n",
    });
    const options = {
      cwd: dir,
      envFiles: [".env", "local.env"],
      processEnv: { B: "b", A: "a", SAME: "3", C: "c", OTHER: "o" },
    };
    assert.deepEqual(checkProject(options).project.shadowed, [
      {
        path: ".env",
        message:
          "the process environment overrides A, B from this file (--override makes the env files win)",
      },
      {
        path: "local.env",
        message:
          "the process environment overrides C from this file (--override makes the env files win)",
      },
    ]);
    const override = checkProject({ ...options, override: true });
    assert.deepEqual(override.project.shadowed, []);
  });
});

describe("checkProject: places", () => {
  it("names a bad PORT by the env file line that set it", () => {
    const dir = app({ Procfile: "web: x\n", ".env": 'A=1\nPORT="80a"\n' });
    const [problem] = checkProject({ cwd: dir }).problems;
    assert.deepEqual(problem, {
      path: ".env",
      line: 2,
      column: 6,
      message: 'bad port "80a" from PORT: expected 1-65535',
    });
  });

  it("names the process environment when the bad PORT comes from it", () => {
    const dir = app({ Procfile: "web: x\n", ".env": "PORT=5000\n" });
    assert.deepEqual(
      problems({ cwd: dir, processEnv: { PORT: "x" } }),
      [': bad port "x" from PORT in the environment: expected 1-65535'],
    );
  });

  it("example: false skips the required keys", () => {
    const dir = app({ Procfile: "web: x\n", ".env.example": "NEEDED=\n" });
    assert.equal(problems({ cwd: dir }).length, 1);
    assert.deepEqual(problems({ cwd: dir, example: false }), []);
  });

  it("a missing default Procfile names the directory searched", () => {
    const dir = app({});
    assert.deepEqual(problems({ cwd: dir }), [
      `Procfile: no such file in ${dir} (name another with -f FILE or PROCFILE=FILE)`,
    ]);
  });
});

describe("loadEnv: what it tells besides the values", () => {
  it("says where each key comes from, what failed, and what is unset", () => {
    const dir = app({
      "a.env": "A=1\nB=$NOPE\n",
      "b.env": "B=2\n",
      "bad.env": "X='open\n",
    });
    const loaded = loadEnv({
      files: ["a.env", "bad.env", "b.env"],
      named: true,
      cwd: dir,
      processEnv: { A: "0" },
      onError: () => {},
    });
    assert.deepEqual([...loaded.sources], [["A", "a.env"], ["B", "b.env"]]);
    assert.deepEqual(loaded.failed, ["bad.env"]);
    assert.deepEqual(loaded.shadowed, ["A"]);
    assert.deepEqual(
      loaded.unset.map((w) => `${w.path}:${w.line}:${w.column}`),
      ["a.env:2:3"],
    );
  });
});

describe("envListing", () => {
  it("shows the files' keys with the values a process sees, then PORT and PS", async () => {
    const { envListing } = await import("../../src/env_listing.ts");
    const dir = app({
      Procfile: "web: x\nworker: y\n",
      ".env": "B_TOKEN=t\nA=1\n",
    });
    const project = loadProject({
      cwd: dir,
      processEnv: { A: "from-env", HOME: "/root" },
    });
    assert.equal(
      envListing(project),
      "A=from-env\nB_TOKEN=********\nPORT=5000\n",
    );
    assert.equal(
      envListing(project, { type: "worker", showSecrets: true }),
      "A=from-env\nB_TOKEN=t\nPORT=5100\nPS=worker.1\n",
    );
    assert.match(envListing(project, { all: true }), /^HOME=\/root$/m);
    assert.throws(
      () => envListing(project, { type: "nope" }),
      /Procfile: unknown process type "nope" \(known: web, worker\)/,
    );
  });
});
