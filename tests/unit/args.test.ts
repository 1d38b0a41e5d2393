/** The argument parser and the flag table that drives it and the help. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  COMMANDS,
  FLAGS,
  parseArgs,
  splitList,
  suggest,
} from "../../src/args.ts";
import { UsageError } from "../../src/errors.ts";
import { helpText } from "../../src/help.ts";

function usage(argv: string[]): string {
  try {
    parseArgs(argv);
  } catch (error) {
    assert.ok(error instanceof UsageError, String(error));
    assert.equal(error.exitCode, 2);
    return error.message;
  }
  assert.fail(`accepted: ${argv.join(" ")}`);
}

describe("parseArgs", () => {
  it("finds the command first, so a flag means the same wherever it stands", () => {
    for (
      const argv of [
        ["-t", "tpl", "export", "runit", "out"],
        ["export", "runit", "out", "-t", "tpl"],
        ["export", "-t", "tpl", "runit", "out"],
        ["export", "--template=tpl", "runit", "out"],
      ]
    ) {
      const a = parseArgs(argv);
      assert.equal(a.command, "export", argv.join(" "));
      assert.deepEqual(a.positionals, ["runit", "out"], argv.join(" "));
      assert.equal(a.flags.template, "tpl", argv.join(" "));
      assert.equal(a.flags.timeout, undefined);
    }
    for (const argv of [["-t", "3", "start"], ["start", "-t", "3"]]) {
      assert.equal(parseArgs(argv).flags.timeout, "3", argv.join(" "));
    }
  });

  it("rejects a flag the command does not take, before or after it", () => {
    for (
      const argv of [["--show-secrets", "start"], ["start", "--show-secrets"]]
    ) {
      assert.equal(
        usage(argv),
        '--show-secrets does not apply to "tend start"',
      );
    }
    assert.equal(
      usage(["check", "-t", "5"]),
      '-t does not apply to "tend check"',
    );
  });

  it("gives run everything from the command's first word on", () => {
    const a = parseArgs(["-e", "x.env", "run", "-p", "81", "ls", "-l", "-e"]);
    assert.deepEqual(a.flags.env, ["x.env"]);
    assert.equal(a.flags.port, "81");
    assert.deepEqual(a.positionals, ["ls", "-l", "-e"]);
    assert.equal(a.dashdash, false);
    const b = parseArgs(["run", "--", "echo", "$HOME"]);
    assert.deepEqual(b.positionals, ["echo", "$HOME"]);
    assert.equal(b.dashdash, true);
  });

  it("reads clustered short flags and values glued to them", () => {
    const a = parseArgs(["start", "-qweb", "-p5000", "-c", "web=2"]);
    assert.deepEqual(a.flags.quiet, ["web"]);
    assert.equal(a.flags.port, "5000");
    assert.deepEqual(a.flags.formation, ["web=2"]);
  });

  it("suggests the nearest command or flag for a typo", () => {
    assert.equal(
      usage(["strat"]),
      'unknown command "strat": did you mean "start"?',
    );
    assert.equal(
      usage(["start", "--concurency", "web=2"]),
      "unknown flag --concurency: did you mean --concurrency?",
    );
    assert.equal(
      usage(["frob"]),
      'unknown command "frob" (commands: start, run, check, env, export, status, restart, stop, logs, help, version)',
    );
    assert.equal(
      usage(["start", "--zzzzzz"]),
      'unknown flag --zzzzzz (see "tend --help")',
    );
  });

  it("defaults to help, or version with --version", () => {
    assert.equal(parseArgs([]).command, "help");
    assert.equal(parseArgs(["--version"]).command, "version");
    assert.equal(parseArgs(["start", "--version"]).flags.version, true);
  });

  it("rejects missing values and values for switches", () => {
    assert.equal(usage(["start", "-f"]), "-f needs a value");
    assert.equal(
      usage(["start", "--procfile", "--no-color"]),
      "--procfile needs a value, got flag --no-color",
    );
    assert.equal(usage(["start", "--no-color=1"]), "--no-color takes no value");
  });
});

describe("the flag table", () => {
  it("rejects an empty file or directory name, which would mean the default or the directory", () => {
    assert.equal(
      usage(["check", "--example", ""]),
      '--example needs a file name, got ""',
    );
    assert.equal(usage(["-f", "", "start"]), '-f needs a file name, got ""');
    assert.equal(
      usage(["start", "--env="]),
      '--env needs a file name, got ""',
    );
    assert.equal(
      usage(["start", "-d", " "]),
      '-d needs a directory name, got ""',
    );
    // Other values may be empty: their own checks say what is wrong.
    assert.deepEqual(parseArgs(["start", "-q", ""]).flags.quiet, [""]);
  });

  it("checks how many arguments a command takes", () => {
    assert.equal(
      usage(["run"]),
      '"tend run" needs a command, e.g. tend run -- ls -l',
    );
    assert.equal(usage(["check", "x"]), '"tend check" takes no arguments');
    assert.equal(
      usage(["env", "web", "worker"]),
      '"tend env" takes at most one process type',
    );
    assert.deepEqual(parseArgs(["env", "web"]).positionals, ["web"]);
    // Asking for help needs nothing else.
    assert.equal(parseArgs(["check", "x", "--help"]).flags.help, true);
  });

  it("gives each name one kind (switch or value) for every command", () => {
    const kinds = new Map<string, boolean>();
    for (const flag of FLAGS) {
      const names = [flag.long, ...(flag.aliases ?? []), flag.short ?? ""];
      for (const name of names.filter(Boolean)) {
        const kind = flag.value !== undefined;
        assert.equal(kinds.get(name) ?? kind, kind, name);
        kinds.set(name, kind);
      }
    }
  });

  it("never lets one name mean two flags for the same command", () => {
    for (const command of COMMANDS) {
      const seen = new Set<string>();
      for (const flag of FLAGS.filter((f) => f.commands.includes(command))) {
        for (const name of [flag.long, ...(flag.aliases ?? []), flag.short]) {
          if (!name) continue;
          assert.ok(!seen.has(name), `${command}: ${name} twice`);
          seen.add(name);
        }
      }
    }
  });

  it("puts every flag in the help of each command that takes it", () => {
    for (const command of COMMANDS) {
      const text = `${helpText(command, "0")}\n${helpText(undefined, "0")}`;
      for (const flag of FLAGS.filter((f) => f.commands.includes(command))) {
        if (flag.commands.length === COMMANDS.length) continue;
        assert.ok(
          text.includes(`--${flag.long}`),
          `${command}: --${flag.long}`,
        );
      }
    }
  });
});

describe("splitList and suggest", () => {
  it("split comma lists and find near words only", () => {
    assert.deepEqual(splitList(["a,b", " c", ",,"]), ["a", "b", "c"]);
    assert.equal(suggest("wrok", ["work", "web"]), "work");
    assert.equal(suggest("abc", ["start", "run"]), undefined);
  });
});
