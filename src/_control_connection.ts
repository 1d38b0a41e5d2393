/**
 * One client of the control server: reading its one request under the
 * limits (size, time), answering it, feeding it log lines if it follows,
 * and closing it without losing the answer.
 *
 * @module
 */
import type { Socket } from "node:net";
import {
  ControlError,
  type ControlResponse,
  logMessage,
  MAX_REQUEST,
  PROTOCOL_VERSION,
  REQUEST_TIMEOUT_MS,
  RequestReader,
} from "./control_protocol.ts";
import type { HistoryItem } from "./history.ts";

/** Bytes a follower may have waiting before its lines are dropped. */
export const FOLLOW_BUFFER = 1 << 20;
/** How long an answered client may go on sending before it is cut off. */
const _LINGER_MS = 1000;

/** A connection and where it is in its one exchange. */
export class Connection {
  /** The client's socket. */
  readonly socket: Socket;
  /** A `logs --follow`: its end is the client leaving. */
  #following = false;
  /** Lines a slow follower missed since it last heard so. */
  #dropped = 0;
  /** The client finished sending. */
  #ended = false;
  /** The last answer is with the kernel. */
  #answered = false;

  /**
   * Reads the request of `socket` and hands it to `onRequest`; a request
   * too large, too late or missing is answered with its error here.
   * `busy` refuses the client at once.
   */
  constructor(
    socket: Socket,
    onRequest: (connection: Connection, line: string) => void,
    options: { requestTimeout?: number; busy?: string } = {},
  ) {
    this.socket = socket;
    // A client that goes away is its own business; tend says nothing.
    socket.on("error", () => {});
    const reader = new RequestReader();
    let reading = options.busy === undefined;
    const refuse = (error: ControlError) => {
      reading = false;
      this.reply(controlError(error));
    };
    const take = (line: string) => {
      reading = false;
      socket.setTimeout(0);
      onRequest(this, line);
    };
    // Bytes after the request are read and dropped: closing with bytes
    // unread would reset the connection, and the client lose the answer.
    socket.on("data", (chunk: Uint8Array) => {
      if (!reading) return;
      const got = reader.push(chunk);
      if (got === "too-large") {
        const message = `the request is over ${MAX_REQUEST} bytes`;
        refuse(new ControlError("too-large", message));
      } else if (got !== undefined) take(got);
    });
    socket.on("end", () => {
      if (reading) {
        const line = reader.end();
        if (line !== undefined) take(line);
        else refuse(new ControlError("bad-request", "no request came"));
      }
      this.#ended = true;
      if (this.#answered || this.#following) socket.destroy();
    });
    if (options.busy !== undefined) {
      refuse(new ControlError("busy", options.busy));
      return;
    }
    // The only timer of an idle server is this one, per connected client.
    socket.setTimeout(options.requestTimeout ?? REQUEST_TIMEOUT_MS, () => {
      if (reading) {
        refuse(new ControlError("timeout", "no request came in time"));
      }
    });
  }

  /**
   * Sends the last line(s) and closes once they are written and the client
   * has finished sending (or, if it never does, a second later).
   */
  reply(response: ControlResponse | undefined, text = ""): void {
    const socket = this.socket;
    if (socket.destroyed || socket.writableEnded) return;
    const body = response === undefined
      ? text
      : JSON.stringify(response) + "\n";
    socket.end(body, () => {
      this.#answered = true;
      if (this.#ended) return socket.destroy();
      const timer = setTimeout(() => socket.destroy(), _LINGER_MS);
      socket.once("close", () => clearTimeout(timer));
    });
  }

  /** Starts a follow: `text` (header and history), then live lines. */
  follow(text: string): void {
    this.#following = true;
    this.socket.write(text + '{"following":true}\n');
  }

  /** Writes a follower's lines, or counts them while it does not read. */
  send(items: HistoryItem[]): void {
    const socket = this.socket;
    if (socket.destroyed) return;
    if (socket.writableLength > FOLLOW_BUFFER) {
      if (this.#dropped === 0) {
        socket.once("drain", () => {
          socket.write(JSON.stringify({ dropped: this.#dropped }) + "\n");
          this.#dropped = 0;
        });
      }
      this.#dropped += items.length;
      return;
    }
    socket.write(encodeItems(items));
  }
}

/** An error as a response line; anything not a ControlError is `internal`. */
export function controlError(error: unknown): ControlResponse {
  const { code, message } = error instanceof ControlError
    ? error
    : new ControlError("internal", String(error));
  return { v: PROTOCOL_VERSION, ok: false, error: { code, message } };
}

/** History items as `logs` lines. */
export function encodeItems(items: readonly HistoryItem[]): string {
  let text = "";
  for (const item of items) text += JSON.stringify(logMessage(item)) + "\n";
  return text;
}
