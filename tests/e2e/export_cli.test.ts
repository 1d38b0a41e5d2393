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
