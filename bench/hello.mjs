/**
 * The bench's bare-runtime baseline: the least a Procfile runner written for
 * a JS runtime must do. It launches each argument (default `echo READY`)
 * with `/bin/sh -c`, as tend does, relays the child's output unchanged
 * through a stream pipe (no prefix, no line splitting), and exits when every
 * child has. The bench runs it under `deno run -A`, `bun`, a
 * `bun build --compile` binary of it and `node`, so that each tend launcher
 * can be set beside its own runtime's floor for start-up, memory and
 * throughput.
 *
 * ```sh
 * node bench/hello.mjs 'echo READY; exec sleep 60' 'exec sleep 60'
 * ```
 *
 * Plain JavaScript, so that node runs it as it is.
 *
 * @module
 */
import { spawn } from "node:child_process";
import process from "node:process";

const commands = process.argv.length > 2
  ? process.argv.slice(2)
  : ["echo READY"];
for (const command of commands) {
  const child = spawn("/bin/sh", ["-c", command], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  child.stdout.pipe(process.stdout, { end: false });
}
