/**
 * The control server of `tend start`: a unix socket in the user's private
 * control directory (see `socket_path.ts`) that answers `status`,
 * `restart`, `stop` and `logs` (see `control_protocol.ts` and
 * `docs/control.md`).
 *
 * A client can change nothing but what the protocol offers: a request is
 * one line of at most 64 KiB that must come within 5 s (a timer that
 * exists only while a client is connected; see `_control_connection.ts`),
 * at most {@linkcode MAX_CLIENTS} are served at once, a
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
import {
  Connection,
  controlError,
  encodeItems,
  FOLLOW_BUFFER,
} from "./_control_connection.ts";
import { type AppSockets, ConnectError, exchange } from "./control_client.ts";
import {
  ControlError,
  type ControlRequest,
  type ControlResponse,
  MAX_CLIENTS,
  parseRequest,
  type ProcessStatus,
  processStatus,
  PROTOCOL_VERSION,
  type TendInfo,
} from "./control_protocol.ts";
import { TendError } from "./errors.ts";
import type { Instance } from "./formation.ts";
import { History } from "./history.ts";
import { DEFAULT_TIMEOUT, selected, type TypeSelection } from "./policy.ts";
import type { ProcessInfo } from "./process_state.ts";
import { ensureControlDir, socketPath } from "./socket_path.ts";
import type { Supervisor } from "./supervisor.ts";

export { FOLLOW_BUFFER };

/** How long a change waits, past the stop timeout, before it answers anyway. */
const _CHANGE_GRACE_MS = 10_000;
/** How long closing waits for followers to take their last lines. */
const _CLOSE_MS = 500;

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
  readonly #clients = new Set<Socket>();
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
    const open = [...this.#clients];
    for (const socket of open) socket.end();
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.all(open.map((s) => new Promise((r) => s.once("close", r)))),
      new Promise((r) => (timer = setTimeout(r, _CLOSE_MS))),
    ]);
    clearTimeout(timer);
    for (const socket of this.#clients) socket.destroy();
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
    const full = this.#clients.size >= MAX_CLIENTS;
    if (this.#closed || full) {
      const busy = full ? "too many clients" : "tend is exiting";
      new Connection(socket, () => {}, { busy });
      return;
    }
    this.#clients.add(socket);
    socket.once("close", () => this.#clients.delete(socket));
    new Connection(
      socket,
      (connection, line) => this.#handle(connection, line),
      {
        requestTimeout: this.#options.requestTimeout,
      },
    );
  }

  #handle(client: Connection, line: string): void {
    try {
      const request = parseRequest(line);
      switch (request.cmd) {
        case "status":
          return client.reply(this.#ok({ processes: this.processes() }));
        case "restart":
        case "stop":
          return this.#change(client, request);
        case "logs":
          return this.#logs(client, request);
      }
    } catch (error) {
      client.reply(controlError(error));
    }
  }

  /** Restarts or stops; answers once each process it names has settled. */
  #change(
    client: Connection,
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
    if (settled()) return client.reply(response(true));
    const done = (ok: boolean) => {
      clearTimeout(timer);
      stopListening();
      client.reply(response(ok));
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
    client: Connection,
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
    const history = encodeItems(this.history.snapshot(names, request.lines));
    if (!request.follow) return client.reply(undefined, header + history);
    client.follow(header + history);
    const stop = this.history.follow(names, (items) => client.send(items));
    socket.once("close", stop);
  }

  #ok(fields: Record<string, unknown>): ControlResponse {
    return { v: PROTOCOL_VERSION, ok: true, tend: this.info(), ...fields };
  }
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
