/**
 * The control protocol: newline-delimited JSON over a unix socket, one
 * request per connection. The client writes one request line; the server
 * answers with one response line (`status`, `restart`, `stop`) or a header
 * and then one line per log line (`logs`), and closes. Written down in
 * `docs/control.md`; this module is the only place that reads requests, so
 * what it accepts is what the document says.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import type { TendEvent } from "./events.ts";
import type { HistoryItem } from "./history.ts";
import type { ProcessInfo, ProcessState } from "./process_state.ts";

export type { ProcessState };

/** The protocol version this tend speaks; every message carries it as `v`. */
export const PROTOCOL_VERSION = 1;
/** The longest request line, in bytes; a longer one is refused and closed. */
export const MAX_REQUEST = 64 * 1024;
/** How long a connection may take to send its request. */
export const REQUEST_TIMEOUT_MS = 5000;
/** Connections served at once; more are refused with `busy`. */
export const MAX_CLIENTS = 64;
/** Targets one `logs` request may name. */
export const MAX_TARGETS = 256;
/** The longest process name or type a request may name. */
export const MAX_NAME = 256;

/** The commands of the protocol. */
export const CONTROL_COMMANDS = ["status", "restart", "stop", "logs"] as const;

/** A request, as {@linkcode parseRequest} returns it. */
export type ControlRequest =
  | { v: 1; cmd: "status" }
  | { v: 1; cmd: "restart" | "stop"; target: string }
  | {
    v: 1;
    cmd: "logs";
    /** Names or types; empty means every process. */
    targets: string[];
    follow: boolean;
    /** Lines per process from the history, at most. */
    lines: number;
  };

/** Why a request failed: the `code` of an error response. */
export type ErrorCode =
  | "bad-request"
  | "too-large"
  | "unsupported-version"
  | "unknown-command"
  | "unknown-process"
  | "starting"
  | "stopping"
  | "timeout"
  | "busy"
  | "internal";

/**
 * A request the server refuses, with the code it answers.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ControlError } from "./control_protocol.ts";
 * const error = new ControlError("busy", "too many clients");
 * assert.equal(error.code, "busy");
 * ```
 */
export class ControlError extends Error {
  /** What the error response says. */
  readonly code: ErrorCode;

  /** Makes an error with its code. */
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = "ControlError";
    this.code = code;
  }
}

/** The tend that answers: in every response but an error. */
export interface TendInfo {
  /** Its pid. */
  pid: number;
  /** Its version. */
  version: string;
  /** When it began to listen, ms since the epoch. */
  startedAt: number;
  /** The app root. */
  appRoot: string;
  /** The Procfile, an absolute path. */
  procfile: string;
  /** True once it is shutting down. */
  stopping: boolean;
  /** Its `-t`: ms from a stop signal to SIGKILL. */
  timeout: number;
}

/**
 * One process in a response: {@linkcode ProcessInfo} with every key
 * present (`null` where it has no value), and what `--can-die` says.
 */
export interface ProcessStatus {
  /** The instance name, `web.1`. */
  name: string;
  /** The process type, `web`. */
  type: string;
  /** The pid of the current or last run; null if it never started. */
  pid: number | null;
  /** Where it is in its life (see {@linkcode ProcessState}). */
  state: ProcessState;
  /** Its `PORT`. */
  port: number;
  /** When the current run started (ms since the epoch), while it runs. */
  startedAt: number | null;
  /** ms since it started, while it runs. */
  uptime: number | null;
  /** How many times it was restarted (by policy or on request). */
  restarts: number;
  /** The status its last run ended with (128+n for signal n). */
  lastStatus: number | null;
  /** Running and, if it has a readiness check, ready. */
  ready: boolean;
  /** It may exit without stopping the others (`--can-die`). */
  canDie: boolean;
}

/** A response line: a success carries `ok: true`, an error `error`. */
export type ControlResponse =
  | {
    /** The protocol version. */
    v: number;
    ok: true;
    /** The tend that answers. */
    tend: TendInfo;
    /** `status`: every process; `restart`, `stop`: those changed, after. */
    processes?: ProcessStatus[];
    /** `restart`, `stop`: those changed, before. */
    before?: ProcessStatus[];
    /** `logs`: the instances whose lines follow. */
    names?: string[];
    /** A change that had not settled when the server stopped waiting. */
    settled?: false;
  }
  | {
    /** The protocol version. */
    v: number;
    ok: false;
    /** What went wrong: a code for programs, a message for people. */
    error: { code: ErrorCode; message: string };
  };

/**
 * One line of `logs` after its header: a process's line, one of tend's
 * events (its fields, and `line`, the text tend printed), the end of the
 * history (`following`, before live lines), or how many lines a slow
 * follower missed (`dropped`).
 */
export type LogMessage =
  | {
    /** The instance. */
    name: string;
    /** When it arrived, ms since the epoch. */
    time: number;
    /** The line, as UTF-8 decodes it. */
    line: string;
    /** Its exact bytes, when they are not valid UTF-8. */
    base64?: string;
  }
  | (TendEvent & { time: number; line: string })
  | { following: true }
  | { dropped: number };

/**
 * Reads a request's bytes as they come: the first line (without `\n`),
 * or `too-large` once {@linkcode MAX_REQUEST} bytes came without one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RequestReader } from "./control_protocol.ts";
 * const reader = new RequestReader();
 * assert.equal(reader.push(new TextEncoder().encode('{"cmd":')), undefined);
 * assert.equal(reader.push(new TextEncoder().encode('"status"}\nmore')), '{"cmd":"status"}');
 * ```
 */
export class RequestReader {
  #parts: Uint8Array[] = [];
  #length = 0;
  readonly #max: number;

  /** A reader that refuses requests over `max` bytes. */
  constructor(max: number = MAX_REQUEST) {
    this.#max = max;
  }

  /** Takes bytes: the request once its line is complete, `too-large`, or undefined. */
  push(chunk: Uint8Array): string | "too-large" | undefined {
    const nl = chunk.indexOf(0x0a);
    const used = nl === -1 ? chunk : chunk.subarray(0, nl);
    if (this.#length + used.length > this.#max) return "too-large";
    this.#parts.push(used.slice());
    this.#length += used.length;
    return nl === -1 ? undefined : this.#text();
  }

  /** The client closed its side: what came is the request, if anything came. */
  end(): string | undefined {
    return this.#length > 0 ? this.#text() : undefined;
  }

  #text(): string {
    return Buffer.concat(this.#parts).toString("utf8").replace(/\r$/, "");
  }
}

/**
 * Reads one request line: a JSON object with `cmd` and the command's
 * fields; `v`, when given, must be 1 (absent means 1); unknown keys are
 * ignored, so later versions may add some. Throws a
 * {@linkcode ControlError} for anything else.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseRequest } from "./control_protocol.ts";
 * assert.deepEqual(parseRequest('{"v":1,"cmd":"restart","target":"web"}'), {
 *   v: 1, cmd: "restart", target: "web",
 * });
 * assert.throws(() => parseRequest("{oops"), { code: "bad-request" });
 * assert.throws(() => parseRequest('{"cmd":"reboot"}'), { code: "unknown-command" });
 * ```
 */
export function parseRequest(line: string): ControlRequest {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new ControlError("bad-request", "the request is not JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ControlError("bad-request", "the request is not a JSON object");
  }
  const request = value as Record<string, unknown>;
  if (request.v !== undefined && request.v !== PROTOCOL_VERSION) {
    throw new ControlError(
      "unsupported-version",
      `unsupported version ${
        _shown(request.v)
      } (this tend speaks ${PROTOCOL_VERSION})`,
    );
  }
  const cmd = request.cmd;
  if (typeof cmd !== "string") {
    throw new ControlError("bad-request", '"cmd" must be a string');
  }
  switch (cmd) {
    case "status":
      return { v: 1, cmd };
    case "restart":
    case "stop":
      return { v: 1, cmd, target: _name(request.target, "target") };
    case "logs": {
      const targets = request.targets ?? [];
      if (!Array.isArray(targets) || targets.length > MAX_TARGETS) {
        throw new ControlError(
          "bad-request",
          `"targets" must be a list of at most ${MAX_TARGETS} names`,
        );
      }
      const follow = request.follow ?? false;
      if (typeof follow !== "boolean") {
        throw new ControlError("bad-request", '"follow" must be true or false');
      }
      const lines = request.lines ?? 1000;
      if (!Number.isInteger(lines) || (lines as number) < 0) {
        throw new ControlError("bad-request", '"lines" must be a count');
      }
      return {
        v: 1,
        cmd,
        targets: targets.map((t) => _name(t, "targets")),
        follow,
        lines: Math.min(lines as number, 1000),
      };
    }
  }
  throw new ControlError(
    "unknown-command",
    `unknown command ${_shown(cmd)} (commands: ${CONTROL_COMMANDS.join(", ")})`,
  );
}

/** A name or type from a request: a short non-empty string. */
function _name(value: unknown, key: string): string {
  if (typeof value !== "string" || value === "" || value.length > MAX_NAME) {
    throw new ControlError(
      "bad-request",
      `"${key}" must name a process or type (1-${MAX_NAME} characters)`,
    );
  }
  return value;
}

/** A value from a request, short enough to quote in an error. */
function _shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 40)}...` : text;
}

/**
 * A process as a response shows it, at `now`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { processStatus } from "./control_protocol.ts";
 * const s = processStatus({
 *   name: "web.1", type: "web", pid: 42, state: "running", port: 5000,
 *   startedAt: 1000, restarts: 0, ready: true,
 * }, false, 4000);
 * assert.equal(s.uptime, 3000);
 * assert.equal(s.lastStatus, null);
 * ```
 */
export function processStatus(
  info: ProcessInfo,
  canDie: boolean,
  now: number,
): ProcessStatus {
  const running = info.state === "starting" || info.state === "running" ||
    info.state === "stopping";
  const startedAt = running ? info.startedAt ?? null : null;
  return {
    name: info.name,
    type: info.type,
    pid: info.pid ?? null,
    state: info.state,
    port: info.port,
    startedAt,
    uptime: startedAt === null ? null : Math.max(0, now - startedAt),
    restarts: info.restarts,
    lastStatus: info.lastStatus ?? null,
    ready: info.ready,
    canDie,
  };
}

const _decoder = new TextDecoder();
const _encoder = new TextEncoder();

/**
 * A history item as a `logs` line: text lines as `line` (and their exact
 * bytes as `base64` when they are not valid UTF-8), events with their
 * fields.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { logMessage } from "./control_protocol.ts";
 * const bytes = new Uint8Array([0xff, 0x62]);
 * assert.deepEqual(logMessage({ name: "web.1", time: 5, seq: 1, bytes }), {
 *   name: "web.1", time: 5, line: "\ufffdb", base64: "/2I=",
 * });
 * ```
 */
export function logMessage(item: HistoryItem): LogMessage {
  if ("event" in item) {
    return { time: item.time, ...item.event, line: item.text };
  }
  const line = _decoder.decode(item.bytes);
  const message: LogMessage = { name: item.name, time: item.time, line };
  if (line.includes("\ufffd") && !_same(_encoder.encode(line), item.bytes)) {
    const { buffer, byteOffset, byteLength } = item.bytes;
    message.base64 = Buffer.from(buffer, byteOffset, byteLength).toString(
      "base64",
    );
  }
  return message;
}

function _same(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
