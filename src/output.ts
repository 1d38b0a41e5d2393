/**
 * Output: the merged stream of every process's lines and tend's own
 * events, each line prefixed with `HH:MM:SS name | `, aligned and coloured,
 * or each a JSON object; and, with a {@linkcode LogDir}, each process's
 * lines in its own file too. Line splitting itself is in `lines.ts`, JSON
 * encoding in `json_lines.ts`, the files in `log_dir.ts`.
 *
 * @module
 */
import { describeEvent, type TendEvent } from "./events.ts";
import type { History } from "./history.ts";
import { jsonHead, JsonLineSplitter } from "./json_lines.ts";
import { LineSplitter, LineStream, type Splitter } from "./lines.ts";
import type { LogDir } from "./log_dir.ts";
import { localTime } from "./runtime_libc.ts";
import type { ByteSink } from "./sink.ts";

const _encoder = new TextEncoder();
const _EMPTY = new Uint8Array(0);

/** How output lines look. */
export interface OutputStyle {
  /** Print `HH:MM:SS name | ` before each line (default true). */
  prefix?: boolean;
  /** Include the time in the prefix (default true). */
  timestamp?: boolean;
  /** Colour the prefix with ANSI codes (default false). */
  color?: boolean;
  /**
   * `text` (default) or `json`: one JSON object per line, with `time`
   * (unless `timestamp` is false), `name`, `type`, `pid` and `line`; tend's
   * events as objects with `event`. `prefix` and `color` do not apply.
   */
  format?: LogFormat;
}

/** The output formats. */
export type LogFormat = "text" | "json";

/** A {@linkcode Printer}'s options: the style, and where logs also go. */
export interface PrinterOptions extends OutputStyle {
  /**
   * Also write each process's lines and events to its file here: text
   * lines after an ISO 8601 time, or the same JSON objects.
   */
  logs?: LogDir;
  /**
   * Also record each process's output and every event here, for
   * `tend logs`; quiet processes' output too.
   */
  history?: History;
}

/** ANSI colours for instances, in honcho's order, then bright ones. */
export const COLORS: readonly string[] = [
  "36",
  "33",
  "32",
  "35",
  "31",
  "34",
  "96",
  "93",
  "92",
  "95",
  "91",
  "94",
];

/** The name tend's own lines are printed under. */
export const SYSTEM = "system";

function _pad2(n: number): string {
  return n < 10 ? "0" + n : String(n);
}

/**
 * Decides whether to colour output, from flags and environment: `--no-color`
 * wins, then `NO_COLOR`, then `FORCE_COLOR`, then whether stdout is a TTY.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { wantColor } from "./output.ts";
 * assert.equal(wantColor({ isTerminal: true, env: { NO_COLOR: "1" } }), false);
 * assert.equal(wantColor({ isTerminal: false, env: { FORCE_COLOR: "1" } }), true);
 * ```
 */
export function wantColor(options: {
  isTerminal: boolean;
  env: Readonly<Record<string, string | undefined>>;
  noColor?: boolean;
}): boolean {
  if (options.noColor) return false;
  if (options.env.NO_COLOR !== undefined && options.env.NO_COLOR !== "") {
    return false;
  }
  const force = options.env.FORCE_COLOR;
  if (
    force !== undefined && force !== "" && force !== "0" && force !== "false"
  ) return true;
  return options.isTerminal;
}

/** Bytes rebuilt only when their key (a time) changes. */
interface _Cached {
  key: number;
  bytes: Uint8Array;
}

interface _Label {
  name: string;
  /** The process type: the name up to its last dot. */
  type: string;
  pid?: number;
  color: string | undefined;
  second: number;
  bytes: Uint8Array;
  /** The JSON head on stdout. */
  head: _Cached;
  /** The prefix in the log file. */
  file: _Cached;
}

function _cached(
  slot: _Cached,
  key: number,
  build: () => Uint8Array,
): Uint8Array {
  if (slot.key !== key) {
    slot.key = key;
    slot.bytes = build();
  }
  return slot.bytes;
}

function _iso(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * Prints the merged, prefixed output of many processes to one sink.
 * Each source gets a {@linkcode LineStream}; tend's own messages go through
 * {@linkcode Printer.system}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Printer } from "./output.ts";
 * import { QueuedSink } from "./sink.ts";
 * const chunks: Uint8Array[] = [];
 * const sink = new QueuedSink(async (b) => { chunks.push(b); });
 * const printer = new Printer(sink, ["web.1"], { timestamp: false });
 * printer.stream("web.1").push(new TextEncoder().encode("hello\n"));
 * await sink.flush();
 * assert.ok(new TextDecoder().decode(chunks[0]) === "web.1  | hello\n");
 * ```
 */
export class Printer {
  /** Where every line goes; flush it before exiting. */
  readonly sink: ByteSink;
  readonly #style: Required<OutputStyle>;
  readonly #width: number;
  readonly #labels = new Map<string, _Label>();
  readonly #now: () => number;
  readonly #logs?: LogDir;
  readonly #history?: History;

  /**
   * Makes a printer for a fixed set of instance names.
   *
   * @param sink where the lines go
   * @param names every instance name that will print, so names align and
   *   each gets a stable colour in this order
   * @param now the clock, in milliseconds (for tests)
   */
  constructor(
    sink: ByteSink,
    names: readonly string[],
    options: PrinterOptions = {},
    now: () => number = Date.now,
  ) {
    this.sink = sink;
    const json = options.format === "json";
    this.#style = {
      prefix: options.prefix ?? true,
      timestamp: options.timestamp ?? true,
      color: !json && (options.color ?? false),
      format: json ? "json" : "text",
    };
    this.#now = now;
    this.#width = Math.max(SYSTEM.length, ...names.map((n) => n.length));
    names.forEach((name, i) => this.#label(name, COLORS[i % COLORS.length]));
    this.#label(SYSTEM, "1");
    this.#logs = options.logs;
    this.#history = options.history;
    this.#logs?.listen((event) => this.event(event));
  }

  /** Returns a line stream for `name`; give each pipe its own stream. */
  stream(name: string): LineStream {
    const label = this.#label(name);
    const printed = new LineStream(
      this.sink,
      () => this.#prefix(label),
      this.#splitter(),
      this.#fileStream(label),
    );
    return this.#history?.tap(name, printed) ?? printed;
  }

  /**
   * The stream of a process whose output is not printed (`--quiet`): its
   * lines go to its log file and its history only; undefined when it has
   * neither.
   */
  quietStream(name: string): LineStream | undefined {
    const file = this.#fileStream(this.#label(name));
    return this.#history?.tap(name, file) ?? file;
  }

  /**
   * Prints one of tend's own events: a `system` line, or a JSON object
   * with an `event` field. An event about a process also goes to its log
   * file, one about none to every log file, and a `started` event tells
   * the printer the process's pid.
   */
  event(event: TendEvent): Promise<void> | undefined {
    const name = "name" in event ? event.name : undefined;
    const label = name === undefined ? undefined : this.#labels.get(name);
    if (event.event === "started" && label) {
      label.pid = event.pid;
      label.head.key = label.file.key = NaN;
    }
    const text = describeEvent(event);
    const ms = this.#now();
    this.#history?.event(event);
    if (this.#logs) {
      // An event about a process goes to its file; one about all of them
      // (a signal, the stop) to every file, so each file tells its story.
      const line = this.#style.format === "json"
        ? this.#eventJson(event, text, label, ms)
        : _encoder.encode(`${_iso(ms)} [tend] ${text}\n`);
      const names = name === undefined ? [...this.#labels.keys()] : [name];
      for (const each of names) this.#logs.file(each)?.write(line);
    }
    if (this.#style.format === "json") {
      const time = this.#style.timestamp ? ms : undefined;
      return this.sink.write(this.#eventJson(event, text, label, time));
    }
    const body = _encoder.encode(text.endsWith("\n") ? text : text + "\n");
    const prefix = this.#prefix(this.#label(SYSTEM));
    const out = new Uint8Array(prefix.length + body.length);
    out.set(prefix);
    out.set(body, prefix.length);
    return this.sink.write(out);
  }

  /** Prints one of tend's own lines under the `system` name. */
  system(text: string): Promise<void> | undefined {
    return this.event({ event: "message", text });
  }

  /** An event as a JSON object: `time`, the event's data, `line`. */
  #eventJson(
    event: TendEvent,
    text: string,
    label: _Label | undefined,
    ms: number | undefined,
  ): Uint8Array {
    // The event's own fields in order, with the type after the name.
    const object: Record<string, unknown> = ms === undefined
      ? {}
      : { time: _iso(ms) };
    for (const [key, value] of Object.entries(event)) {
      object[key] = value;
      if (key === "name" && label) object.type = label.type;
    }
    object.line = text;
    return _encoder.encode(JSON.stringify(object) + "\n");
  }

  #splitter(): Splitter {
    return this.#style.format === "json"
      ? new JsonLineSplitter()
      : new LineSplitter();
  }

  /** A stream to `label`'s log file, if it has one. */
  #fileStream(label: _Label): LineStream | undefined {
    const file = this.#logs?.file(label.name);
    if (!file) return undefined;
    const json = this.#style.format === "json";
    return new LineStream(file, () => {
      const ms = this.#now();
      return _cached(
        label.file,
        ms,
        () =>
          json
            ? jsonHead({
              time: ms,
              name: label.name,
              type: label.type,
              pid: label.pid,
            })
            : _encoder.encode(_iso(ms) + " "),
      );
    }, this.#splitter());
  }

  /** The prefix bytes for a label now; rebuilt at most once a second. */
  #prefix(label: _Label): Uint8Array {
    if (this.#style.format === "json") {
      const ms = this.#style.timestamp ? this.#now() : -1;
      return _cached(label.head, ms, () =>
        jsonHead({
          time: ms === -1 ? undefined : ms,
          name: label.name,
          type: label.type,
          pid: label.pid,
        }));
    }
    if (!this.#style.prefix) return _EMPTY;
    if (!this.#style.timestamp) {
      if (label.second === -1) return label.bytes;
      label.second = -1;
      return (label.bytes = this.#format(label, ""));
    }
    const ms = this.#now();
    const second = Math.floor(ms / 1000);
    if (second !== label.second) {
      const [h, m, s] = localTime(ms);
      const time = `${_pad2(h)}:${_pad2(m)}:${_pad2(s)} `;
      label.second = second;
      label.bytes = this.#format(label, time);
    }
    return label.bytes;
  }

  /** Builds the prefix bytes "TIME NAME | ", coloured when asked. */
  #format(label: _Label, time: string): Uint8Array {
    const text = `${time}${label.name.padEnd(this.#width)} | `;
    const colored = this.#style.color && label.color
      ? `\x1b[${label.color}m${text}\x1b[0m`
      : text;
    return _encoder.encode(colored);
  }

  /** The label of `name`, made on first use with the next colour. */
  #label(name: string, color?: string): _Label {
    let label = this.#labels.get(name);
    if (!label) {
      const dot = name.lastIndexOf(".");
      label = {
        name,
        type: dot === -1 ? name : name.slice(0, dot),
        color: color ?? COLORS[this.#labels.size % COLORS.length],
        second: -2,
        bytes: _EMPTY,
        head: { key: NaN, bytes: _EMPTY },
        file: { key: NaN, bytes: _EMPTY },
      };
      this.#labels.set(name, label);
    }
    return label;
  }
}
