/**
 * Output: the merged stream of every process's lines and tend's own
 * events, each line prefixed with `HH:MM:SS name | `, aligned and coloured.
 * Line splitting itself is in `lines.ts`.
 *
 * @module
 */
import { describeEvent, type TendEvent } from "./events.ts";
import { LineStream } from "./lines.ts";
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

interface _Label {
  name: string;
  color: string | undefined;
  second: number;
  bytes: Uint8Array;
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
    style: OutputStyle = {},
    now: () => number = Date.now,
  ) {
    this.sink = sink;
    this.#style = {
      prefix: style.prefix ?? true,
      timestamp: style.timestamp ?? true,
      color: style.color ?? false,
    };
    this.#now = now;
    this.#width = Math.max(SYSTEM.length, ...names.map((n) => n.length));
    names.forEach((name, i) => this.#label(name, COLORS[i % COLORS.length]));
    this.#label(SYSTEM, "1");
  }

  /** Returns a line stream for `name`; give each pipe its own stream. */
  stream(name: string): LineStream {
    const label = this.#label(name);
    return new LineStream(this.sink, () => this.#prefix(label));
  }

  /** Prints one of tend's own events under the `system` name. */
  event(event: TendEvent): Promise<void> | undefined {
    return this.system(describeEvent(event));
  }

  /** Prints one of tend's own lines under the `system` name. */
  system(text: string): Promise<void> | undefined {
    const label = this.#label(SYSTEM);
    const body = _encoder.encode(text.endsWith("\n") ? text : text + "\n");
    const prefix = this.#prefix(label);
    const out = new Uint8Array(prefix.length + body.length);
    out.set(prefix);
    out.set(body, prefix.length);
    return this.sink.write(out);
  }

  /** The prefix bytes for a label now; rebuilt at most once a second. */
  #prefix(label: _Label): Uint8Array {
    if (!this.#style.prefix) return _EMPTY;
    if (!this.#style.timestamp) {
      if (label.second === -1) return label.bytes;
      label.second = -1;
      return (label.bytes = this.#format(label, ""));
    }
    const ms = this.#now();
    const second = Math.floor(ms / 1000);
    if (second !== label.second) {
      const d = new Date(ms);
      const time = `${_pad2(d.getHours())}:${_pad2(d.getMinutes())}:${
        _pad2(d.getSeconds())
      } `;
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
      label = {
        name,
        color: color ?? COLORS[this.#labels.size % COLORS.length],
        second: -2,
        bytes: _EMPTY,
      };
      this.#labels.set(name, label);
    }
    return label;
  }
}
