/**
 * The only module that knows which runtime it runs on (Deno, Bun or Node):
 * the stdout writer, TTY detection, signal hooks and exiting. Everything
 * else is plain TypeScript over `node:` built-ins.
 *
 * @module
 */
import process from "node:process";
import { QueuedSink } from "./sink.ts";

interface _DenoFile {
  write(p: Uint8Array): Promise<number>;
  isTerminal(): boolean;
}
interface _DenoNamespace {
  stdout: _DenoFile;
  stderr: _DenoFile;
  args: readonly string[];
  version: { deno: string };
}

/** The `Deno` namespace when running on Deno, else undefined. */
function _deno(): _DenoNamespace | undefined {
  return (globalThis as { Deno?: _DenoNamespace }).Deno;
}

/**
 * Opens tend's stdout as a {@linkcode ByteSink}. On Deno it writes with
 * `Deno.stdout.write`, because Deno's `process.stdout.write` blocks the event
 * loop on a full pipe (tend would stop reacting to signals); on Bun and Node
 * it uses `process.stdout` with its write callback.
 *
 * @example
 * ```ts
 * import { openStdout } from "./runtime.ts";
 * const stdout = openStdout();
 * stdout.write(new TextEncoder().encode("hello\n"));
 * await stdout.flush();
 * ```
 */
export function openStdout(
  onBroken?: (error: unknown) => void,
): QueuedSink {
  const deno = _deno();
  if (deno) {
    const file = deno.stdout;
    return new QueuedSink(
      async (bytes) => {
        let at = 0;
        while (at < bytes.length) at += await file.write(bytes.subarray(at));
      },
      onBroken,
      true,
    );
  }
  // Without a listener an EPIPE on stdout is an uncaught exception.
  process.stdout.on("error", () => {});
  return new QueuedSink(
    (bytes) =>
      new Promise<void>((resolve, reject) => {
        process.stdout.write(
          bytes,
          (error) => (error ? reject(error) : resolve()),
        );
      }),
    onBroken,
    true,
  );
}

/** True when stdout is a terminal. */
export function stdoutIsTerminal(): boolean {
  const deno = _deno();
  if (deno) return deno.stdout.isTerminal();
  return Boolean(process.stdout.isTTY);
}

/** The signals tend stops on. */
export type StopSignal = "SIGINT" | "SIGTERM" | "SIGHUP";

/**
 * Calls `handler` for each SIGINT, SIGTERM and SIGHUP until the returned
 * function is called. Installing a handler is also what lets tend stop on
 * SIGTERM as PID 1, where the kernel drops signals that have none.
 *
 * @example
 * ```ts
 * import { onStopSignals } from "./runtime.ts";
 * const stopListening = onStopSignals((signal) => console.log("got", signal));
 * // ... run until done, then:
 * stopListening();
 * ```
 */
export function onStopSignals(
  handler: (signal: StopSignal) => void,
): () => void {
  const signals: StopSignal[] = ["SIGINT", "SIGTERM", "SIGHUP"];
  const listeners = signals.map((signal) => {
    const listener = () => handler(signal);
    process.on(signal, listener);
    return [signal, listener] as const;
  });
  return () => {
    for (const [signal, listener] of listeners) process.off(signal, listener);
  };
}

/** Writes one line of tend's own diagnostics to stderr. */
export function printError(line: string): void {
  process.stderr.write(line.endsWith("\n") ? line : line + "\n");
}

/**
 * The command line arguments after the script. On Deno `Deno.args`, which is
 * right for `deno run` and `deno compile` alike; on Bun and Node
 * `process.argv` minus the runtime and the script (a `bun build --compile`
 * binary keeps that shape: `["bun", "/$bunfs/root/tend", ...]`).
 */
export function args(): string[] {
  const deno = _deno();
  if (deno) return [...deno.args];
  return process.argv.slice(2);
}

/** Exits the process with `code`. */
export function exit(code: number): never {
  process.exit(code);
}
