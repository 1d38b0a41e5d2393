/**
 * Tests for `tend export`: each format is checked by the real tool where it
 * is installed (supervisord runs the processes, systemd-analyze verifies the
 * units, docker-compose reads the file, kubernetes-models validates the
 * documents after PyYAML reads them back, sh runs the runit scripts, Python's
 * plistlib reads the launchd plists). Missing tools skip with a message.
 */
import { tempDir } from "../_temp.ts";
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import {
  createServer as createHttpServer,
  type Server as HttpServer,
} from "node:http";
import {
  createServer as createNetServer,
  type Server as NetServer,
} from "node:net";
import { join } from "node:path";
import process from "node:process";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { Job } from "kubernetes-models/batch/v1/Job";
import {
  EXPORT_FORMATS,
  type ExportOptions,
  renderExport,
  writeExport,
} from "../../src/export/mod.ts";
import { kubernetesDocuments } from "../../src/export/kubernetes.ts";
import { phases, probeCheck } from "../../src/export/_phases.ts";
import type { Probe } from "../../src/probe.ts";
import { toYaml, type YamlValue } from "../../src/export/_yaml.ts";
import { TendError, UsageError } from "../../src/errors.ts";
import { parseFormation, plan } from "../../src/formation.ts";

// ---------------------------------------------------------------- fixture

const ID = `${process.pid}${Math.floor(Math.random() * 1e6)}`;
/** In every test process's arguments, so survivors can be found with ps. */
const MARK = `tend-export-mark-${ID}`;
/** A unique sleep length, so the shell's `sleep` child is findable too. */
const SLEEP = `30.${ID.slice(-6)}`;

/** Everything that tends to break quoting, including a newline. */
const TRICKY =
  `100% "quoted" it's $HOME \`x\` \\back\\slash  two  spaces ; #no-comment %(here)s\nsecond line`;
/** Tricky but representable in supervisord's environment= as is. */
const PLAIN = `plain 100% $x \\ 'single' ok`;
/** A literal inside the command itself. */
const LIT = `lit %d "q" $x \\ end`;

/** A command that records its environment, spans two lines, and stays up. */
function command(type: string): string {
  return `printf '%s|' "$PS" "$PORT" "$GREETING" "$PLAIN" '${LIT}' > "$OUT/$PS.out" # ${type} 100%\n` +
    `sleep ${SLEEP}; : ${MARK}`;
}

function options(
  root: string,
  extra: Partial<ExportOptions> = {},
): ExportOptions {
  const instances = plan([
    { name: "web", command: command("web"), line: 1 },
    { name: "Back_Worker", command: command("worker"), line: 2 },
  ], { formation: parseFormation("web=2,Back_Worker=1"), basePort: 6000 });
  return {
    app: "Tend Test",
    appRoot: root,
    instances,
    env: {
      GREETING: TRICKY,
      PLAIN,
      OUT: join(root, "out"),
      API_TOKEN: "t0ken",
      PORT: "1",
    },
    ...extra,
  };
}

/** What `command()` writes for an instance. */
function expected(ps: string, port: number): string {
  return `${ps}|${port}|${TRICKY}|${PLAIN}|${LIT}|`;
}

function tempRoot(): string {
  return tempDir({ "out/.keep": "" }, "tend-export-test-");
}

function has(commandName: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${commandName}`]).status === 0;
}

function skipUnless(ok: boolean, why: string): string | false {
  if (ok) return false;
  console.warn(`SKIP: ${why}`);
  return why;
}

const PY_YAML = spawnSync("python3", ["-c", "import yaml"]).status === 0;
const PY = spawnSync("python3", ["-c", "import plistlib"]).status === 0;

/** Parses YAML (all documents) with PyYAML into JSON data. */
function pyYaml(text: string): unknown[] {
  const out = spawnSync("python3", [
    "-c",
    "import json, sys, yaml; print(json.dumps(list(yaml.safe_load_all(sys.stdin))))",
  ], { input: text, encoding: "utf8" });
  assert.equal(out.status, 0, out.stderr);
  return JSON.parse(out.stdout);
}

async function waitFor(
  check: () => boolean,
  ms: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once("exit", () => resolve());
  });
}

function survivors(): string[] {
  const ps = spawnSync("ps", ["-eo", "pid,args"], { encoding: "utf8" });
  return ps.stdout.split("\n").filter((l) =>
    l.includes(MARK) || l.includes(SLEEP)
  );
}

/** Kills whatever a failed test left behind (by pid, only ours). */
function killSurvivors(): void {
  for (const line of survivors()) {
    const pid = Number(line.trim().split(/\s+/)[0]);
    if (pid > 0 && pid !== process.pid) {
      try {
        process.kill(pid, "SIGKILL");
      } catch { /* gone */ }
    }
  }
}

function read(path: string): string {
  return readFileSync(path, "utf8");
}

function outputsMatch(root: string, opts: ExportOptions): boolean {
  return opts.instances.every((i) => {
    const file = join(root, "out", `${i.name}.out`);
    return existsSync(file) && read(file) === expected(i.name, i.port);
  });
}

// ---------------------------------------------------------------- render

describe("renderExport", () => {
  test("knows the formats", () => {
    assert.deepEqual(EXPORT_FORMATS, [
      "systemd",
      "supervisord",
      "compose",
      "kubernetes",
      "runit",
      "launchd",
    ]);
  });

  test("unknown format is a one-line UsageError (exit 2)", () => {
    const err = (() => {
      try {
        renderExport("upstart", options("/srv/x"));
      } catch (e) {
        return e;
      }
    })();
    assert.ok(err instanceof UsageError);
    assert.equal(err.exitCode, 2);
    assert.ok(!err.message.includes("\n"));
    assert.match(err.message, /unknown export format "upstart"/);
  });

  test("no instances, relative root, bad user are errors", () => {
    const base = options("/srv/x");
    assert.throws(
      () => renderExport("systemd", { ...base, instances: [] }),
      (e) => e instanceof TendError && /nothing to export/.test(e.message),
    );
    assert.throws(
      () => renderExport("systemd", { ...base, appRoot: "srv" }),
      UsageError,
    );
    assert.throws(
      () => renderExport("systemd", { ...base, user: "a b" }),
      UsageError,
    );
  });

  test("every instance gets PORT and PS; env PORT does not leak", () => {
    const conf = renderExport("supervisord", options("/srv/x")).get(
      "tend-test.conf",
    )!.content;
    assert.match(conf, /PORT="6000",PS="web\.1"/);
    assert.match(conf, /PORT="6001",PS="web\.2"/);
    assert.match(conf, /PORT="6100",PS="Back_Worker\.1"/);
    assert.doesNotMatch(conf, /PORT="1"/);
  });

  test("files holding the environment are 0600", () => {
    for (const format of EXPORT_FORMATS) {
      const files = renderExport(format, options("/srv/x", { user: "0" }));
      for (const [path, file] of files) {
        const holdsEnv = file.content.includes("t0ken");
        if (holdsEnv) assert.equal(file.mode, 0o600, `${format} ${path}`);
      }
    }
  });

  test("a carriage return cannot go into supervisord", () => {
    const opts = options("/srv/x");
    opts.env.GREETING = "a\rb";
    assert.throws(
      () => renderExport("supervisord", opts),
      (e) => e instanceof TendError && /carriage return/.test(e.message),
    );
  });
});

// ---------------------------------------------------------------- supervisord

/** Starts supervisord in the foreground on ROOT/export/*.conf. */
function startSupervisord(root: string): ChildProcess {
  const main = join(root, "supervisord.conf");
  writeFileSync(
    main,
    [
      "[unix_http_server]",
      `file=${root}/supervisor.sock`,
      "[supervisord]",
      "nodaemon=true",
      `logfile=${root}/supervisord.log`,
      `pidfile=${root}/supervisord.pid`,
      `childlogdir=${root}`,
      "[rpcinterface:supervisor]",
      "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
      "[include]",
      `files=${root}/export/*.conf`,
      "",
    ].join("\n"),
  );
  return spawn("supervisord", ["-n", "-c", main], {
    detached: true,
    stdio: "ignore",
  });
}

describe("supervisord", () => {
  test(
    "runs every instance with exact env and kills the whole group",
    { skip: skipUnless(has("supervisord"), "supervisord not installed") },
    async () => {
      const root = tempRoot();
      let child: ChildProcess | undefined;
      try {
        const logs = join(root, "logs");
        mkdirSync(logs);
        const isRoot = process.getuid?.() === 0;
        const opts = options(root, {
          logDir: logs,
          ...(isRoot ? { user: "root" } : {}),
        });
        const written = await writeExport(
          "supervisord",
          join(root, "export"),
          opts,
        );
        assert.deepEqual(written, [join(root, "export", "tend-test.conf")]);
        const conf = read(written[0]);
        // PLAIN fits environment=; GREETING has both quotes and a newline,
        // so it travels through /usr/bin/env in command=.
        assert.match(conf, /^environment=.*PLAIN="plain 100%% /m);
        assert.match(conf, /^command=\/usr\/bin\/env GREETING=/m);
        assert.match(conf, /^stopasgroup=true$/m);
        assert.match(conf, /^killasgroup=true$/m);
        assert.match(conf, /^\[group:tend-test\]$/m);

        child = startSupervisord(root);
        await waitFor(
          () => outputsMatch(root, opts) || child!.exitCode !== null,
          15_000,
          "every instance's output",
        );
        assert.equal(child.exitCode, null, read(`${root}/supervisord.log`));
        for (const i of opts.instances) {
          assert.equal(
            read(join(root, "out", `${i.name}.out`)),
            expected(i.name, i.port),
          );
        }
        assert.ok(survivors().length >= 6, "shells and sleeps are running");
        child.kill("SIGTERM");
        await exited(child);
        await waitFor(() => survivors().length === 0, 5_000, "no survivors");
      } finally {
        if (child && child.exitCode === null && child.pid) {
          try {
            process.kill(-child.pid, "SIGKILL");
          } catch { /* already gone */ }
        }
        killSurvivors();
        rmSync(root, { recursive: true, force: true });
      }
    },
  );
});

// ---------------------------------------------------------------- systemd

/** systemd's unquoting of one ExecStart word (C escapes, %% and $$). */
function systemdUnquote(word: string): string {
  assert.ok(word.startsWith('"') && word.endsWith('"'), word);
  const body = word.slice(1, -1);
  let out = "";
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === "\\") {
      const n = body[++i];
      if (n === "x") {
        out += String.fromCharCode(parseInt(body.slice(i + 1, i + 3), 16));
        i += 2;
      } else {
        out += ({ n: "\n", t: "\t", r: "\r" } as Record<string, string>)[n] ??
          n;
      }
    } else if ((c === "%" || c === "$") && body[i + 1] === c) {
      out += c;
      i++;
    } else {
      assert.ok(c !== "%" && c !== "$" && c !== '"', `unescaped ${c}`);
      out += c;
    }
  }
  return out;
}

describe("systemd", () => {
  const noVerify = skipUnless(
    has("systemd-analyze"),
    "systemd-analyze not installed",
  );

  test("writes units, targets and a 0600 environment file", async () => {
    const root = tempRoot();
    try {
      const dir = join(root, "units");
      const written = await writeExport("systemd", dir, options(root));
      const names = written.map((p) => p.slice(dir.length + 1)).sort();
      assert.deepEqual(names, [
        "tend-test-Back_Worker-1.service",
        "tend-test-Back_Worker.target",
        "tend-test-web-1.service",
        "tend-test-web-2.service",
        "tend-test-web.target",
        "tend-test.env",
        "tend-test.target",
      ]);
      assert.equal(statSync(join(dir, "tend-test.env")).mode & 0o777, 0o600);
      assert.equal(
        statSync(join(dir, "tend-test.target")).mode & 0o777,
        0o644,
      );
      const app = read(join(dir, "tend-test.target"));
      assert.match(
        app,
        /^Wants=tend-test-web\.target tend-test-Back_Worker\.target$/m,
      );
      assert.match(app, /^WantedBy=multi-user\.target$/m);
      assert.match(
        read(join(dir, "tend-test-web.target")),
        /^Wants=tend-test-web-1\.service tend-test-web-2\.service$/m,
      );
      const unit = read(join(dir, "tend-test-web-2.service"));
      for (
        const line of [
          "Restart=always",
          "KillMode=control-group",
          `WorkingDirectory=${root}`,
          `EnvironmentFile=${dir}/tend-test.env`,
          'Environment="PORT=6001" "PS=web.2"',
          "PartOf=tend-test-web.target",
        ]
      ) {
        assert.ok(unit.split("\n").includes(line), `${line} in\n${unit}`);
      }
      assert.doesNotMatch(unit, /^User=/m);
      // ExecStart decodes to exactly the command.
      const exec = /^ExecStart=\/bin\/sh -c (".*")$/m.exec(unit);
      assert.ok(exec, unit);
      assert.equal(systemdUnquote(exec[1]), command("web"));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  test("the environment file reads back exactly (sh, same rules)", async () => {
    const root = tempRoot();
    try {
      const dir = join(root, "units");
      await writeExport("systemd", dir, options(root));
      const env = read(join(dir, "tend-test.env"));
      assert.doesNotMatch(env, /^(PORT|PS)=/m);
      // systemd's EnvironmentFile parser unescapes exactly what sh does
      // inside double quotes (\ " $ `) and keeps newlines.
      const sh = spawnSync("sh", [
        "-c",
        `set -a; . "$1"; printf '%s|%s|%s' "$GREETING" "$PLAIN" "$API_TOKEN"`,
        "sh",
        join(dir, "tend-test.env"),
      ], { encoding: "utf8", env: {} });
      assert.equal(sh.status, 0, sh.stderr);
      assert.equal(sh.stdout, `${TRICKY}|${PLAIN}|t0ken`);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  test(
    "systemd-analyze verify accepts the units with no warning",
    { skip: noVerify },
    async () => {
      const root = tempRoot();
      try {
        const dir = join(root, "units");
        // User=root and an existing WorkingDirectory, so nothing is missing
        // on this machine: any output at all is a real complaint.
        const written = await writeExport(
          "systemd",
          dir,
          options(root, { user: "root", logDir: join(root, "logs") }),
        );
        const units = written.filter((p) => !p.endsWith(".env"));
        const verify = spawnSync("systemd-analyze", ["verify", ...units], {
          encoding: "utf8",
        });
        assert.equal(verify.status, 0, verify.stderr);
        assert.equal(verify.stderr.trim(), "");
        assert.equal(verify.stdout.trim(), "");
        assert.match(
          read(units.find((p) => p.endsWith("web-1.service"))!),
          /^User=root$/m,
        );

        // The check has teeth: a broken escape and a missing binary are
        // reported.
        const bad = join(root, "bad.service");
        writeFileSync(
          bad,
          '[Service]\nExecStart=/bin/sh -c "a \\q"\n',
        );
        const badVerify = spawnSync("systemd-analyze", ["verify", bad], {
          encoding: "utf8",
        });
        assert.match(badVerify.stderr, /escape/i);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    },
  );
});

// ---------------------------------------------------------------- compose

describe("compose", () => {
  test("one service per type with replicas, PORT and PS", () => {
    const text = renderExport("compose", options("/srv/app")).get(
      "compose.yaml",
    )!.content;
    assert.match(text, /^ {6}replicas: 2$/m);
    assert.match(text, /\\"\$\$PORT\\"/);
    assert.match(text, /^ {4}image: "tend-test:latest"$/m);
  });

  test(
    "docker-compose config accepts it and reads the values back",
    {
      skip: skipUnless(
        has("docker-compose") && PY_YAML,
        "docker-compose or python3-yaml not installed",
      ),
    },
    async () => {
      const root = tempRoot();
      try {
        const dir = join(root, "compose");
        const opts = options(root, { user: "1000", image: "busybox:1" });
        const [file] = await writeExport("compose", dir, opts);
        // No "variable is not set" warning: every $ was escaped.
        const quiet = spawnSync(
          "docker-compose",
          ["-f", file, "config", "-q"],
          {
            encoding: "utf8",
            cwd: dir,
          },
        );
        assert.equal(quiet.status, 0, quiet.stderr);
        assert.equal(quiet.stderr.trim(), "");
        const full = spawnSync("docker-compose", ["-f", file, "config"], {
          encoding: "utf8",
          cwd: dir,
        });
        assert.equal(full.status, 0, full.stderr);
        // docker-compose prints the interpolated file with $ re-escaped.
        const [doc] = pyYaml(full.stdout) as {
          services: Record<string, Record<string, unknown>>;
        }[];
        const esc = (s: string) => s.replaceAll("$", "$$$$");
        const web = doc.services.web;
        assert.deepEqual(web.command, ["sh", "-c", esc(command("web"))]);
        assert.deepEqual(web.deploy, { replicas: 2 });
        assert.equal(web.working_dir, root);
        assert.equal(web.user, "1000");
        assert.equal(web.image, "busybox:1");
        const env = web.environment as Record<string, string>;
        assert.equal(env.GREETING, esc(TRICKY));
        assert.equal(env.PORT, "6000");
        assert.equal(env.PS, "web");
        assert.equal(
          (doc.services.Back_Worker.environment as Record<string, string>)
            .PORT,
          "6100",
        );
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    },
  );
});

// ---------------------------------------------------------------- kubernetes

const DNS_1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

describe("kubernetes", () => {
  test("documents validate with kubernetes-models", () => {
    const docs = kubernetesDocuments(options("/srv/app"));
    assert.deepEqual(docs.map((d) => d.kind), [
      "ConfigMap",
      "Secret",
      "Deployment",
      "Deployment",
      "Service",
    ]);
    for (const doc of docs) _validate(doc);
  });

  test("secret-looking names go to the Secret, the rest to the ConfigMap", () => {
    const docs = kubernetesDocuments(options("/srv/app", {
      env: { DB_PASSWORD: "p", stripe_key: "k", MY_SECRET: "s", MODE: "x" },
    })) as { kind: string; data?: object; stringData?: object }[];
    assert.deepEqual(Object.keys(docs[0].data!), ["MODE"]);
    assert.deepEqual(Object.keys(docs[1].stringData!), [
      "DB_PASSWORD",
      "stripe_key",
      "MY_SECRET",
    ]);
  });

  test("deployments: replicas, command, env, names", () => {
    type Dep = {
      metadata: { name: string };
      spec: {
        replicas: number;
        template: {
          spec: {
            containers: {
              name: string;
              command: string[];
              env: { name: string; value: string }[];
              envFrom: unknown[];
              ports?: { containerPort: number }[];
            }[];
          };
        };
      };
    };
    const docs = kubernetesDocuments(options("/srv/app")) as unknown as Dep[];
    const [web, worker] = [docs[2], docs[3]];
    assert.equal(web.metadata.name, "tend-test-web");
    assert.equal(worker.metadata.name, "tend-test-back-worker");
    assert.equal(web.spec.replicas, 2);
    assert.equal(worker.spec.replicas, 1);
    const c = web.spec.template.spec.containers[0];
    // Kubernetes turns $$ into $ and expands $(VAR) in command.
    assert.deepEqual(c.command, [
      "sh",
      "-c",
      command("web").replaceAll("$", "$$$$"),
    ]);
    assert.deepEqual(c.env, [
      { name: "PORT", value: "6000" },
      { name: "PS", value: "web" },
    ]);
    assert.equal(c.envFrom.length, 2);
    assert.deepEqual(c.ports?.map((p) => p.containerPort), [6000]);
    assert.equal(
      worker.spec.template.spec.containers[0].ports,
      undefined,
    );
    for (const d of docs) assert.match(d.metadata.name, DNS_1123);
  });

  test("long and clashing names", () => {
    const long = options("/srv/app", {
      app: "x".repeat(80),
      instances: [{
        type: "t".repeat(80),
        index: 1,
        name: "t.1",
        command: "c",
        port: 5000,
      }],
    });
    for (const doc of kubernetesDocuments(long)) {
      const name = (doc.metadata as { name: string }).name;
      assert.ok(name.length <= 63 && DNS_1123.test(name), name);
      _validate(doc);
    }
    const clash = options("/srv/app", {
      instances: ["a_b", "a-b"].map((type, k) => ({
        type,
        index: 1,
        name: `${type}.1`,
        command: "c",
        port: 5000 + 100 * k,
      })),
    });
    assert.throws(() => renderExport("kubernetes", clash), TendError);
    assert.throws(
      () => renderExport("kubernetes", options("/srv/app", { user: "root" })),
      /numeric user id/,
    );
  });

  test(
    "the YAML reads back (PyYAML) as the validated documents",
    { skip: skipUnless(PY_YAML, "python3-yaml not installed") },
    async () => {
      const root = tempRoot();
      try {
        const opts = options(root, { user: "1000" });
        const [file] = await writeExport("kubernetes", join(root, "k"), opts);
        assert.ok(file.endsWith("tend-test.yaml"));
        const docs = pyYaml(read(file));
        assert.deepEqual(docs, kubernetesDocuments(opts));
        for (const doc of docs) _validate(doc as Record<string, unknown>);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    },
  );
});

function _validate(doc: Record<string, unknown>): void {
  switch (doc.kind) {
    case "ConfigMap":
      new ConfigMap(doc as ConstructorParameters<typeof ConfigMap>[0])
        .validate();
      break;
    case "Secret":
      new Secret(doc as ConstructorParameters<typeof Secret>[0]).validate();
      break;
    case "Deployment":
      new Deployment(doc as ConstructorParameters<typeof Deployment>[0])
        .validate();
      break;
    case "Service":
      new Service(doc as ConstructorParameters<typeof Service>[0]).validate();
      break;
    case "Job":
      new Job(doc as ConstructorParameters<typeof Job>[0]).validate();
      break;
    default:
      assert.fail(`unexpected kind ${doc.kind}`);
  }
}

// ---------------------------------------------------------------- yaml

describe("yaml emitter", () => {
  test(
    "awkward keys and strings survive PyYAML",
    { skip: skipUnless(PY_YAML, "python3-yaml not installed") },
    () => {
      const value: YamlValue = {
        ON: "y",
        no: "off",
        "a b": "#x",
        "1": "1",
        list: ["", "- x", "a: b", "\u2028\x85\x7f\ufeff\t\0", "😀 é"],
        nested: [{ a: 1, b: [true, null] }, { c: {} }],
        empty: [],
      };
      assert.deepEqual(pyYaml(toYaml(value)), [value]);
    },
  );
});

// ---------------------------------------------------------------- runit

describe("runit", () => {
  test("the run script starts the command with the exact env", async () => {
    const root = tempRoot();
    const children: ChildProcess[] = [];
    try {
      const dir = join(root, "sv");
      const opts = options(root, { logDir: join(root, "logs") });
      const written = await writeExport("runit", dir, opts);
      assert.equal(written.length, 9);
      const svc = join(dir, "tend-test-web-2");
      assert.equal(statSync(join(svc, "run")).mode & 0o777, 0o755);
      assert.equal(statSync(join(svc, "env")).mode & 0o777, 0o600);
      assert.equal(statSync(join(svc, "log", "run")).mode & 0o777, 0o755);
      // runsv starts ./run in the service directory.
      for (const i of opts.instances) {
        children.push(spawn("./run", [], {
          cwd: join(dir, `tend-test-${i.type}-${i.index}`),
          detached: true,
          stdio: "ignore",
          env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
        }));
      }
      await waitFor(() => outputsMatch(root, opts), 10_000, "run outputs");
    } finally {
      for (const child of children) {
        try {
          process.kill(-child.pid!, "SIGKILL");
        } catch { /* gone */ }
        await exited(child);
      }
      rmSync(root, { recursive: true, force: true });
    }
  });
});

// ---------------------------------------------------------------- launchd

describe("launchd", () => {
  test(
    "plists read back (plistlib) and run with the exact env",
    { skip: skipUnless(PY, "python3 not installed") },
    async () => {
      const root = tempRoot();
      const children: ChildProcess[] = [];
      try {
        const opts = options(root, { user: "nobody" });
        opts.env.CR = "a\rb"; // XML parsers turn a raw CR into a newline
        const written = await writeExport("launchd", join(root, "l"), opts);
        assert.equal(written.length, 3);
        // One Python run for all files: interpreter start-up is slow.
        const out = spawnSync("python3", [
          "-c",
          "import json, plistlib, sys; print(json.dumps([plistlib.load(open(f, 'rb')) for f in sys.argv[1:]]))",
          ...written,
        ], { encoding: "utf8" });
        assert.equal(out.status, 0, out.stderr);
        const plists = JSON.parse(out.stdout) as {
          Label: string;
          ProgramArguments: string[];
          EnvironmentVariables: Record<string, string>;
          WorkingDirectory: string;
          UserName: string;
          KeepAlive: boolean;
        }[];
        for (const [k, plist] of plists.entries()) {
          const i = opts.instances[k];
          assert.equal(plist.Label, `tend-test-${i.type}-${i.index}`);
          assert.deepEqual(plist.ProgramArguments, [
            "/bin/sh",
            "-c",
            i.command,
          ]);
          assert.equal(plist.EnvironmentVariables.CR, "a\rb");
          assert.equal(plist.EnvironmentVariables.PORT, String(i.port));
          assert.equal(plist.UserName, "nobody");
          assert.equal(plist.KeepAlive, true);
          const [exe, ...args] = plist.ProgramArguments;
          children.push(spawn(exe, args, {
            cwd: plist.WorkingDirectory,
            env: plist.EnvironmentVariables,
            detached: true,
            stdio: "ignore",
          }));
        }
        await waitFor(() => outputsMatch(root, opts), 10_000, "outputs");
      } finally {
        for (const child of children) {
          try {
            process.kill(-child.pid!, "SIGKILL");
          } catch { /* gone */ }
          await exited(child);
        }
        rmSync(root, { recursive: true, force: true });
      }
    },
  );
});

// ---------------------------------------------------------------- writing

function listing(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const path = join(dir, name);
    out[name] = statSync(path).isDirectory() ? "<dir>" : read(path);
  }
  return out;
}

describe("writeExport", () => {
  test("a directory under a regular file: TendError, nothing written", async () => {
    const root = tempRoot();
    try {
      writeFileSync(join(root, "file"), "x");
      const before = listing(root);
      const dir = join(root, "file", "sub", "out");
      await assert.rejects(
        writeExport("systemd", dir, options(root)),
        (e) =>
          e instanceof TendError && e.exitCode === 1 &&
          e.message.includes(join(root, "file")),
      );
      assert.deepEqual(listing(root), before);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  test("creates missing parents", async () => {
    const root = tempRoot();
    try {
      const dir = join(root, "a", "b");
      const written = await writeExport("compose", dir, options(root));
      assert.deepEqual(written, [join(dir, "compose.yaml")]);
      assert.deepEqual(readdirSync(dir), ["compose.yaml"]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  test("an existing file without force: TendError naming it, nothing written", async () => {
    const root = tempRoot();
    try {
      const dir = join(root, "units");
      mkdirSync(dir);
      writeFileSync(join(dir, "tend-test-web-2.service"), "mine");
      writeFileSync(join(dir, "unrelated"), "keep");
      const before = listing(dir);
      await assert.rejects(
        writeExport("systemd", dir, options(root)),
        (e) =>
          e instanceof TendError && e.exitCode === 1 &&
          e.path === join(dir, "tend-test-web-2.service") &&
          /already exists/.test(e.message),
      );
      assert.deepEqual(listing(dir), before);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  test("an existing file in a nested directory (runit) also blocks", async () => {
    const root = tempRoot();
    try {
      const dir = join(root, "sv");
      mkdirSync(join(dir, "tend-test-web-1", "log"), { recursive: true });
      writeFileSync(join(dir, "tend-test-web-1", "log", "run"), "mine");
      const before = listing(dir);
      await assert.rejects(
        writeExport("runit", dir, options(root)),
        (e) =>
          e instanceof TendError &&
          e.path === join(dir, "tend-test-web-1", "log", "run"),
      );
      assert.deepEqual(listing(dir), before);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  test("force overwrites and sets the modes", async () => {
    const root = tempRoot();
    try {
      const dir = join(root, "units");
      mkdirSync(dir);
      writeFileSync(join(dir, "tend-test.env"), "old");
      chmodSync(join(dir, "tend-test.env"), 0o666);
      writeFileSync(join(dir, "unrelated"), "keep");
      const written = await writeExport(
        "systemd",
        dir,
        options(root, { force: true }),
      );
      assert.equal(written.length, 7);
      const env = read(join(dir, "tend-test.env"));
      assert.match(env, /^API_TOKEN="t0ken"$/m);
      assert.equal(statSync(join(dir, "tend-test.env")).mode & 0o777, 0o600);
      assert.equal(read(join(dir, "unrelated")), "keep");
      assert.deepEqual(
        readdirSync(dir).filter((n) => n.startsWith(".tend-export")),
        [],
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  test("a directory in the way is an error even with force", async () => {
    const root = tempRoot();
    try {
      const dir = join(root, "c");
      mkdirSync(join(dir, "compose.yaml"), { recursive: true });
      await assert.rejects(
        writeExport("compose", dir, options(root, { force: true })),
        (e) => e instanceof TendError && /is a directory/.test(e.message),
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

// ---------------------------------------------------------------- templates

describe("templates", () => {
  test("a template file overrides the built-in one", () => {
    const root = tempRoot();
    try {
      const t = join(root, "t");
      mkdirSync(t);
      writeFileSync(
        join(t, "program.conf"),
        "\n[program:{{PROGRAM}}]\ncommand={{COMMAND}}\nenvironment={{ENVIRONMENT}}\n{{USER_LINE}}\npriority=5\n",
      );
      const conf =
        renderExport("supervisord", options(root, { templateDir: t }))
          .get("tend-test.conf")!.content;
      assert.match(conf, /^priority=5$/m);
      assert.match(conf, /^\[group:tend-test\]$/m); // group.conf: built-in
      assert.doesNotMatch(conf, /^user=/m);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  test("unknown placeholders, empty or missing dirs, template-less formats", () => {
    const root = tempRoot();
    try {
      const t = join(root, "t");
      mkdirSync(t);
      assert.throws(
        () => renderExport("systemd", options(root, { templateDir: t })),
        (e) => e instanceof TendError && /no systemd templates/.test(e.message),
      );
      assert.throws(
        () =>
          renderExport("systemd", options(root, { templateDir: join(t, "x") })),
        TendError,
      );
      writeFileSync(join(t, "app.target"), "[Unit]\nWants={{TYPE_TARGET}}\n");
      assert.throws(
        () => renderExport("systemd", options(root, { templateDir: t })),
        (e) =>
          e instanceof TendError && e.path === join(t, "app.target") &&
          e.line === 2 && /TYPE_TARGET/.test(e.message),
      );
      assert.throws(
        () => renderExport("compose", options(root, { templateDir: t })),
        UsageError,
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

// ------------------------------------------- release, start order, readiness

/** One line in $OUT/release.runs per run, then exit $RELEASE_EXIT (0). */
const RELEASE_CMD =
  `echo ran >>"$OUT/release.runs"; exit "\${RELEASE_EXIT:-0}"`;

/**
 * A Procfile with a release phase (not first, as order must not come from
 * the file), `Back_Worker after=web`, `clock after=Back_Worker`, and an
 * http, an exec and a log probe.
 */
function phased(
  root: string,
  extra: Partial<ExportOptions> = {},
): ExportOptions {
  const instances = plan([
    { name: "web", command: command("web"), line: 1 },
    { name: "release", command: RELEASE_CMD, line: 2 },
    { name: "Back_Worker", command: command("worker"), line: 3 },
    { name: "clock", command: command("clock"), line: 4 },
  ], { formation: parseFormation("web=2"), basePort: 6000 });
  return {
    ...options(root),
    instances,
    order: new Map([["Back_Worker", ["web"]], ["clock", ["Back_Worker"]]]),
    ready: new Map<string, Probe>([
      ["web", { kind: "http", path: "/health" }],
      ["Back_Worker", { kind: "exec", command: 'test -e "$OUT/ok"' }],
      ["clock", { kind: "log", pattern: "tick" }],
    ]),
    ...extra,
  };
}

/** The tcp variant: web on its own port, Back_Worker on another host. */
const TCP_READY = new Map<string, Probe>([
  ["web", { kind: "tcp" }],
  ["Back_Worker", { kind: "tcp", host: "db", port: 5432 }],
]);

/** Runs `sh -c script` without blocking the event loop (servers here). */
function shStatus(
  script: string,
  env: Record<string, string> = {},
  cwd?: string,
): Promise<number | null> {
  const child = spawn("/bin/sh", ["-c", script], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env },
    cwd,
    stdio: "ignore",
  });
  return new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}

async function listening<T extends NetServer | HttpServer>(
  server: T,
  host = "127.0.0.1",
): Promise<{ server: T; port: number }> {
  server.listen(0, host);
  await new Promise((r) => server.once("listening", r));
  return { server, port: (server.address() as { port: number }).port };
}

function closed(server: NetServer | HttpServer): Promise<void> {
  return new Promise((r) => server.close(() => r()));
}

describe("phases", () => {
  test("release first, then the declared order; ranks; no probe for release", () => {
    const p = phases({
      ...phased("/srv/x"),
      order: new Map([["Back_Worker", ["web"]], ["release", ["web"]]]),
      ready: new Map<string, Probe>([["release", { kind: "tcp" }]]),
    });
    assert.equal(p.release, true);
    assert.deepEqual(Object.fromEntries(p.after), {
      web: ["release"],
      release: [],
      Back_Worker: ["web", "release"],
      clock: ["release"],
    });
    assert.deepEqual(Object.fromEntries(p.rank), {
      web: 1,
      release: 0,
      Back_Worker: 2,
      clock: 1,
    });
    assert.equal(p.ready.size, 0);
  });

  test("a type left out (count 0) is not waited for; a cycle is an error", () => {
    const opts = phased("/srv/x");
    const p = phases({
      ...opts,
      instances: opts.instances.filter((i) => i.type !== "web"),
    });
    assert.deepEqual(p.after.get("Back_Worker"), ["release"]);
    for (const format of EXPORT_FORMATS) {
      assert.throws(
        () =>
          renderExport(format, {
            ...opts,
            user: "0",
            order: new Map([["web", ["clock"]], ["clock", ["web"]]]),
          }),
        (e) =>
          e instanceof TendError &&
          /start order has a cycle: web -> clock -> web/.test(e.message),
        format,
      );
    }
  });

  test("probe checks pass and fail under sh: tcp (/proc, bash), http (curl, wget), exec", async () => {
    const check = (probe: Probe, port: number) => probeCheck(probe, port)!;
    const tcp = await listening(createNetServer());
    const other = await listening(createNetServer(), "127.0.0.2");
    const http = await listening(createHttpServer((req, res) => {
      res.writeHead(req.url === "/health" ? 204 : 503).end();
    }));
    // A PATH with only the tools linked here: an image without the rest.
    const bin = tempDir({}, "tend-export-bin-");
    const link = (name: string) => {
      const path = spawnSync("sh", ["-c", `command -v ${name}`], {
        encoding: "utf8",
      }).stdout.trim();
      symlinkSync(path, join(bin, name));
    };
    try {
      link("grep");
      // Own port: /proc/net/tcp alone decides (no nc, no bash needed).
      const own = check({ kind: "tcp" }, tcp.port);
      assert.equal(await shStatus(own), 0);
      assert.equal(await shStatus(own, { PATH: bin }), 0);
      assert.equal(
        await shStatus(check({ kind: "tcp", port: tcp.port }, 1)),
        0,
      );
      // Another host: nc if installed, else bash's /dev/tcp.
      const remote: Probe = {
        kind: "tcp",
        host: "127.0.0.2",
        port: other.port,
      };
      assert.match(check(remote, 1), /^nc -z /);
      assert.equal(await shStatus(check(remote, 1)), 0);

      const up = check({ kind: "http", path: "/health" }, http.port);
      const down = check({ kind: "http", path: "/down" }, http.port);
      assert.equal(await shStatus(up), 0);
      assert.notEqual(await shStatus(down), 0);
      if (has("wget")) {
        link("wget"); // and no curl
        assert.equal(await shStatus(up, { PATH: bin }), 0);
        assert.notEqual(await shStatus(down, { PATH: bin }), 0);
      }

      await closed(tcp.server);
      await closed(other.server);
      assert.notEqual(await shStatus(own), 0);
      assert.notEqual(await shStatus(check(remote, 1)), 0);
    } finally {
      for (const server of [tcp.server, other.server, http.server]) {
        if (server.listening) await closed(server);
      }
      rmSync(bin, { recursive: true, force: true });
    }

    const exec = check({ kind: "exec", command: 'test -e "$F"; exit' }, 1);
    assert.equal(await shStatus(exec, { F: "/" }), 0);
    assert.notEqual(await shStatus(exec, { F: "/nonexistent" }), 0);
    assert.equal(probeCheck({ kind: "log", pattern: "x" }, 1), undefined);
  });
});

describe("systemd: release, order, readiness", () => {
  const lines = (text: string) => text.split("\n");
  const noVerify = skipUnless(
    has("systemd-analyze"),
    "systemd-analyze not installed: units not verified",
  );

  test(
    "a oneshot release the others require, After=/Wants= targets, ExecStartPost probes; verify accepts it",
    async () => {
      const root = tempRoot();
      try {
        const dir = join(root, "units");
        const opts = phased(root, {
          user: "root",
          logDir: join(root, "logs"),
        });
        const written = await writeExport("systemd", dir, opts);
        const unit = (name: string) => read(join(dir, `tend-test-${name}`));
        const release = lines(unit("release-1.service"));
        for (
          const line of [
            "Type=oneshot",
            "RemainAfterExit=yes",
            "PartOf=tend-test-release.target",
            'Environment="PORT=6000" "PS=release.1"',
          ]
        ) {
          assert.ok(release.includes(line), line);
        }
        assert.deepEqual(
          release.filter((l) => /^(Restart|After|Requires|Wants)=/.test(l)),
          ["After=network.target"],
        );
        assert.equal(
          systemdUnquote(
            /^ExecStart=\/bin\/sh -c (".*")$/m.exec(
              unit("release-1.service"),
            )![1],
          ),
          RELEASE_CMD,
        );

        const web = lines(unit("web-2.service"));
        for (
          const line of [
            "After=tend-test-release-1.service",
            "Requires=tend-test-release-1.service",
            "Restart=always",
          ]
        ) {
          assert.ok(web.includes(line), line);
        }
        // The wait loop runs exactly the probe's check.
        const post = /^ExecStartPost=\/bin\/sh -c (".*")$/m.exec(
          unit("web-2.service"),
        );
        assert.ok(post);
        assert.equal(
          systemdUnquote(post[1]),
          `until ${
            probeCheck({ kind: "http", path: "/health" }, 6001)
          }; do sleep 0.2; done`,
        );

        const worker = lines(unit("Back_Worker-1.service"));
        assert.ok(
          worker.includes(
            "After=tend-test-web.target tend-test-release-1.service",
          ),
        );
        assert.ok(worker.includes("Wants=tend-test-web.target"));
        assert.ok(worker.includes("Requires=tend-test-release-1.service"));
        assert.match(unit("Back_Worker-1.service"), /^ExecStartPost=/m);

        const clock = unit("clock-1.service");
        assert.match(
          clock,
          /^After=tend-test-Back_Worker\.target tend-test-release-1\.service$/m,
        );
        assert.doesNotMatch(clock, /^ExecStartPost=/m);
        assert.match(clock, /^# Ready: a log probe cannot be checked/m);

        if (!noVerify) {
          for (const ready of [opts.ready, TCP_READY]) {
            const tcpDir = join(root, `units-${ready === TCP_READY}`);
            const files = await writeExport("systemd", tcpDir, {
              ...opts,
              ready,
            });
            const units = files.filter((p) => !p.endsWith(".env"));
            const verify = spawnSync("systemd-analyze", ["verify", ...units], {
              encoding: "utf8",
            });
            assert.equal(verify.status, 0, verify.stderr);
            assert.equal(verify.stderr.trim() + verify.stdout.trim(), "");
          }
        }
        assert.equal(written.length, 11); // 5 services, 5 targets, env
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    },
  );
});

describe("compose: release, order, readiness", () => {
  type Services = Record<string, Record<string, unknown>>;

  test("restart no, depends_on conditions, healthchecks", {
    skip: skipUnless(PY_YAML, "python3-yaml not installed"),
  }, () => {
    const text = renderExport("compose", phased("/srv/app")).get(
      "compose.yaml",
    )!.content;
    assert.match(text, /^# clock: a log probe cannot be a healthcheck/m);
    const services = (pyYaml(text)[0] as { services: Services }).services;
    assert.equal(services.release.restart, "no");
    assert.equal(services.release.deploy, undefined);
    assert.equal(services.release.depends_on, undefined);
    assert.equal(services.release.healthcheck, undefined);
    const done = { condition: "service_completed_successfully" };
    assert.deepEqual(services.web.depends_on, { release: done });
    assert.deepEqual(services.Back_Worker.depends_on, {
      web: { condition: "service_healthy" },
      release: done,
    });
    assert.deepEqual(services.clock.depends_on, {
      Back_Worker: { condition: "service_healthy" },
      release: done,
    });
    assert.deepEqual(services.web.healthcheck, {
      test: [
        "CMD-SHELL",
        probeCheck({ kind: "http", path: "/health" }, 6000)!
          .replaceAll("$", "$$$$"),
      ],
      interval: "2s",
      timeout: "5s",
      retries: 3,
      start_period: "60s",
    });
    // An exec probe goes in as it is ($ escaped for Compose).
    assert.deepEqual(
      (services.Back_Worker.healthcheck as { test: string[] }).test,
      ["CMD-SHELL", 'test -e "$$OUT/ok"'],
    );
    assert.equal(services.clock.healthcheck, undefined);
    // A log probe is no healthcheck: what comes after it waits for start.
    const logged = pyYaml(
      renderExport("compose", {
        ...phased("/srv/app"),
        ready: new Map([["Back_Worker", { kind: "log", pattern: "up" }]]),
      }).get("compose.yaml")!.content,
    )[0] as { services: Services };
    assert.deepEqual(logged.services.clock.depends_on, {
      Back_Worker: { condition: "service_started" },
      release: done,
    });
  });

  test(
    "docker-compose config accepts every condition and healthcheck",
    {
      skip: skipUnless(
        has("docker-compose") && PY_YAML,
        "docker-compose or python3-yaml not installed",
      ),
    },
    async () => {
      const root = tempRoot();
      try {
        for (const [k, ready] of [phased(root).ready, TCP_READY].entries()) {
          const dir = join(root, `compose-${k}`);
          const opts = phased(root, { image: "busybox:1", ready });
          const [file] = await writeExport("compose", dir, opts);
          const quiet = spawnSync("docker-compose", [
            "-f",
            file,
            "config",
            "-q",
          ], {
            encoding: "utf8",
            cwd: dir,
          });
          assert.equal(quiet.status, 0, quiet.stderr);
          assert.equal(quiet.stderr.trim(), "");
          const full = spawnSync("docker-compose", ["-f", file, "config"], {
            encoding: "utf8",
            cwd: dir,
          });
          assert.equal(full.status, 0, full.stderr);
          const { services } = pyYaml(full.stdout)[0] as {
            services: Services;
          };
          assert.equal(services.release.restart, "no");
          assert.deepEqual(services.web.depends_on, {
            release: { condition: "service_completed_successfully" },
          });
          assert.deepEqual(
            (services.clock.depends_on as Record<string, unknown>)
              .Back_Worker,
            { condition: "service_healthy" },
          );
          const web = services.web.healthcheck as Record<string, unknown>;
          assert.equal((web.test as string[])[0], "CMD-SHELL");
          // docker-compose normalises durations: 60s is 1m.
          assert.equal(web.start_period, "1m");
        }
        // The check has teeth: an unknown condition is rejected.
        const bad = join(root, "bad.yaml");
        writeFileSync(
          bad,
          'services:\n  a:\n    image: "x"\n    depends_on:\n      b:\n        condition: "service_ready"\n  b:\n    image: "x"\n',
        );
        const rejected = spawnSync("docker-compose", [
          "-f",
          bad,
          "config",
          "-q",
        ], {
          encoding: "utf8",
          cwd: root,
        });
        assert.notEqual(rejected.status, 0);
        assert.match(rejected.stderr, /service_ready/);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    },
  );
});

describe("kubernetes: release, order, readiness", () => {
  type Container = Record<string, unknown> & { name: string };
  type Doc = {
    kind: string;
    metadata: { name: string; labels: Record<string, string> };
    spec: {
      backoffLimit?: number;
      template: {
        spec: { restartPolicy?: string; containers: Container[] };
      };
    };
  };
  const container = (doc: Doc) => doc.spec.template.spec.containers[0];

  test("a Job for release, probes, all valid", () => {
    const docs = kubernetesDocuments(phased("/srv/app")) as unknown as Doc[];
    assert.deepEqual(docs.map((d) => `${d.kind} ${d.metadata.name}`), [
      "ConfigMap tend-test-env",
      "Secret tend-test-secret",
      "Job tend-test-release",
      "Deployment tend-test-web",
      "Deployment tend-test-back-worker",
      "Deployment tend-test-clock",
      "Service tend-test-web",
    ]);
    for (const doc of docs) {
      _validate(doc as unknown as Record<string, unknown>);
    }
    const job = docs[2];
    assert.equal(job.spec.backoffLimit, 0);
    assert.equal(job.spec.template.spec.restartPolicy, "Never");
    assert.equal(job.metadata.labels["app.kubernetes.io/component"], "release");
    assert.deepEqual(container(job).command, [
      "sh",
      "-c",
      RELEASE_CMD.replaceAll("$", "$$$$"),
    ]);
    assert.equal(container(job).readinessProbe, undefined);

    const web = container(docs[3]);
    const http = { httpGet: { path: "/health", port: 6000 } };
    assert.deepEqual(web.readinessProbe, {
      ...http,
      periodSeconds: 5,
      timeoutSeconds: 5,
      failureThreshold: 3,
    });
    assert.deepEqual(web.startupProbe, {
      ...http,
      periodSeconds: 2,
      timeoutSeconds: 5,
      failureThreshold: 30,
    });
    // The kubelet expands $(VAR) and $$ in exec probes as in commands.
    assert.deepEqual(
      (container(docs[4]).readinessProbe as { exec: unknown }).exec,
      { command: ["sh", "-c", 'test -e "$$OUT/ok"'] },
    );
    assert.equal(container(docs[5]).readinessProbe, undefined); // log

    const tcp = kubernetesDocuments(
      phased("/srv/app", { ready: TCP_READY }),
    ) as unknown as Doc[];
    for (const doc of tcp) _validate(doc as unknown as Record<string, unknown>);
    assert.deepEqual(
      (container(tcp[3]).startupProbe as { tcpSocket: unknown }).tcpSocket,
      { port: 6000 },
    );
    // Another host is resolved in the pod, not by the kubelet on the node.
    const remote = container(tcp[4]).readinessProbe as {
      exec: { command: string[] };
    };
    assert.equal(
      remote.exec.command[2],
      probeCheck(TCP_READY.get("Back_Worker")!, 6100)!.replaceAll("$", "$$$$"),
    );

    // Without a release there is no Job; with `-c release=0` neither.
    const none = kubernetesDocuments({
      ...phased("/srv/app"),
      instances: phased("/srv/app").instances.filter((i) =>
        i.type !== "release"
      ),
    });
    assert.ok(!none.some((d) => d.kind === "Job"));
  });

  test("the header gives the release recipe and what is not expressed", () => {
    const text = renderExport("kubernetes", phased("/srv/app")).get(
      "tend-test.yaml",
    )!.content;
    const header = text.slice(0, text.indexOf("---"));
    for (
      const line of [
        "#   kubectl delete job tend-test-release --ignore-not-found",
        "#   kubectl apply -f tend-test.yaml -l 'app.kubernetes.io/component!=web,app.kubernetes.io/component!=back-worker,app.kubernetes.io/component!=clock'",
        "#   kubectl wait --for=condition=complete --timeout=600s job/tend-test-release",
        "#   kubectl apply -f tend-test.yaml",
        "# Back_Worker starts after web under tend; Deployments have no order, so it must retry until they answer.",
        "# clock: a log probe has no Kubernetes equivalent; no probe is set.",
      ]
    ) {
      assert.ok(header.split("\n").includes(line), `${line}\n${header}`);
    }
  });

  test(
    "the YAML reads back (PyYAML) as the validated documents",
    { skip: skipUnless(PY_YAML, "python3-yaml not installed") },
    async () => {
      const root = tempRoot();
      try {
        for (const [k, ready] of [phased(root).ready, TCP_READY].entries()) {
          const opts = phased(root, { user: "1000", ready });
          const [file] = await writeExport(
            "kubernetes",
            join(root, `k${k}`),
            opts,
          );
          const docs = pyYaml(read(file));
          assert.deepEqual(docs, kubernetesDocuments(opts));
          for (const doc of docs) _validate(doc as Record<string, unknown>);
        }
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    },
  );
});

describe("supervisord: release, order, readiness", () => {
  test(
    "priorities follow the order; a failed release runs once and is never restarted",
    { skip: skipUnless(has("supervisord"), "supervisord not installed") },
    async () => {
      const root = tempRoot();
      let child: ChildProcess | undefined;
      try {
        const logs = join(root, "logs");
        mkdirSync(logs);
        const opts = phased(root, {
          logDir: logs,
          ...(process.getuid?.() === 0 ? { user: "root" } : {}),
        });
        // Exit 3: an unexpected exit, which autorestart=unexpected (and
        // true) would restart.
        opts.env.RELEASE_EXIT = "3";
        const [file] = await writeExport(
          "supervisord",
          join(root, "export"),
          opts,
        );
        const conf = read(file);
        const section = (name: string) =>
          conf.slice(conf.indexOf(`[program:tend-test-${name}]`)).split(
            "\n\n",
          )[0];
        const release = section("release-1");
        assert.match(release, /^autorestart=false$/m);
        assert.match(release, /^startsecs=0$/m);
        assert.match(release, /^; The release phase: started first/m);
        const priority = (name: string) =>
          Number(/^priority=(\d+)$/m.exec(section(name))![1]);
        assert.deepEqual(
          ["release-1", "web-1", "web-2", "Back_Worker-1", "clock-1"].map(
            priority,
          ),
          [100, 200, 200, 300, 400],
        );
        assert.match(section("web-1"), /^autorestart=true$/m);
        assert.match(
          section("Back_Worker-1"),
          /^; Starts after web under tend; here only later/m,
        );

        child = startSupervisord(root);
        const others = {
          ...opts,
          instances: opts.instances.filter((i) => i.type !== "release"),
        };
        const runs = join(root, "out", "release.runs");
        await waitFor(
          () =>
            (outputsMatch(root, others) && existsSync(runs)) ||
            child!.exitCode !== null,
          15_000,
          "every instance's output",
        );
        assert.equal(child.exitCode, null, read(`${root}/supervisord.log`));
        // supervisord does not wait: the others run although it failed
        // (documented). A restart would come within a second or two.
        await new Promise((r) => setTimeout(r, 2500));
        assert.equal(read(runs), "ran\n");
        assert.match(
          read(`${root}/supervisord.log`),
          /exited: tend-test-release-1 \(exit status 3; not expected\)/,
        );
        child.kill("SIGTERM");
        await exited(child);
        await waitFor(() => survivors().length === 0, 5_000, "no survivors");
      } finally {
        if (child && child.exitCode === null && child.pid) {
          try {
            process.kill(-child.pid, "SIGKILL");
          } catch { /* already gone */ }
        }
        killSurvivors();
        rmSync(root, { recursive: true, force: true });
      }
    },
  );
});

describe("runit: release, order, readiness", () => {
  const PATH_ONLY = { PATH: process.env.PATH ?? "/usr/bin:/bin" };

  /** Starts a service's ./run as runsv would: in its directory. */
  function runService(
    dir: string,
    env: Record<string, string> = {},
  ): ChildProcess {
    return spawn("./run", [], {
      cwd: dir,
      detached: true,
      stdio: "ignore",
      env: { ...PATH_ONLY, ...env },
    });
  }

  async function killGroup(child: ChildProcess): Promise<void> {
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch { /* gone */ }
    await exited(child);
  }

  test("the release runs once, then sleeps; ./check passes only for this run's success", async () => {
    const root = tempRoot();
    const children: ChildProcess[] = [];
    try {
      const dir = join(root, "sv");
      const written = await writeExport("runit", dir, phased(root));
      assert.deepEqual(
        written.filter((p) => p.endsWith("/check")).map((p) =>
          p.slice(dir.length + 1)
        ),
        [
          "tend-test-web-1/check",
          "tend-test-web-2/check",
          "tend-test-release-1/check",
          "tend-test-Back_Worker-1/check",
        ], // not clock: a log probe
      );
      const svc = join(dir, "tend-test-release-1");
      const runs = join(root, "out", "release.runs");
      const released = join(svc, "released");
      mkdirSync(join(svc, "supervise"));
      const runsvPid = (pid: number | undefined) =>
        writeFileSync(join(svc, "supervise", "pid"), `${pid}\n`);
      const check = () => shStatus("./check", {}, svc);

      const ok = runService(svc);
      children.push(ok);
      await waitFor(() => existsSync(released), 10_000, "./released");
      assert.equal(read(released), `${ok.pid}\n`);
      runsvPid(ok.pid);
      assert.equal(await check(), 0);
      runsvPid(1); // another run of the service: the marker is stale
      assert.notEqual(await check(), 0);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(ok.exitCode, null, "stays up, or runsv would rerun it");
      assert.equal(read(runs), "ran\n");
      await killGroup(ok);

      const failed = runService(svc, { RELEASE_EXIT: "3" });
      children.push(failed);
      await waitFor(() => read(runs) === "ran\nran\n", 10_000, "second run");
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(failed.exitCode, null);
      assert.ok(!existsSync(released), "the old marker is gone");
      runsvPid(failed.pid);
      assert.notEqual(await check(), 0);
    } finally {
      for (const child of children) await killGroup(child);
      rmSync(root, { recursive: true, force: true });
    }
  });

  test("a service runs sv start on what it comes after, and starts only if that succeeds", async () => {
    const root = tempRoot();
    const children: ChildProcess[] = [];
    try {
      const dir = join(root, "sv");
      const opts = phased(root);
      await writeExport("runit", dir, opts);
      const run = (name: string) => read(join(dir, `tend-test-${name}`, "run"));
      assert.match(
        run("web-1"),
        /^sv -w 60 start '\.\.\/tend-test-release-1' \|\| exit 1$/m,
      );
      assert.match(
        run("clock-1"),
        /^sv -w 60 start '\.\.\/tend-test-Back_Worker-1' '\.\.\/tend-test-release-1' \|\| exit 1$/m,
      );
      assert.match(run("clock-1"), /^# Its log probe has no runit equivalent/m);
      assert.doesNotMatch(run("release-1"), /^sv /m);

      // A stand-in for sv that logs its arguments: runit is not needed to
      // see what the script asks of it.
      const bin = join(root, "bin");
      mkdirSync(bin);
      writeFileSync(
        join(bin, "sv"),
        '#!/bin/sh\necho "$@" >>"$SV_LOG"\nexit "${SV_EXIT:-0}"\n',
      );
      chmodSync(join(bin, "sv"), 0o755);
      const svLog = join(root, "sv.log");
      const svc = join(dir, "tend-test-Back_Worker-1");
      const env = { PATH: `${bin}:${PATH_ONLY.PATH}`, SV_LOG: svLog };
      const worker = opts.instances.find((i) => i.type === "Back_Worker")!;
      const out = join(root, "out", `${worker.name}.out`);

      const refused = runService(svc, { ...env, SV_EXIT: "1" });
      children.push(refused);
      await exited(refused);
      assert.equal(refused.exitCode, 1);
      assert.ok(!existsSync(out), "the command did not run");
      assert.equal(
        read(svLog),
        "-w 60 start ../tend-test-web-1 ../tend-test-web-2 ../tend-test-release-1\n",
      );

      const started = runService(svc, env);
      children.push(started);
      await waitFor(
        () =>
          existsSync(out) && read(out) === expected(worker.name, worker.port),
        10_000,
        "the worker's output",
      );
    } finally {
      for (const child of children) await killGroup(child);
      rmSync(root, { recursive: true, force: true });
    }
  });

  test("a probe's ./check passes once the service is ready", async () => {
    const root = tempRoot();
    const http = await listening(createHttpServer((req, res) => {
      res.writeHead(req.url === "/health" ? 200 : 404).end();
    }));
    try {
      const dir = join(root, "sv");
      await writeExport("runit", dir, {
        app: "t",
        appRoot: root,
        env: {},
        instances: [
          {
            type: "web",
            index: 1,
            name: "web.1",
            command: "x",
            port: http.port,
          },
          { type: "worker", index: 1, name: "worker.1", command: "x", port: 1 },
        ],
        ready: new Map<string, Probe>([
          ["web", { kind: "http", path: "/health" }],
          // Relative: the check runs in the app root, with the service's env.
          ["worker", {
            kind: "exec",
            command: 'test "$PS" = worker.1 -a -e ok',
          }],
        ]),
      });
      const check = (name: string) =>
        shStatus("./check", PATH_ONLY, join(dir, `t-${name}-1`));
      assert.equal(await check("web"), 0);
      assert.notEqual(await check("worker"), 0);
      writeFileSync(join(root, "ok"), "");
      assert.equal(await check("worker"), 0);
      await closed(http.server);
      assert.notEqual(await check("web"), 0);
    } finally {
      if (http.server.listening) await closed(http.server);
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe("launchd: release, order, readiness", () => {
  test(
    "the release is not kept alive; comments say what launchd cannot order",
    { skip: skipUnless(PY, "python3 not installed") },
    async () => {
      const root = tempRoot();
      try {
        const written = await writeExport(
          "launchd",
          join(root, "l"),
          phased(root),
        );
        const out = spawnSync("python3", [
          "-c",
          "import json, plistlib, sys; print(json.dumps([plistlib.load(open(f, 'rb')) for f in sys.argv[1:]]))",
          ...written,
        ], { encoding: "utf8" });
        assert.equal(out.status, 0, out.stderr);
        const plists = JSON.parse(out.stdout) as {
          Label: string;
          RunAtLoad: boolean;
          KeepAlive: boolean;
        }[];
        assert.deepEqual(
          plists.map((p) => [p.Label, p.RunAtLoad, p.KeepAlive]),
          [
            ["tend-test-web-1", true, true],
            ["tend-test-web-2", true, true],
            ["tend-test-release-1", true, false],
            ["tend-test-Back_Worker-1", true, true],
            ["tend-test-clock-1", true, true],
          ],
        );
        const text = (name: string) =>
          read(written.find((p) => p.endsWith(`${name}.plist`))!);
        assert.match(text("release-1"), /<!-- The release phase: runs once/);
        assert.match(
          text("Back_Worker-1"),
          /<!-- Starts after other jobs under tend; launchd has no order/,
        );
        assert.match(
          text("web-1"),
          /<!-- Its readiness probe has no launchd equivalent. -->/,
        );
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    },
  );
});
