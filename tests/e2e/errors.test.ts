/**
 * Every user-facing error path, end to end: the exact message on stderr
 * (`tend: ` and the place where there is one), the exit status (2 for
 * usage, 1 for bad input), no stack trace, and nothing started.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, chownSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { describe, it } from "node:test";
import {
  alive,
  cleanup,
  launcher,
  marker,
  ROOT,
  runTend,
  tempApp,
} from "./_helpers.ts";

interface Case {
  /** What is wrong, for the test name. */
  what: string;
  args: string[];
  /** Files of the app besides the Procfile (which runs a marked process). */
  files?: Record<string, string | Uint8Array>;
  /** Replaces the good Procfile; `null` leaves it out. */
  procfile?: string | null;
  env?: Record<string, string>;
  status: 1 | 2;
  /** The exact stderr, one `tend: ` line per problem; given the app's directory. */
  stderr: string | ((app: string) => string);
}

/** Text as UTF-16LE bytes, as Windows Notepad saves "Unicode". */
function _utf16le(text: string): Uint8Array {
  return new Uint8Array(
    [...text].flatMap((c) => [c.charCodeAt(0) & 0xff, c.charCodeAt(0) >> 8]),
  );
}

const USAGE: Case[] = [
  {
    what: "unknown flag",
    args: ["start", "--bogus"],
    status: 2,
    stderr: 'tend: unknown flag --bogus (see "tend --help")\n',
  },
  {
    what: "unknown short flag",
    args: ["start", "-z"],
    status: 2,
    stderr: 'tend: unknown flag -z (see "tend --help")\n',
  },
  {
    what: "unknown command",
    args: ["frob"],
    status: 2,
    stderr:
      'tend: unknown command "frob" (commands: start, run, check, env, export, status, restart, stop, logs, help, version)\n',
  },
  {
    what: "flag without its value",
    args: ["start", "-f"],
    status: 2,
    stderr: "tend: -f needs a value\n",
  },
  {
    what: "long flag followed by another flag instead of a value",
    args: ["start", "--procfile", "--no-color"],
    status: 2,
    stderr: "tend: --procfile needs a value, got flag --no-color\n",
  },
  {
    what: "value for a flag that takes none",
    args: ["start", "--no-color=1"],
    status: 2,
    stderr: "tend: --no-color takes no value\n",
  },
  {
    what: "flag of another command",
    args: ["check", "--no-prefix"],
    status: 2,
    stderr: 'tend: --no-prefix does not apply to "tend check"\n',
  },
  {
    what: "bad timeout",
    args: ["start", "-t", "soon"],
    status: 2,
    stderr: 'tend: bad timeout "soon": expected seconds, e.g. 5 or 0.5\n',
  },
  {
    what: "negative timeout",
    args: ["start", "-t", "-1"],
    status: 2,
    stderr: 'tend: bad timeout "-1": expected seconds, e.g. 5 or 0.5\n',
  },
  {
    what: "formation entry without a count (honcho's traceback)",
    args: ["start", "-c", "web"],
    status: 2,
    stderr:
      'tend: bad formation entry "web": expected TYPE=COUNT, e.g. web=2\n',
  },
  {
    what: "formation count that is not a number",
    args: ["start", "-m", "web=two"],
    status: 2,
    stderr:
      'tend: bad formation entry "web=two": expected TYPE=COUNT, e.g. web=2\n',
  },
  {
    what: "formation count too large",
    args: ["start", "-c", "web=99999999"],
    status: 2,
    stderr: 'tend: bad count in formation entry "web=99999999"\n',
  },
  {
    what: "port 0",
    args: ["start", "-p", "0"],
    status: 2,
    stderr: 'tend: bad port "0" from -p/--port: expected 1-65535\n',
  },
  {
    what: "port above 65535",
    args: ["start", "--port", "70000"],
    status: 2,
    stderr: 'tend: bad port "70000" from -p/--port: expected 1-65535\n',
  },
  {
    what: "port that is not a number",
    args: ["start", "-p", "http"],
    status: 2,
    stderr: 'tend: bad port "http" from -p/--port: expected 1-65535\n',
  },
  {
    what: "base port so high that a port would pass 65535",
    args: ["start", "-p", "65500"],
    procfile: "web: echo started\nworker: echo started\n",
    status: 2,
    stderr:
      "tend: worker.1 would get port 65600, above 65535: use a lower base port than 65500\n",
  },
  {
    what: "bad --max-restarts",
    args: ["start", "--max-restarts", "many"],
    status: 2,
    stderr: 'tend: bad --max-restarts "many": expected a count\n',
  },
  {
    what: "bad --stop-signal",
    args: ["start", "--stop-signal", "web=FOO"],
    status: 2,
    stderr:
      'tend: bad --stop-signal "web=FOO": expected TYPE=SIGNAL, e.g. web=INT\n',
  },
  {
    what: "a typo of a command suggests the nearest",
    args: ["strat"],
    status: 2,
    stderr: 'tend: unknown command "strat": did you mean "start"?\n',
  },
  {
    what: "a typo of a flag suggests the nearest",
    args: ["start", "--concurency", "web=1"],
    status: 2,
    stderr: "tend: unknown flag --concurency: did you mean --concurrency?\n",
  },
  {
    what: "a typo of a flag before the command suggests the command's nearest",
    args: ["--show-secret", "env"],
    status: 2,
    stderr: "tend: unknown flag --show-secret: did you mean --show-secrets?\n",
  },
  {
    what: "empty --example (it named the app directory)",
    args: ["start", "--example", ""],
    status: 2,
    stderr: 'tend: --example needs a file name, got ""\n',
  },
  {
    what: "empty -e",
    args: ["check", "-e", ""],
    status: 2,
    stderr: 'tend: -e needs a file name, got ""\n',
  },
  {
    what: "empty -d",
    args: ["start", "--app-root="],
    status: 2,
    stderr: 'tend: --app-root needs a directory name, got ""\n',
  },
  {
    what: "--example and --no-example together",
    args: ["check", "--example", "x", "--no-example"],
    status: 2,
    stderr: "tend: --example and --no-example exclude each other\n",
  },
  {
    what: "tend check with an argument",
    args: ["check", "web"],
    status: 2,
    stderr: 'tend: "tend check" takes no arguments\n',
  },
  {
    what: "tend env with two types",
    args: ["env", "web", "worker"],
    status: 2,
    stderr: 'tend: "tend env" takes at most one process type\n',
  },
  {
    what: "--all is for tend env only",
    args: ["start", "--all"],
    status: 2,
    stderr: 'tend: --all does not apply to "tend start"\n',
  },
  {
    what: "tend run without a command",
    args: ["run"],
    status: 2,
    stderr: 'tend: "tend run" needs a command, e.g. tend run -- ls -l\n',
  },
];

const INPUT: Case[] = [
  {
    what: "bad Procfile line",
    args: ["start"],
    procfile: "web : echo started\n",
    status: 1,
    stderr: 'tend: Procfile:1:4: space before ":" in process type "web "\n',
  },
  {
    what: "NUL byte in a command (sh -c could not take it)",
    args: ["start"],
    procfile: "web: echo a\0b\n",
    status: 1,
    stderr:
      'tend: Procfile:1:12: control character U+0000 in the command of "web": only tab may appear in a line\n',
  },
  {
    what: "NUL byte in a command, for tend check too",
    args: ["check"],
    procfile: "web: echo a\0b\n",
    status: 1,
    stderr:
      'tend: Procfile:1:12: control character U+0000 in the command of "web": only tab may appear in a line\n',
  },
  {
    what: "escape character in a Procfile line",
    args: ["start"],
    procfile: "web: echo started\n\x1b[31mworker: x\n",
    status: 1,
    stderr:
      "tend: Procfile:2:1: control character U+001B in the line: only tab may appear in a line\n",
  },
  {
    what: "indented Procfile entry",
    args: ["start"],
    procfile: "web: echo started\n  worker: echo started\n",
    status: 1,
    stderr:
      'tend: Procfile:2:1: leading whitespace before "worker": an entry starts at the beginning of its line\n',
  },
  {
    what: 'UTF-16 Procfile with a byte-order mark (Notepad\'s "Unicode")',
    args: ["start"],
    procfile: null,
    files: { Procfile: _utf16le("\ufeffweb: echo started\r\n") },
    status: 1,
    stderr:
      "tend: Procfile: the file is UTF-16 (little-endian), not UTF-8: save it as UTF-8\n",
  },
  {
    what: "UTF-16 Procfile without a byte-order mark",
    args: ["check"],
    procfile: null,
    files: { Procfile: _utf16le("web: echo started\r\nworker: x\r\n") },
    status: 1,
    stderr:
      "tend: Procfile: the file is UTF-16 (little-endian), not UTF-8: save it as UTF-8\n",
  },
  {
    what: "Procfile that is not UTF-8",
    args: ["start"],
    procfile: null,
    files: {
      Procfile: new Uint8Array([
        ...new TextEncoder().encode("web: echo started\nworker: caf"),
        0xe9,
        0x0a,
      ]),
    },
    status: 1,
    stderr: "tend: Procfile:2:12: invalid UTF-8 (byte offset 29)\n",
  },
  {
    what: "several bad Procfile lines, each on its own line",
    args: ["start"],
    procfile: "# ok\nwe.b: x\nweb:\nweb: echo started\nweb: y\n",
    status: 1,
    stderr: [
      'tend: Procfile:2:3: invalid process type "we.b" (use letters, digits, "_" and "-")',
      'tend: Procfile:3: empty command for "web"',
      'tend: Procfile:5: duplicate process type "web" (first on line 4)',
      "",
    ].join("\n"),
  },
  {
    what: "Procfile without entries",
    args: ["start"],
    procfile: "# nothing\n\n",
    status: 1,
    stderr: "tend: Procfile: no process types defined\n",
  },
  {
    what: "bad default .env",
    args: ["start"],
    files: { ".env": 'A=1\nB="never closed\n' },
    status: 1,
    stderr: 'tend: .env:2:3: unterminated double-quoted value for "B"\n',
  },
  {
    what: "bad named env file",
    args: ["start", "-e", "ok.env,bad.env"],
    files: { "ok.env": "A=1\n", "bad.env": "A=1\n  B C=2\n" },
    status: 1,
    stderr:
      'tend: bad.env:2:3: key "B" is followed by "C" instead of "=": a key cannot contain spaces\n',
  },
  {
    what: "env file that is not UTF-8",
    args: ["start", "-e", "latin1.env"],
    files: { "latin1.env": new Uint8Array([0x41, 0x3d, 0xe9, 0x0a]) },
    status: 1,
    stderr: "tend: latin1.env:1:3: invalid UTF-8 (byte offset 2)\n",
  },
  {
    what: "unknown process type",
    args: ["start", "nope"],
    status: 1,
    stderr: 'tend: Procfile: unknown process type "nope" (known: web)\n',
  },
  {
    what: "unknown type in the formation",
    args: ["start", "-c", "nope=1"],
    status: 1,
    stderr:
      'tend: Procfile: unknown process type "nope" in the formation (known: web)\n',
  },
  {
    what: "unknown type in --restart",
    args: ["start", "--restart", "web,nope"],
    status: 1,
    stderr:
      'tend: Procfile: unknown process type "nope" in --restart (known: web)\n',
  },
  {
    what: "unknown type in --can-die",
    args: ["start", "--can-die", "nope"],
    status: 1,
    stderr:
      'tend: Procfile: unknown process type "nope" in --can-die (known: web)\n',
  },
  {
    what: "unknown type in --stop-signal",
    args: ["start", "--stop-signal", "nope=INT"],
    status: 1,
    stderr:
      'tend: Procfile: unknown process type "nope" in --stop-signal (known: web)\n',
  },
  {
    what: "unknown type for tend env",
    args: ["env", "nope"],
    status: 1,
    stderr: 'tend: Procfile: unknown process type "nope" (known: web)\n',
  },
  {
    what: "-t before the command is --template for export",
    args: ["-t", "nodir", "export", "runit", "out"],
    status: 1,
    stderr: (app) => `tend: ${app}/nodir: template directory not found\n`,
  },
  {
    what: "-t after export's arguments is --template too",
    args: ["export", "runit", "out", "-t", "nodir"],
    status: 1,
    stderr: (app) => `tend: ${app}/nodir: template directory not found\n`,
  },
  {
    what: "every error of one env file, each at its place",
    args: ["start"],
    files: { ".env": 'A=1\nB C=2\nD="x" y\nE=${F:?need F}\nG: 1\n' },
    status: 1,
    stderr: [
      'tend: .env:2:1: key "B" is followed by "C" instead of "=": a key cannot contain spaces',
      'tend: .env:3:7: unexpected "y" after the closing quote: only spaces and a "# comment" may follow',
      "tend: .env:4:3: F is unset or empty: need F",
      'tend: .env:5:1: expected "=" after key "G": the YAML form "G: value" is not supported',
      "",
    ].join("\n"),
  },
  {
    what: "env file saved as UTF-16",
    args: ["run", "echo started"],
    files: { ".env": _utf16le("\ufeffA=1\r\n") },
    status: 1,
    stderr:
      "tend: .env:1:1: the file is UTF-16 (little-endian), not UTF-8: save it as UTF-8\n",
  },
  {
    what: "bad PORT in an env file, at its place",
    args: ["start", "-e", "a.env,b.env"],
    files: { "a.env": "PORT=5000\n", "b.env": "# local\nA=1\nPORT = eighty\n" },
    status: 1,
    stderr: 'tend: b.env:3:8: bad port "eighty" from PORT: expected 1-65535\n',
  },
  {
    what: "bad PORT in an env file, for tend check",
    args: ["check"],
    files: { ".env": "PORT='8o8o'\n" },
    status: 1,
    stderr: 'tend: .env:1:6: bad port "8o8o" from PORT: expected 1-65535\n',
  },
  {
    what: "a variable set nowhere, under --strict",
    args: ["start", "--strict"],
    files: { ".env": "DB_PASSWORD=pa$word1\nHASH=$2b$12$abc\n" },
    status: 1,
    stderr: [
      'tend: .env:1:15: $word1 is not set, so it becomes ""; for a literal "$" write \\$word1 or single-quote the value',
      'tend: .env:2:12: $abc is not set, so it becomes ""; for a literal "$" write \\$abc or single-quote the value',
      "",
    ].join("\n"),
  },
  {
    what: "a variable set nowhere, under --strict, for tend run",
    args: ["run", "--strict", "echo started"],
    files: { ".env": 'A="${B}"\n' },
    status: 1,
    stderr:
      'tend: .env:1:4: ${B} is not set, so it becomes ""; for a literal "$" write \\${B} or single-quote the value\n',
  },
  {
    what: "a required key set only in an env file that failed",
    args: ["start", "-e", "good.env,bad.env"],
    files: {
      ".env.example": "SECRET_KEY=\nGOOD=\n",
      "good.env": "GOOD=1\n",
      "bad.env": "SECRET_KEY=s3\nOOPS\tX=1\n",
    },
    status: 1,
    stderr: [
      'tend: bad.env:2:1: key "OOPS" is followed by "X" instead of "=": a key cannot contain spaces',
      "tend: .env.example: required variable not set: SECRET_KEY (not loaded because of errors: bad.env; or skip this check with --no-example)",
      "",
    ].join("\n"),
  },
  {
    what: "unknown type in --quiet",
    args: ["start", "-q", "nope"],
    status: 1,
    stderr:
      'tend: Procfile: unknown process type "nope" in --quiet (known: web)\n',
  },
  {
    what: "formation that runs nothing",
    args: ["start", "-c", "all=0"],
    status: 1,
    stderr:
      "tend: Procfile: no processes to start (formation is 0 for every type)\n",
  },
  {
    what: "missing default Procfile",
    args: ["start"],
    procfile: null,
    status: 1,
    stderr: (app) =>
      `tend: Procfile: no such file in ${app} (name another with -f FILE or PROCFILE=FILE)\n`,
  },
  {
    what: "missing Procfile in the app root named with -d",
    args: ["check", "-d", "adir"],
    status: 1,
    stderr: (app) =>
      `tend: Procfile: no such file in ${app}/adir (name another with -f FILE or PROCFILE=FILE)\n`,
  },
  {
    what: "missing Procfile named by PROCFILE",
    args: ["start"],
    env: { PROCFILE: "Procfile.dev" },
    status: 1,
    stderr: (app) =>
      `tend: Procfile.dev: no such file in ${app} (named by PROCFILE; -f FILE names another)\n`,
  },
  {
    what: "missing Procfile named with -f",
    args: ["start", "-f", "Procfile.missing"],
    status: 1,
    stderr: "tend: Procfile.missing: no such file\n",
  },
  {
    what: "missing env file named with -e",
    args: ["start", "-e", "missing.env"],
    status: 1,
    stderr: "tend: missing.env: no such file\n",
  },
  {
    what: "missing example file named with --example",
    args: ["start", "--example", "missing.example"],
    status: 1,
    stderr: "tend: missing.example: no such file\n",
  },
  {
    what: "directory given as the Procfile",
    args: ["start", "-f", "adir"],
    status: 1,
    stderr: "tend: adir: is a directory, expected a file\n",
  },
  {
    what: "directory given as an env file",
    args: ["start", "-e", "adir"],
    status: 1,
    stderr: "tend: adir: is a directory, expected a file\n",
  },
  {
    what: "directory given as the example file",
    args: ["start", "--example", "adir"],
    status: 1,
    stderr: "tend: adir: is a directory, expected a file\n",
  },
  {
    what: "missing required variables",
    args: ["start"],
    files: { ".env.example": "SECRET_KEY\nOTHER=\nSET=\n", ".env": "SET=1\n" },
    status: 1,
    stderr:
      "tend: .env.example: required variables not set: OTHER, SECRET_KEY (set them in an env file or the environment, or skip this check with --no-example)\n",
  },
  {
    what: "bad PORT in the environment",
    args: ["start"],
    env: { PORT: "eighty" },
    status: 1,
    stderr:
      'tend: bad port "eighty" from PORT in the environment: expected 1-65535\n',
  },
  {
    what: "bad env file for tend run",
    args: ["run", "-e", "bad.env", "echo started"],
    files: { "bad.env": "A='open\n" },
    status: 1,
    stderr: 'tend: bad.env:1:3: unterminated single-quoted value for "A"\n',
  },
  {
    what: "missing required variable for tend run",
    args: ["run", "echo started"],
    files: { ".env.example": "SECRET_KEY\n" },
    status: 1,
    stderr:
      "tend: .env.example: required variable not set: SECRET_KEY (set it in an env file or the environment, or skip this check with --no-example)\n",
  },
];

/** What a user saw from one case. */
interface Outcome {
  /** The app's directory (removed by then). */
  app: string;
  status: number | null;
  stdout: string;
  stderr: string;
  /** Processes with the case's marker alive after tend exited. */
  left: string[];
}

/** Runs tend on the case's app. */
async function run(c: Case): Promise<Outcome> {
  const mark = marker();
  const app = tempApp({
    ...(c.procfile === null ? {} : {
      Procfile: c.procfile ?? `web: echo started; sleep 1000 # ${mark}\n`,
    }),
    ...c.files,
  });
  mkdirSync(join(app, "adir"));
  try {
    const r = await runTend(c.args, {
      mark,
      cwd: app,
      env: { PORT: undefined, PROCFILE: undefined, ...c.env },
      timeout: 15_000,
    });
    return { ...r, app, left: alive(mark) };
  } finally {
    cleanup(app);
  }
}

/** Checks everything a user sees. */
function verify(c: Case, r: Outcome): void {
  assert.equal(r.status, c.status, `status; stderr: ${r.stderr}`);
  assert.equal(
    r.stderr,
    typeof c.stderr === "string" ? c.stderr : c.stderr(r.app),
  );
  assert.doesNotMatch(r.stderr, /^\s+at /m, "stack trace");
  assert.equal(r.stdout, "", "nothing may be printed, nor started");
  assert.deepEqual(r.left, [], "nothing may be started");
}

/**
 * Runs at most `limit` cases at a time, from the moment the suite is
 * collected: each run is mostly the runtime starting up, so a few in
 * parallel make the file several times faster.
 */
function pool(
  limit: number,
): (job: () => Promise<Outcome>) => Promise<Outcome> {
  let running = 0;
  const queue: (() => void)[] = [];
  return async (job) => {
    if (running >= limit) await new Promise<void>((r) => queue.push(r));
    running++;
    try {
      return await job();
    } finally {
      running--;
      queue.shift()?.();
    }
  };
}

const _schedule = pool(4);

describe("errors: usage (exit 2)", () => {
  for (const c of USAGE) {
    const outcome = _schedule(() => run(c));
    it(c.what, { timeout: 60_000 }, async () => verify(c, await outcome));
  }
});

describe("errors: bad input (exit 1)", () => {
  for (const c of INPUT) {
    const outcome = _schedule(() => run(c));
    it(c.what, { timeout: 60_000 }, async () => verify(c, await outcome));
  }
});

describe("errors: tend check lists every problem at once", () => {
  it("bad Procfile lines, bad env file and missing variables together", {
    timeout: 20_000,
  }, async () => {
    const app = tempApp({
      Procfile: "web : x\nworker: y\nwe.b: z\n",
      ".env": 'A="x\n',
      ".env.example": "NEEDED\n",
    });
    const r = await runTend(["check"], { cwd: app });
    assert.equal(r.status, 1);
    assert.equal(
      r.stderr,
      [
        'tend: .env:1:3: unterminated double-quoted value for "A"',
        'tend: Procfile:1:4: space before ":" in process type "web "',
        'tend: Procfile:3:3: invalid process type "we.b" (use letters, digits, "_" and "-")',
        "tend: .env.example: required variable not set: NEEDED (not loaded because of errors: .env; or skip this check with --no-example)",
        "",
      ].join("\n"),
    );
    assert.equal(r.stdout, "");
    cleanup(app);
  });
});

/**
 * The command line that runs tend as user `nobody`, who cannot read a file
 * of mode 000 (root can read anything), or undefined when that is not
 * possible here.
 */
function _asNobody(): { file: string; args: string[] } | undefined {
  const { file, args, name } = launcher();
  if (process.getuid?.() !== 0) return { file, args };
  if (spawnSync("setpriv", ["--version"]).status !== 0) return undefined;
  // The runtimes on PATH may live under /root; node_modules has copies.
  const bin = name === "deno" || name === "bun"
    ? join(ROOT, "node_modules", ".bin", name)
    : file;
  const home = tempApp({}, "tend-nobody-");
  chownSync(home, 65534, 65534);
  return {
    file: "setpriv",
    args: [
      "--reuid=65534",
      "--regid=65534",
      "--clear-groups",
      "env",
      `HOME=${home}`,
      `DENO_DIR=${join(home, "deno")}`,
      bin,
      ...args,
    ],
  };
}

describe("errors: unreadable files (exit 1)", () => {
  const nobody = _asNobody();
  for (
    const [what, flag] of [
      ["unreadable Procfile", ["-f", "locked"]],
      ["unreadable env file", ["-e", "locked"]],
      ["unreadable example file", ["--example", "locked"]],
    ] as const
  ) {
    it(what, {
      timeout: 20_000,
      skip: nobody ? false : "needs a non-root user (setpriv not found)",
    }, () => {
      const mark = marker();
      const app = tempApp({
        Procfile: `web: echo started; sleep 1000 # ${mark}\n`,
        locked: "web: echo started\n",
      });
      chmodSync(app, 0o755);
      chmodSync(join(app, "Procfile"), 0o644);
      chmodSync(join(app, "locked"), 0o000);
      const r = spawnSync(nobody!.file, [...nobody!.args, "start", ...flag], {
        cwd: app,
        encoding: "utf8",
        timeout: 15_000,
      });
      try {
        assert.equal(r.status, 1, r.stderr);
        assert.equal(r.stderr, "tend: locked: permission denied\n");
        assert.equal(r.stdout, "");
        assert.deepEqual(alive(mark), []);
      } finally {
        cleanup(app);
      }
    });
  }
});
