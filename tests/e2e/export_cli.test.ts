/** End-to-end tests of `tend export` through the CLI (formats are tested in export.test.ts). */
import assert from "node:assert/strict";
import {
  existsSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { cleanup, runTend, tempApp } from "./_helpers.ts";

describe("tend export", () => {
  it("writes the Procfile and env files for an engine, with ports from the formation", async () => {
    const app = tempApp({
      Procfile: "web: serve $PORT\nworker: work\n",
      ".env": "SECRET_KEY=s3\nMODE=prod\n",
    });
    const out = join(app, "out");
    const r = await runTend([
      "export",
      "supervisord",
      out,
      "-c",
      "web=2",
      "-a",
      "shop",
      "-l",
      join(app, "log"),
    ], {
      cwd: app,
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, `wrote ${join(out, "shop.conf")}\n`);
    const conf = readFileSync(join(out, "shop.conf"), "utf8");
    for (const name of ["shop-web-1", "shop-web-2", "shop-worker-1"]) {
      assert.match(conf, new RegExp(`\\[program:${name}\\]`));
    }
    assert.match(conf, /PORT="5001"/);
    assert.match(conf, /MODE="prod"/);
    assert.equal(statSync(join(out, "shop.conf")).mode & 0o777, 0o600);
    cleanup(app);
  });

  it("refuses to overwrite without --force, and writes nothing", async () => {
    const app = tempApp({ Procfile: "web: serve\n" });
    const out = join(app, "out");
    assert.equal(
      (await runTend(["export", "compose", out], { cwd: app })).status,
      0,
    );
    writeFileSync(join(out, "compose.yaml"), "mine\n");
    const again = await runTend(["export", "compose", out], { cwd: app });
    assert.equal(again.status, 1);
    assert.equal(
      again.stderr,
      `tend: ${
        join(out, "compose.yaml")
      }: already exists (use --force to overwrite)\n`,
    );
    assert.equal(readFileSync(join(out, "compose.yaml"), "utf8"), "mine\n");
    assert.equal(
      (await runTend(["export", "compose", out, "--force"], { cwd: app }))
        .status,
      0,
    );
    assert.notEqual(readFileSync(join(out, "compose.yaml"), "utf8"), "mine\n");
    cleanup(app);
  });

  it("rejects an unknown format or missing DIR with a usage error", async () => {
    const app = tempApp({ Procfile: "web: serve\n" });
    const bad = await runTend(["export", "upstart", join(app, "x")], {
      cwd: app,
    });
    assert.equal(bad.status, 2);
    assert.equal(
      bad.stderr,
      'tend: unknown export format "upstart" (formats: systemd, supervisord, compose, kubernetes, runit, launchd)\n',
    );
    assert.ok(!existsSync(join(app, "x")));
    const missing = await runTend(["export", "systemd"], { cwd: app });
    assert.equal(missing.status, 2);
    assert.deepEqual(readdirSync(app), ["Procfile"]);
    cleanup(app);
  });

  it("fails with one line when the directory cannot be created", async () => {
    const app = tempApp({ Procfile: "web: serve\n", file: "x" });
    const r = await runTend(["export", "systemd", join(app, "file", "sub")], {
      cwd: app,
    });
    assert.equal(r.status, 1);
    assert.equal(r.stderr.split("\n").length, 2, r.stderr);
    assert.match(r.stderr, /^tend: .*file.*\n$/);
    cleanup(app);
  });
});

describe("tend export: release phase, start order, readiness", () => {
  const procfile = "web: serve $PORT\nrelease: migrate\nworker: work\n" +
    "#tend web ready=http:/health\n#tend worker after=web\n";

  it("carries release, #tend after= and ready= into the export", async () => {
    const app = tempApp({ Procfile: procfile });
    const out = join(app, "out");
    const r = await runTend(["export", "compose", out, "-a", "shop"], {
      cwd: app,
    });
    assert.equal(r.status, 0, r.stderr);
    const yaml = readFileSync(join(out, "compose.yaml"), "utf8");
    assert.match(yaml, /^ {2}release:\n(?: {4}.*\n)*? {4}restart: "no"$/m);
    assert.match(
      yaml,
      /^ {2}worker:\n(?: {4,}.*\n)*? {6}web:\n {8}condition: "service_healthy"$/m,
    );
    assert.match(yaml, /condition: "service_completed_successfully"/);
    assert.match(yaml, /healthcheck:\n {6}test: \["CMD-SHELL", "curl /);
    // release takes the base port and no block: web keeps 5000.
    assert.match(yaml, /^ {2}web:\n(?: {4,}.*\n)*? {6}PORT: "5000"$/m);

    const units = join(app, "units");
    const s = await runTend(["export", "systemd", units, "-a", "shop"], {
      cwd: app,
    });
    assert.equal(s.status, 0, s.stderr);
    const release = readFileSync(join(units, "shop-release-1.service"), "utf8");
    assert.match(release, /^Type=oneshot$/m);
    assert.doesNotMatch(release, /^Restart=/m);
    const worker = readFileSync(join(units, "shop-worker-1.service"), "utf8");
    assert.match(worker, /^After=shop-web\.target shop-release-1\.service$/m);
    assert.match(worker, /^Requires=shop-release-1\.service$/m);
    cleanup(app);
  });

  it("--no-release and -c release=0 leave the release out", async () => {
    const app = tempApp({ Procfile: procfile });
    for (
      const [k, flags] of [["--no-release"], ["-c", "release=0"]].entries()
    ) {
      const out = join(app, `out${k}`);
      const r = await runTend(["export", "compose", out, ...flags], {
        cwd: app,
      });
      assert.equal(r.status, 0, r.stderr);
      const yaml = readFileSync(join(out, "compose.yaml"), "utf8");
      assert.doesNotMatch(yaml, /release/);
      assert.match(yaml, /condition: "service_healthy"/);
    }
    cleanup(app);
  });
});
