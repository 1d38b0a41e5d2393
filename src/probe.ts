/**
 * Readiness probes: when a process counts as ready, so that what starts
 * after it (`--after`) finds it serving. Each probe is a plain function
 * that looks once; the supervisor calls it again while, and only while,
 * something waits.
 *
 * | probe               | ready when                                               |
 * | ------------------- | -------------------------------------------------------- |
 * | `tcp`               | its own `$PORT` on 127.0.0.1 accepts a connection        |
 * | `tcp:[HOST:]PORT`   | that address accepts a connection                        |
 * | `http:PATH`         | `GET http://127.0.0.1:$PORT/PATH` answers 2xx or 3xx     |
 * | `exec:CMD`          | `sh -c CMD` exits 0 (with the process's environment)     |
 * | `log:REGEX`         | a line of its output matches (JavaScript syntax)         |
 *
 * @module
 */
import process from "node:process";

// node:net, node:http and node:child_process are loaded on a probe's first
// look, not at start-up: node:net and node:http alone added 10 ms to
// Bun's start-up and 8 ms of CPU time to Deno's (hyperfine, 40 runs), and
// most Procfiles have no probe.

/** A readiness probe; see the module doc. */
export type Probe =
  | { kind: "tcp"; host?: string; port?: number }
  | { kind: "http"; path: string }
  | { kind: "exec"; command: string }
  | { kind: "log"; pattern: string };

/**
 * Parses a probe as `--ready TYPE=PROBE` and `#tend TYPE ready=PROBE` take
 * it; throws an Error whose message says what is wrong (the caller adds
 * the place).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseProbe } from "./probe.ts";
 * assert.deepEqual(parseProbe("tcp"), { kind: "tcp" });
 * assert.deepEqual(parseProbe("tcp:db:5432"), { kind: "tcp", host: "db", port: 5432 });
 * assert.deepEqual(parseProbe("http:/health"), { kind: "http", path: "/health" });
 * assert.throws(() => parseProbe("ping"), /unknown probe "ping"/);
 * ```
 */
export function parseProbe(text: string): Probe {
  const colon = text.indexOf(":");
  const kind = colon === -1 ? text : text.slice(0, colon);
  const arg = colon === -1 ? undefined : text.slice(colon + 1);
  switch (kind) {
    case "tcp": {
      if (arg === undefined) return { kind: "tcp" };
      const match = /^(?:(\[[^\]]+\]|[^:]+):)?(\d+)$/.exec(arg);
      const port = Number(match?.[2]);
      if (!match || port < 1 || port > 65535) {
        throw new Error(
          `bad tcp probe "${text}": expected tcp, tcp:PORT or tcp:HOST:PORT`,
        );
      }
      const host = match[1]?.replace(/^\[(.*)\]$/, "$1");
      return host === undefined ? { kind, port } : { kind, host, port };
    }
    case "http":
      if (!arg?.startsWith("/")) {
        throw new Error(`bad http probe "${text}": expected http:/PATH`);
      }
      return { kind, path: arg };
    case "exec":
      if (!arg?.trim()) {
        throw new Error(`bad exec probe "${text}": expected exec:COMMAND`);
      }
      return { kind, command: arg };
    case "log":
      if (!arg) throw new Error(`bad log probe "${text}": expected log:REGEX`);
      try {
        new RegExp(arg);
      } catch (error) {
        throw new Error(
          `bad log probe "${text}": ${(error as Error).message}`,
        );
      }
      return { kind, pattern: arg };
    default:
      throw new Error(
        `unknown probe "${text}" (probes: tcp, tcp:[HOST:]PORT, http:PATH, exec:CMD, log:REGEX)`,
      );
  }
}

/**
 * A probe as the user reads it, with the port it uses.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describeProbe } from "./probe.ts";
 * assert.equal(describeProbe({ kind: "tcp" }, 5000), "tcp :5000");
 * assert.equal(describeProbe({ kind: "http", path: "/up" }, 5000), "http :5000/up");
 * ```
 */
export function describeProbe(probe: Probe, port: number): string {
  switch (probe.kind) {
    case "tcp":
      return `tcp ${probe.host ?? ""}:${probe.port ?? port}`;
    case "http":
      return `http :${port}${probe.path}`;
    case "exec":
      return `exec ${probe.command}`;
    case "log":
      return `log /${probe.pattern}/`;
  }
}

/** How often a probe that looks is tried again while something waits. */
export const PROBE_INTERVAL: Readonly<Record<Probe["kind"], number>> = {
  tcp: 100,
  http: 200,
  exec: 500,
  log: 0,
};

/**
 * Whether `host:port` accepts a TCP connection within `timeout` ms.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createServer } from "node:net";
 * import { tcpAccepts } from "./probe.ts";
 * const server = createServer().listen(0, "127.0.0.1");
 * await new Promise((r) => server.once("listening", r));
 * const { port } = server.address() as { port: number };
 * assert.equal(await tcpAccepts("127.0.0.1", port, 1000), true);
 * server.close();
 * ```
 */
export async function tcpAccepts(
  host: string,
  port: number,
  timeout: number,
): Promise<boolean> {
  const { connect } = await import("node:net");
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeout);
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/**
 * Whether `GET http://127.0.0.1:PORT/PATH` answers 2xx or 3xx within
 * `timeout` ms.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createServer } from "node:http";
 * import { httpAnswers } from "./probe.ts";
 * const server = createServer((req, res) => {
 *   res.writeHead(req.url === "/up" ? 204 : 503).end();
 * }).listen(0, "127.0.0.1");
 * await new Promise((r) => server.once("listening", r));
 * const { port } = server.address() as { port: number };
 * assert.equal(await httpAnswers(port, "/up", 1000), true);
 * assert.equal(await httpAnswers(port, "/down", 1000), false);
 * server.close();
 * ```
 */
export async function httpAnswers(
  port: number,
  path: string,
  timeout: number,
): Promise<boolean> {
  const { request } = await import("node:http");
  return new Promise((resolve) => {
    const req = request({
      host: "127.0.0.1",
      port,
      path,
      method: "GET",
      headers: { connection: "close" },
    }, (res) => {
      const status = res.statusCode ?? 0;
      res.resume();
      done(status >= 200 && status < 400);
    });
    const done = (ok: boolean) => {
      clearTimeout(timer);
      req.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeout);
    req.once("error", () => done(false));
    req.end();
  });
}

/**
 * Whether `sh -c COMMAND` exits 0 within `timeout` ms (it is killed
 * after). `onSpawn` hears the pid, so the caller knows its own children.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { commandSucceeds } from "./probe.ts";
 * const env = { PATH: "/usr/bin:/bin" };
 * assert.equal(await commandSucceeds("test 1 = 1", { env }, 1000), true);
 * assert.equal(await commandSucceeds("exit 3", { env }, 1000), false);
 * ```
 */
export async function commandSucceeds(
  command: string,
  options: {
    env: Readonly<Record<string, string>>;
    cwd?: string;
    onSpawn?: (pid: number | undefined) => void;
  },
  timeout: number,
): Promise<boolean> {
  const { spawn } = await import("node:child_process");
  return new Promise((resolve) => {
    const child = spawn("/bin/sh", ["-c", command], {
      env: options.env,
      cwd: options.cwd,
      stdio: "ignore",
      detached: true,
    });
    options.onSpawn?.(child.pid);
    const timer = setTimeout(() => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      } catch {
        // Gone already.
      }
    }, timeout);
    child.once("error", () => {
      clearTimeout(timer);
      resolve(false);
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve(code === 0);
    });
  });
}

/**
 * Watches output chunks for a line that matches `pattern`; `push` returns
 * true once one did. Holds at most one partial line (capped at 64 KiB).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LogMatcher } from "./probe.ts";
 * const m = new LogMatcher("listening on \\d+");
 * assert.equal(m.push(new TextEncoder().encode("booting\nlisten")), false);
 * assert.equal(m.push(new TextEncoder().encode("ing on 80\n")), true);
 * ```
 */
export class LogMatcher {
  readonly #pattern: RegExp;
  readonly #decoder = new TextDecoder();
  #partial = "";

  /** A matcher for `pattern`, a JavaScript regular expression. */
  constructor(pattern: string) {
    this.#pattern = new RegExp(pattern);
  }

  /** Takes the next chunk; true when a complete line in it matched. */
  push(chunk: Uint8Array): boolean {
    const lines =
      (this.#partial + this.#decoder.decode(chunk, { stream: true }))
        .split("\n");
    this.#partial = lines.pop()!.slice(-65536);
    return lines.some((line) => this.#pattern.test(line.replace(/\r$/, "")));
  }
}
