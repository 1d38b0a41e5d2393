/**
 * The ways tend is launched: its version (from deno.json, in every
 * launcher and inside the binary) and `deno run` from a URL, with the
 * checkout served by a static file server on 127.0.0.1.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { copyFileSync, readFileSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, normalize, sep } from "node:path";
import process from "node:process";
import { describe, it } from "node:test";
import {
  assertNoneAlive,
  bodyLines,
  cleanup,
  launcher,
  marker,
  ROOT,
  runTend,
  tempApp,
} from "./_helpers.ts";

const VERSION: string =
  JSON.parse(readFileSync(join(ROOT, "deno.json"), "utf8")).version;

const _IS_BUN = Boolean((globalThis as { Bun?: unknown }).Bun);

describe("tend --version", () => {
  it("prints the version from deno.json, from any directory", async () => {
    const app = tempApp();
    for (const args of [["--version"], ["version"], ["start", "--version"]]) {
      const r = await runTend(args, { cwd: app });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, `tend ${VERSION}\n`, args.join(" "));
      assert.equal(r.stderr, "");
    }
    const help = await runTend(["--help"], { cwd: app });
    assert.match(
      help.stdout,
      new RegExp(`^tend ${VERSION.replaceAll(".", "\\.")}: `),
    );
    cleanup(app);
  });

  it(
    "is built into the binary: a copy far from the checkout still knows it",
    {
      skip: launcher().name === "binary"
        ? false
        : "only with TEND_LAUNCHER=binary",
    },
    async () => {
      const dir = tempApp({}, "tend-bin-");
      const copy = join(dir, "tend");
      copyFileSync(launcher().file, copy);
      assert.ok(statSync(copy).mode & 0o100);
      const r = await _run(copy, ["--version"], { cwd: dir });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, `tend ${VERSION}\n`);
      cleanup(dir);
    },
  );
});

describe("deno run from a URL", () => {
  it(
    "runs --version and a short start from a static host of the checkout",
    {
      skip: _IS_BUN
        ? "needs Deno to run tend from a URL; covered by deno test"
        : false,
    },
    async () => {
      const served: string[] = [];
      const server = await _serve(ROOT, served);
      const url = `http://127.0.0.1:${
        (server.address() as AddressInfo).port
      }/cli.ts`;
      // A fresh DENO_DIR: nothing cached from an earlier run can hide a
      // module that the server cannot deliver.
      const denoDir = tempApp({}, "tend-deno-dir-");
      const m = marker();
      const app = tempApp({
        Procfile: `web: echo hi $PORT $GREETING # ${m}\n`,
        ".env": "GREETING=from-env\n",
      });
      const deno = process.env.DENO_BIN ?? "deno";
      const env = { DENO_DIR: denoDir, NO_COLOR: "1", TEND_TEST_MARK: m };
      try {
        const version = await _run(
          deno,
          ["run", "-A", "--quiet", url, "--version"],
          { cwd: app, env },
        );
        assert.equal(version.status, 0, version.stderr);
        assert.equal(version.stdout, `tend ${VERSION}\n`);

        const start = await _run(
          deno,
          ["run", "-A", "--quiet", url, "start", "--no-timestamp"],
          { cwd: app, env },
        );
        assert.equal(start.status, 0, start.stderr);
        assert.deepEqual(bodyLines(start.stdout, "web.1"), [
          "hi 5000 from-env",
        ]);
        assert.equal(start.stderr, "");
      } finally {
        await new Promise((resolve) => server.close(resolve));
        cleanup(denoDir);
        cleanup(app);
      }
      // deno.json came over HTTP too (the version is read from it), and
      // every module was found: relative imports only, nothing outside.
      assert.ok(served.includes("200 /deno.json"), served.join("\n"));
      assert.ok(served.includes("200 /src/runtime.ts"), served.join("\n"));
      assert.deepEqual(served.filter((s) => !s.startsWith("200 ")), []);
      await assertNoneAlive(m);
    },
  );
});

/**
 * Serves the files under `root` like a plain static host: every file as
 * text/plain, as raw-file hosts do, so tend must not need the right types.
 */
function _serve(root: string, log: string[]): Promise<Server> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(
      new URL(req.url ?? "/", "http://127.0.0.1").pathname,
    );
    const file = normalize(join(root, path));
    let body: Uint8Array | undefined;
    if (file.startsWith(root + sep) && extname(file) !== "") {
      try {
        body = readFileSync(file);
      } catch { /* 404 below */ }
    }
    log.push(`${body ? 200 : 404} ${path}`);
    if (!body) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
    res.end(body);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve(server));
  });
}

/** Runs a command to the end; kills it and fails past the hang guard. */
function _run(
  file: string,
  args: string[],
  options: { cwd: string; env?: Record<string, string> },
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Uint8Array) => (stdout += String(d)));
    child.stderr.on("data", (d: Uint8Array) => (stderr += String(d)));
    const guard = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.once("error", reject);
    child.once("close", (status) => {
      clearTimeout(guard);
      resolve({ status, stdout, stderr });
    });
  });
}
