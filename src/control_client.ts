/**
 * The client side of the control protocol: finding the tends of an app
 * (every socket of its key in the control directory), asking each, and
 * telling a stale socket (its tend was SIGKILLed) from a live one.
 *
 * @module
 */
import { unlinkSync } from "node:fs";
import { createConnection, type Socket } from "node:net";
import process from "node:process";
import {
  type ControlResponse,
  type LogMessage,
  type ProcessStatus,
  PROTOCOL_VERSION,
  REQUEST_TIMEOUT_MS,
  type TendInfo,
} from "./control_protocol.ts";
import {
  ensureControlDir,
  type FoundSocket,
  listSockets,
} from "./socket_path.ts";
import type { ControlDir } from "./socket_path.ts";

/** Where the tends of one app listen. */
export interface AppSockets {
  /** The control directory. */
  dir: ControlDir;
  /** The app's key (see `appKey`). */
  key: string;
}

/**
 * Why a socket did not answer: nothing listens there (`ECONNREFUSED`, a
 * stale socket), there is no socket (`ENOENT`), or it was silent too long
 * (`ETIMEDOUT`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ConnectError } from "./control_client.ts";
 * assert.equal(new ConnectError("ETIMEDOUT", "no answer").code, "ETIMEDOUT");
 * ```
 */
export class ConnectError extends Error {
  /** The errno code (`ECONNREFUSED`, `ENOENT`), or `ETIMEDOUT`. */
  readonly code: string;

  /** Makes the error. */
  constructor(code: string, message: string) {
    super(message);
    this.name = "ConnectError";
    this.code = code;
  }
}

/** What one exchange gets: every line the server wrote, parsed. */
export type Line = Record<string, unknown>;

/** Options of {@linkcode exchange}. */
export interface ExchangeOptions {
  /** Fail when the server is silent this long (ms); 0: wait forever. */
  timeout?: number;
  /** Called with each line as it comes; the lines are not kept then. */
  onLine?: (line: Line) => void;
  /**
   * Keep the writing side open after the request: a `logs --follow`
   * connection, whose server takes the end of it as the client leaving.
   */
  keepOpen?: boolean;
}

/**
 * Sends one request to the socket at `path` and collects the lines of the
 * answer until the server closes. Rejects with a {@linkcode ConnectError}
 * when nothing listens there, or the server is silent for `timeout` ms.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { exchange } from "./control_client.ts";
 * await assert.rejects(exchange("/nonexistent/tend.sock", { cmd: "status" }), {
 *   code: "ENOENT",
 * });
 * ```
 */
export function exchange(
  path: string,
  request: Record<string, unknown>,
  options: ExchangeOptions = {},
): Promise<Line[]> {
  const timeout = options.timeout ?? REQUEST_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const lines: Line[] = [];
    let rest = "";
    let failed: ConnectError | undefined;
    const socket: Socket = createConnection({ path, allowHalfOpen: true });
    socket.setEncoding("utf8");
    if (timeout > 0) {
      socket.setTimeout(timeout, () => {
        failed = new ConnectError("ETIMEDOUT", `${path}: no answer`);
        socket.destroy();
      });
    }
    socket.on("connect", () => {
      const line = JSON.stringify({ v: PROTOCOL_VERSION, ...request }) + "\n";
      if (options.keepOpen) socket.write(line);
      else socket.end(line);
    });
    // The server is done: so is this side (it is half-open until then).
    socket.on("end", () => socket.end());
    socket.on("data", (text: string) => {
      const parts = (rest + text).split("\n");
      rest = parts.pop() ?? "";
      for (const part of parts) {
        if (part === "") continue;
        let line: Line;
        try {
          line = JSON.parse(part);
        } catch {
          continue;
        }
        if (options.onLine) options.onLine(line);
        else lines.push(line);
      }
    });
    socket.on("error", (error: NodeJS.ErrnoException) => {
      failed ??= new ConnectError(error.code ?? "EIO", error.message);
    });
    socket.on("close", () => {
      if (failed && lines.length === 0) reject(failed);
      else resolve(lines);
    });
  });
}

/** A tend of the app that answered, or a socket that did not. */
export interface Peer {
  /** Its socket. */
  socket: FoundSocket;
  /** What it said about itself; absent when it did not answer. */
  tend?: TendInfo;
  /** Its processes; empty when it did not answer. */
  processes: ProcessStatus[];
  /** Why it did not answer. */
  error?: string;
}

/**
 * Asks every tend of the app for its status, in parallel. A socket whose
 * tend is gone (nothing listens, and no process has its pid) is removed;
 * one that does not answer in time is returned with `error`. `skip` leaves
 * out a socket (the caller's own).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { appSockets, findPeers } from "../mod.ts";
 * const app = appSockets({ appRoot: "/srv/none", procfilePath: "/srv/none/Procfile" });
 * const peers = await findPeers(app);
 * assert.equal(peers.filter((p) => p.tend).length, 0); // nothing runs there
 * ```
 */
export async function findPeers(
  app: AppSockets,
  skip?: string,
): Promise<Peer[]> {
  // Never follow a directory that another user could have put there.
  if (!ensureControlDir(app.dir, false)) return [];
  const sockets = listSockets(app.dir.path, app.key).filter((s) =>
    s.path !== skip
  );
  const peers = await Promise.all(sockets.map(async (socket) => {
    try {
      const [answer] = await exchange(socket.path, { cmd: "status" });
      const response = answer as ControlResponse | undefined;
      if (!response?.ok) {
        return { socket, processes: [], error: "no status" } as Peer;
      }
      return {
        socket,
        tend: response.tend,
        processes: response.processes ?? [],
      } as Peer;
    } catch (error) {
      const code = error instanceof ConnectError ? error.code : "EIO";
      if (code === "ENOENT") return undefined;
      if (code === "ECONNREFUSED" && !_alive(socket.pid)) {
        // Stale: its tend died without removing it (SIGKILL).
        try {
          unlinkSync(socket.path);
        } catch { /* removed meanwhile */ }
        return undefined;
      }
      const why = code === "ETIMEDOUT" ? "no answer" : code;
      return { socket, processes: [], error: why } as Peer;
    }
  }));
  return peers.filter((p): p is Peer => p !== undefined);
}

/**
 * Streams `logs` from every tend in `peers`: `onMessage` gets each line as
 * it comes, with the tend it came from (the header and errors too).
 * Resolves once every stream ended: at once without `follow`, when tend
 * exits with it.
 *
 * @example
 * ```ts
 * import { appSockets, findPeers, streamLogs } from "../mod.ts";
 * const peers = await findPeers(appSockets({ appRoot: "/srv/app" }));
 * await streamLogs(peers, { targets: ["web"], follow: false }, (peer, m) => {
 *   if ("line" in m) console.log(`${peer.tend?.pid}: ${m.line}`);
 * });
 * ```
 */
export async function streamLogs(
  peers: readonly Peer[],
  request: { targets: string[]; follow: boolean },
  onMessage: (peer: Peer, message: LogMessage | ControlResponse) => void,
): Promise<void> {
  await Promise.all(
    peers.map((peer) =>
      exchange(peer.socket.path, { cmd: "logs", ...request }, {
        timeout: request.follow ? 0 : REQUEST_TIMEOUT_MS,
        keepOpen: request.follow,
        onLine: (line) =>
          onMessage(peer, line as unknown as LogMessage | ControlResponse),
      }).catch(() => {})
    ),
  );
}

/** True while a process with that pid exists (ours or another user's). */
function _alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
