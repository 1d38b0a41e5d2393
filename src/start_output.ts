/**
 * The output of `tend start` from its flags: the printer (text or JSON,
 * colours, log files) and the variables it adds to the processes'
 * environment. Kept out of `cli.ts` so the command line stays thin.
 *
 * @module
 */
import { resolve } from "node:path";
import process from "node:process";
import { byteSize, logFormat } from "./_flag_values.ts";
import type { Flags } from "./flags.ts";
import type { History } from "./history.ts";
import type { LogDir } from "./log_dir.ts";
import { outputHints } from "./output_env.ts";
import { Printer, wantColor } from "./output.ts";
import { stdoutIsTerminal } from "./runtime.ts";
import type { ByteSink } from "./sink.ts";

/** What {@linkcode startOutput} sets up. */
export interface StartOutput {
  /** Prints the processes' lines and tend's events. */
  printer: Printer;
  /** The processes' environment: the project's plus tend's hints. */
  env: Record<string, string>;
  /** Finishes the log files, then stdout; call before exiting. */
  close(): Promise<void>;
}

/**
 * Whether tend prints in colour with these flags, to this stdout: text
 * format, no `--no-color`, and `wantColor` says so.
 */
export function outputColor(flags: Flags): boolean {
  if (logFormat(flags.logFormat) === "json") return false;
  return wantColor({
    isTerminal: stdoutIsTerminal(),
    env: process.env,
    noColor: flags.noColor,
  });
}

/**
 * The variables `tend start` adds to the processes' environment `env`
 * with these flags: the hints of {@linkcode outputHints} when tend prints
 * in colour, none of them a key `env` already has.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { startHints } from "./start_output.ts";
 * assert.deepEqual(startHints({ noColor: true }, { PATH: "/bin" }), {});
 * ```
 */
export function startHints(
  flags: Flags,
  env: Readonly<Record<string, string>>,
): Record<string, string> {
  return outputHints({ color: outputColor(flags), env });
}

/**
 * Builds the printer of `tend start` for instances `names` over `sink`
 * (tend's stdout), opening the log directory if `--log-dir` names one and
 * recording into `history` if given, and adds the colour and buffering
 * hints to `env` when tend prints in colour. Bad flag values are usage
 * errors.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { QueuedSink } from "./sink.ts";
 * import { startOutput } from "./start_output.ts";
 * const sink = new QueuedSink(async () => {});
 * const output = await startOutput({ logFormat: "json" }, sink, ["web.1"], {});
 * assert.equal(output.env.FORCE_COLOR, undefined); // JSON has no colours
 * await output.close();
 * ```
 */
export async function startOutput(
  flags: Flags,
  sink: ByteSink,
  names: readonly string[],
  env: Readonly<Record<string, string>>,
  history?: History,
): Promise<StartOutput> {
  const format = logFormat(flags.logFormat);
  const maxSize = byteSize(flags.logMaxSize, "--log-max-size");
  const color = outputColor(flags);
  let logs: LogDir | undefined;
  if (flags.logDir !== undefined) {
    // Loaded only for --log-dir: one module fewer to load at start-up.
    const { openLogDir } = await import("./log_dir.ts");
    logs = openLogDir(resolve(flags.logDir), names, { maxSize });
  }
  const printer = new Printer(sink, names, {
    color,
    format,
    prefix: !flags.noPrefix,
    timestamp: !flags.noTimestamp,
    logs,
    history,
  });
  return {
    printer,
    env: { ...env, ...startHints(flags, env) },
    async close() {
      // Closing the files may print how many lines they dropped.
      await logs?.close();
      await sink.flush();
    },
  };
}
