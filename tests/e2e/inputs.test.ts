/**
 * Input that is not an error but deserves a word, end to end: references to
 * variables set nowhere (warnings, errors under --strict), env-file values
 * the process environment hides, --no-example, and what `tend env` shows.
 * Warnings are `tend: warning: PLACE: message` on stderr, once each.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { cleanup, runTend, tempApp } from "./_helpers.ts";

/** The app of most cases: one process that prints a value, and a .env. */
const FILES = {
  Procfile: 'web: echo "pw=$DB_PASSWORD hash=$HASH"\n',
  ".env": "DB_PASSWORD=pa$word1\nHASH=$2b$12$abc\n",
};

const UNSET = [
  'tend: warning: .env:1:15: $word1 is not set, so it becomes ""; for a literal "$" write \\$word1 or single-quote the value',
  'tend: warning: .env:2:12: $abc is not set, so it becomes ""; for a literal "$" write \\$abc or single-quote the value',
];

/** No variable of the test runner may change what these cases see. */
const CLEAN = {
  PORT: undefined,
  PROCFILE: undefined,
  word1: undefined,
  abc: undefined,
  DB_PASSWORD: undefined,
  HASH: undefined,
};

/** Runs tend in a fresh app with these files. */
async function tend(
  args: string[],
  files: Record<string, string> = FILES,
  env: Record<string, string | undefined> = {},
) {
  const app = tempApp(files);
  try {
    return await runTend(args, {
      cwd: app,
      env: { ...CLEAN, ...env },
      timeout: 20_000,
    });
  } finally {
    cleanup(app);
  }
}

describe("references to variables set nowhere", () => {
  it("tend check lists each with its place and the fix, and passes", async () => {
    const r = await tend(["check"]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(
      r.stderr,
      [...UNSET, "Valid procfile detected (web)", ""].join("\n"),
    );
  });

  it("tend start prints them once, then runs with the values as specified", async () => {
    const r = await tend(["start", "--no-timestamp", "--no-color"]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, [...UNSET, ""].join("\n"));
    assert.match(r.stdout, /web\.1 +\| pw=pa hash=\$2b\$12\n/);
  });

  it("tend run prints them once", async () => {
    const r = await tend(["run", 'printf "%s\\n" "$DB_PASSWORD"']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, [...UNSET, ""].join("\n"));
    assert.equal(r.stdout, "pa\n");
  });

  it("--strict makes them errors: status 1, nothing started", async () => {
    const r = await tend(["start", "--strict"]);
    assert.equal(r.status, 1);
    assert.equal(
      r.stderr,
      [...UNSET.map((w) => w.replace("warning: ", "")), ""].join("\n"),
    );
    assert.equal(r.stdout, "");
  });

  it("a name set in the process environment is not reported", async () => {
    const r = await tend(["check"], FILES, { word1: "x", abc: "y" });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, "Valid procfile detected (web)\n");
  });

  it("a reference to a key assigned further down says so", async () => {
    const r = await tend(["check"], {
      Procfile: "web: x\n",
      ".env": "URL=http://$HOST/\nHOST=db\n",
    }, { HOST: undefined });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(
      r.stderr,
      'tend: warning: .env:1:12: $HOST is not set yet here (HOST is assigned later), so it becomes ""; assign HOST before URL\n' +
        "Valid procfile detected (web)\n",
    );
  });

  it("quoting the value or \\$ silences them", async () => {
    const r = await tend(["check"], {
      Procfile: "web: x\n",
      ".env": "DB_PASSWORD='pa$word1'\nHASH=\\$2b\\$12\\$abc\n",
    });
    assert.equal(r.stderr, "Valid procfile detected (web)\n");
  });
});

describe("env-file values hidden by the process environment", () => {
  const files = {
    Procfile: 'web: echo "url=$DATABASE_URL"\n',
    ".env": "DATABASE_URL=postgres://file\nMODE=dev\nTOKEN=file-token\n",
  };
  const env = {
    DATABASE_URL: "postgres://shell",
    TOKEN: "shell-token",
    MODE: "dev",
  };
  const WARNING =
    "tend: warning: .env: the process environment overrides DATABASE_URL, TOKEN from this file (--override makes the env files win)";

  it("tend check names the keys once, never the values", async () => {
    const r = await tend(["check"], files, env);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, `${WARNING}\nValid procfile detected (web)\n`);
    assert.doesNotMatch(r.stderr, /postgres|token/);
  });

  it("tend start says it once and runs with the environment's value", async () => {
    const r = await tend(["start", "--no-timestamp", "--no-color"], files, env);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, `${WARNING}\n`);
    assert.match(r.stdout, /url=postgres:\/\/shell/);
  });

  it("--override makes the file win, and there is nothing to say", async () => {
    const r = await tend(
      ["start", "--override", "--no-timestamp", "--no-color"],
      files,
      env,
    );
    assert.equal(r.stderr, "");
    assert.match(r.stdout, /url=postgres:\/\/file/);
  });

  it("tend run does not say it: a one-off command often sets a variable on purpose", async () => {
    const r = await tend(["run", "echo $DATABASE_URL"], files, env);
    assert.equal(r.stderr, "");
    assert.equal(r.stdout, "postgres://shell\n");
  });

  it("each file is named with its own keys", async () => {
    const r = await tend(["check", "-e", "a.env,b.env"], {
      Procfile: "web: x\n",
      "a.env": "A=1\nB=1\n",
      "b.env": "C=1\nB=2\n",
    }, { A: "0", B: "0", C: "0" });
    assert.equal(
      r.stderr,
      [
        "tend: warning: a.env: the process environment overrides A from this file (--override makes the env files win)",
        "tend: warning: b.env: the process environment overrides B, C from this file (--override makes the env files win)",
        "Valid procfile detected (web)",
        "",
      ].join("\n"),
    );
  });
});

describe("--no-example", () => {
  const files = {
    Procfile: "web: echo started\n",
    ".env.example": "SECRET_KEY=\nSENTRY_DSN=\n",
    ".env": "SECRET_KEY=s3\n",
  };

  it("without it, an optional key of .env.example blocks start, and the error says the way out", async () => {
    const r = await tend(["start"], files, { SENTRY_DSN: undefined });
    assert.equal(r.status, 1);
    assert.equal(
      r.stderr,
      "tend: .env.example: required variable not set: SENTRY_DSN (set it in an env file or the environment, or skip this check with --no-example)\n",
    );
  });

  it("with it, start runs", async () => {
    const r = await tend(["start", "--no-example"], files, {
      SENTRY_DSN: undefined,
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /started/);
  });
});

describe("tend env", () => {
  const files = {
    Procfile: "web: serve\nworker: work\n",
    ".env": "GREETING=hi\nAPI_KEY=k3y\nMODE=dev\n",
  };
  const env = { MODE: "prod", SHELL_ONLY: "x" };

  it("shows what the env files and tend give, with the values a process sees", async () => {
    const r = await tend(["env"], files, env);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(
      r.stdout,
      "API_KEY=********\nGREETING=hi\nMODE=prod\nPORT=5000\n",
    );
  });

  it("TYPE shows its first instance's PORT and PS, as under tend start", async () => {
    const r = await tend(["env", "worker", "-p", "6000"], files, env);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(
      r.stdout,
      "API_KEY=********\nGREETING=hi\nMODE=prod\nPORT=6100\nPS=worker.1\n",
    );
  });

  it("--all adds the whole process environment; --show-secrets unmasks", async () => {
    const r = await tend(["env", "--all", "--show-secrets"], files, env);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^SHELL_ONLY=x$/m);
    assert.match(r.stdout, /^API_KEY=k3y$/m);
    assert.match(r.stdout, /^PORT=5000$/m);
  });

  it("needs no Procfile without a TYPE", async () => {
    const r = await tend(["env"], { ".env": "A=1\n" });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "A=1\nPORT=5000\n");
  });
});

describe("Procfile characters that are not errors", () => {
  it("U+2028 and U+2029 in a command are command text, as foreman reads them", async () => {
    const r = await tend(["start", "--no-timestamp", "--no-color"], {
      Procfile: "web: printf 'a\u2028b\u2029c\\n'\n",
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, "");
    assert.match(r.stdout, /web\.1 +\| a\u2028b\u2029c\n/);
  });

  it("tabs are allowed, and tend check says the file is valid", async () => {
    const r = await tend(["check"], { Procfile: "web:\techo\ta\t\n" });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, "Valid procfile detected (web)\n");
  });
});
