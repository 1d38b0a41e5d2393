/**
 * The control server of `tend start`: a unix socket in the user's private
 * control directory (see `socket_path.ts`) that answers `status`,
 * `restart`, `stop` and `logs` (see `control_protocol.ts` and
 * `docs/control.md`).
 *
 * A client can change nothing but what the protocol offers: a request is
 * one line of at most {@linkcode MAX_REQUEST} bytes that must come within
 * {@linkcode REQUEST_TIMEOUT_MS} (a timer that exists only while a client
 * is connected), at most {@linkcode MAX_CLIENTS} are served at once, a
 * bad request gets an error line and the connection closes, and a
 * follower that does not read loses lines rather than slowing anything.
 * tend prints nothing about its clients. Idle, the server is a listening
 * socket: no timer, no polling.
 *
 * @module
 */
import { chmodSync, rmdirSync, unlinkSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import process from "node:process";
import { type AppSockets, ConnectError, exchange } from "./control_client.ts";
import {
  ControlError,
  type ControlRequest,
  type ControlResponse,
  logMessage,
  MAX_CLIENTS,
  MAX_REQUEST,
  parseRequest,
  type ProcessStatus,
  processStatus,
  PROTOCOL_VERSION,
  REQUEST_TIMEOUT_MS,
  RequestReader,
  type TendInfo,
} from "./control_protocol.ts";
import { TendError } from "./errors.ts";
import type { Instance } from "./formation.ts";
import { History, type HistoryItem } from "./history.ts";
import { DEFAULT_TIMEOUT, selected, type TypeSelection } from "./policy.ts";
import type { ProcessInfo } from "./process_state.ts";
import { ensureControlDir, socketPath } from "./socket_path.ts";
import type { Supervisor } from "./supervisor.ts";

/** Bytes a follower may have waiting before its lines are dropped. */
export const FOLLOW_BUFFER = 1 << 20;
/** How long a change waits, past the stop timeout, before it answers anyway. */
const _CHANGE_GRACE_MS = 10_000;
/** How long closing waits for followers to take their last lines. */
const _CLOSE_MS = 500;
/** How long an answered client may go on sending before it is cut off. */
const _LINGER_MS = 1000;

/** What a {@linkcode ControlServer} serves. */
export interface ControlServerOptions {
  /** The control directory and the app's key. */
  app: AppSockets;
  /** The app root, as status reports it. */
  appRoot: string;
  /** The Procfile, an absolute path. */
  procfile: string;
  /** The planned instances. */
  instances: readonly Instance[];
  /** tend's version. */
  version: string;
  /** The supervisor's stop timeout, ms (default 5000). */
  timeout?: number;
  /** Types that may exit (`--can-die`). */
  canDie?: TypeSelection;
  /** Where output is recorded (default: a new history of the instances). */
  history?: History;
  /** ms a client has to send its request (default 5000; for tests). */
  requestTimeout?: number;
}

interface _Client {
  readonly socket: Socket;
  /** A `logs --follow`: its end is the client leaving. */
  following: boolean;
  /** Lines a slow follower missed since it last heard so. */
  dropped: number;
  /** The client finished sending. */
  ended: boolean;
  /** The last answer is with the kernel. */
  answered: boolean;
}

/**
 * A listening control socket. Make it with {@linkcode ControlServer.listen},
 * give it the supervisor with {@linkcode ControlServer.attach} (until then
 * it reports the plan, every process waiting), and close it when tend
 * ends: the socket and, when empty, the directory are removed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mkdtempSync } from "node:fs";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import process from "node:process";
 * import {
 *   type ControlResponse, ControlServer, exchange, plan, Printer, QueuedSink,
 *   Supervisor,
 * } from "../mod.ts";
 * const dir = { path: join(mkdtempSync(join(tmpdir(), "run-")), "tend"), uid: process.getuid!() };
 * const instances = plan([{ name: "web", command: "sleep 30", line: 1 }]);
 * const server = await ControlServer.listen({
 *   app: { dir, key: "0123456789abcdef" },
 *   appRoot: "/srv/app",
 *   procfile: "/srv/app/Procfile",
 *   instances,
 *   version: "1.0.0",
 * });
 * const printer = new Printer(new QueuedSink(() => Promise.resolve()), ["web.1"], {
 *   history: server.history,
 * });
 * const supervisor = new Supervisor({ instances, env: { PATH: "/usr/bin:/bin" }, printer });
 * server.attach(supervisor);
 * const done = supervisor.run();
 * const pid = supervisor.processes()[0].pid;
 * // What `tend restart web` sends; the answer comes once it runs again.
 * const [answer] = await exchange(server.path, { cmd: "restart", target: "web" }) as ControlResponse[];
 * assert.ok(answer.ok);
 * assert.notEqual(answer.processes![0].pid, pid);
 * supervisor.shutdown();
 * await done;
 * await server.close();
 * ```
 */
export class ControlServer {
  /** The socket's path. */
  readonly path: string;
  /** Where output and events are recorded for `logs`. */
  readonly history: History;
  /** When it began to listen (ms since the epoch). */
  readonly startedAt: number = Date.now();
  readonly #options: ControlServerOptions;
  readonly #clients = new Map<Socket, _Client>();
  #server?: Server;
  #supervisor?: Supervisor;
  #closed = false;
  readonly #exitHook = () => this.#remove();

  private constructor(options: ControlServerOptions) {
    this.#options = options;
    this.path = socketPath(options.app.dir.path, options.app.key, process.pid);
    this.history = options.history ??
      new History(options.instances.map((i) => i.name));
  }

  /**
   * Makes the control directory (or checks it, see `ensureControlDir`)
   * and listens on this tend's socket, mode 0600. A socket left at that
   * path by a tend that died is replaced.
   */
  static async listen(options: ControlServerOptions): Promise<ControlServer> {
    const control = new ControlServer(options);
    for (let attempt = 1;; attempt++) {
      ensureControlDir(options.app.dir);
      const server = createServer({ allowHalfOpen: true });
      server.on("connection", (socket: Socket) => control.#connection(socket));
      try {
        await _listen(server, control.path);
        // An accept that fails (EMFILE) must not crash tend.
        server.on("error", () => {});
        control.#server = server;
        break;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        // ENOENT: another tend removed the empty directory meanwhile.
        const retry = attempt < 3 &&
          (code === "ENOENT" ||
            (code === "EADDRINUSE" && await _stale(control.path)));
        if (!retry) {
          throw new TendError({
            path: control.path,
            message: `cannot listen: ${(error as Error).message}`,
          });
        }
      }
    }
    process.once("exit", control.#exitHook);
    chmodSync(control.path, 0o600);
    return control;
  }

  /** From now on, status, changes and logs are the supervisor's. */
  attach(supervisor: Supervisor): void {
    this.#supervisor = supervisor;
  }

  /** What this tend says about itself. */
  info(): TendInfo {
    return {
      pid: process.pid,
      version: this.#options.version,
      startedAt: this.startedAt,
      appRoot: this.#options.appRoot,
      procfile: this.#options.procfile,
      stopping: this.#supervisor?.stopping ?? false,
      timeout: this.#options.timeout ?? DEFAULT_TIMEOUT,
    };
  }

  /** Every process as `status` reports it. */
  processes(): ProcessStatus[] {
    const now = Date.now();
    const infos: ProcessInfo[] = this.#supervisor?.processes() ??
      this.#options.instances.map((i) => ({
        name: i.name,
        type: i.type,
        state: "waiting",
        port: i.port,
        restarts: 0,
        ready: false,
      }));
    return infos.map((info) =>
      processStatus(info, selected(this.#options.canDie, info.type), now)
    );
  }

  /**
   * Stops listening, lets followers take their last lines (briefly), and
   * removes the socket and the directory if no other tend uses it.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#server?.close();
    const open = [...this.#clients.keys()];
    for (const socket of open) socket.end();
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.all(open.map((s) => new Promise((r) => s.once("close", r)))),
      new Promise((r) => (timer = setTimeout(r, _CLOSE_MS))),
    ]);
    clearTimeout(timer);
    for (const socket of this.#clients.keys()) socket.destroy();
    this.#remove();
    process.off("exit", this.#exitHook);
  }

  /** Removes the socket and, when empty, the directory; on every exit path. */
  #remove(): void {
    try {
      unlinkSync(this.path);
    } catch { /* removed already */ }
    try {
      rmdirSync(this.#options.app.dir.path);
    } catch { /* another tend's socket is there, or it is gone */ }
  }

  #connection(socket: Socket): void {
    const client: _Client = {
      socket,
      following: false,
      dropped: 0,
      ended: false,
      answered: false,
    };
    // A client that goes away is its own business; tend says nothing.
    socket.on("error", () => {});
    const limit = this.#clients.size >= MAX_CLIENTS;
    if (this.#closed || limit) {
      const why = limit ? "too many clients" : "tend is exiting";
      socket.on("data", () => {});
      socket.on("end", () => this.#ended(client));
      return this.#reply(client, _error(new ControlError("busy", why)));
    }
    this.#clients.set(socket, client);
    socket.once("close", () => this.#clients.delete(socket));
    const reader = new RequestReader();
    let reading = true;
    const take = (line: string) => {
      reading = false;
      socket.setTimeout(0);
      this.#handle(client, line);
    };
    const refuse = (error: ControlError) => {
      reading = false;
      this.#reply(client, _error(error));
    };
    socket.setTimeout(
      this.#options.requestTimeout ?? REQUEST_TIMEOUT_MS,
      () => {
        if (reading) {
          refuse(
            new ControlError("timeout", "no request came in time"),
          );
        }
      },
    );
    // Bytes after the request are read and dropped: closing with bytes
    // unread would reset the connection, and the client lose the answer.
    socket.on("data", (chunk: Uint8Array) => {
      if (!reading) return;
      const got = reader.push(chunk);
      if (got === "too-large") {
        refuse(
          new ControlError(
            "too-large",
            `the request is over ${MAX_REQUEST} bytes`,
          ),
        );
      } else if (got !== undefined) take(got);
    });
    socket.on("end", () => {
      if (reading) {
        const line = reader.end();
        if (line !== undefined) take(line);
        else refuse(new ControlError("bad-request", "no request came"));
      }
      this.#ended(client);
    });
  }

  /** The client finished sending: closes once it has its answer. */
  #ended(client: _Client): void {
    client.ended = true;
    if (client.answered || client.following) client.socket.destroy();
  }

  #handle(client: _Client, line: string): void {
    try {
      const request = parseRequest(line);
      switch (request.cmd) {
        case "status":
          return this.#reply(client, this.#ok({ processes: this.processes() }));
        case "restart":
        case "stop":
          return this.#change(client, request);
        case "logs":
          return this.#logs(client, request);
      }
    } catch (error) {
      this.#reply(client, _error(error));
    }
  }

  /** Restarts or stops; answers once each process it names has settled. */
  #change(
    client: _Client,
    request: Extract<ControlRequest, { cmd: "restart" | "stop" }>,
  ): void {
    const { socket } = client;
    const supervisor = this.#supervisor;
    if (!supervisor) throw new ControlError("starting", "tend is starting");
    if (supervisor.stopping) {
      throw new ControlError("stopping", "tend is stopping");
    }
    const before = this.processes();
    let names: Set<string>;
    try {
      const changed = request.cmd === "restart"
        ? supervisor.restartProcess(request.target)
        : supervisor.stopProcess(request.target);
      names = new Set(changed.map((p) => p.name));
    } catch (error) {
      if (!(error instanceof TendError)) throw error;
      throw new ControlError("unknown-process", error.message);
    }
    const response = (settled: boolean) =>
      this.#ok({
        before: before.filter((p) => names.has(p.name)),
        processes: this.processes().filter((p) => names.has(p.name)),
        ...(settled ? {} : { settled: false }),
      });
    const settled = () =>
      supervisor.processes().every((p) =>
        !names.has(p.name) || (p.state !== "stopping" && p.state !== "exited")
      );
    if (settled()) return this.#reply(client, response(true));
    const done = (ok: boolean) => {
      clearTimeout(timer);
      stopListening();
      this.#reply(client, response(ok));
    };
    // A run's end is an event; its next state is set right after it.
    const stopListening = this.history.onEvent(() =>
      queueMicrotask(() => {
        if (settled() && !socket.destroyed) done(true);
      })
    );
    const wait = (this.#options.timeout ?? DEFAULT_TIMEOUT) + _CHANGE_GRACE_MS;
    const timer = setTimeout(() => done(false), wait);
    socket.once("close", () => {
      clearTimeout(timer);
      stopListening();
    });
  }

  /** The history of the names asked for, then, if asked, what follows. */
  #logs(
    client: _Client,
    request: Extract<ControlRequest, { cmd: "logs" }>,
  ): void {
    const { socket } = client;
    const all = this.#options.instances;
    const names = request.targets.length === 0
      ? all.map((i) => i.name)
      : all.filter((i) =>
        request.targets.includes(i.name) || request.targets.includes(i.type)
      ).map((i) => i.name);
    for (const target of request.targets) {
      if (!all.some((i) => i.name === target || i.type === target)) {
        throw new ControlError(
          "unknown-process",
          `no process "${target}" (processes: ${
            all.map((i) => i.name).join(", ")
          })`,
        );
      }
    }
    const header = JSON.stringify(this.#ok({ names })) + "\n";
    const items = this.history.snapshot(names, request.lines);
    if (!request.follow) {
      socket.write(header);
      return this.#reply(client, undefined, _encode(items));
    }
    client.following = true;
    socket.write(header + _encode(items) + '{"following":true}\n');
    const stop = this.history.follow(names, (more) => {
      this.#send(client, more);
    });
    socket.once("close", stop);
  }

  /** Writes a follower's lines, or counts them while it is not reading. */
  #send(client: _Client, items: HistoryItem[]): void {
    const { socket } = client;
    if (socket.writableLength > FOLLOW_BUFFER) {
      if (client.dropped === 0) {
        socket.once("drain", () => {
          socket.write(JSON.stringify({ dropped: client.dropped }) + "\n");
          client.dropped = 0;
        });
      }
      client.dropped += items.length;
      return;
    }
    socket.write(_encode(items));
  }

  #ok(fields: Record<string, unknown>): ControlResponse {
    return { v: PROTOCOL_VERSION, ok: true, tend: this.info(), ...fields };
  }

  /**
   * Sends the last line(s) and closes once they are written and the client
   * has finished sending (or, if it never does, {@linkcode _LINGER_MS}
   * later).
   */
  #reply(
    client: _Client,
    response: ControlResponse | undefined,
    text = "",
  ): void {
    const { socket } = client;
    if (socket.destroyed || socket.writableEnded) return;
    const body = response === undefined
      ? text
      : JSON.stringify(response) + "\n";
    socket.end(body, () => {
      client.answered = true;
      if (client.ended) return socket.destroy();
      const timer = setTimeout(() => socket.destroy(), _LINGER_MS);
      socket.once("close", () => clearTimeout(timer));
    });
  }
}

/** An error as a response line. */
function _error(error: unknown): ControlResponse {
  const { code, message } = error instanceof ControlError
    ? error
    : new ControlError("internal", String(error));
  return { v: PROTOCOL_VERSION, ok: false, error: { code, message } };
}

/** History items as `logs` lines. */
function _encode(items: HistoryItem[]): string {
  let text = "";
  for (const item of items) text += JSON.stringify(logMessage(item)) + "\n";
  return text;
}

function _listen(server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const failed = (error: Error) => reject(error);
    server.once("error", failed);
    server.listen(path, () => {
      server.off("error", failed);
      resolve();
    });
  });
}

/** True when the socket at `path` is left by a tend that died (and is removed). */
async function _stale(path: string): Promise<boolean> {
  try {
    await exchange(path, { cmd: "status" }, { timeout: 1000 });
    return false;
  } catch (error) {
    if (!(error instanceof ConnectError) || error.code !== "ECONNREFUSED") {
      return false;
    }
    try {
      unlinkSync(path);
    } catch { /* removed meanwhile */ }
    return true;
  }
}
