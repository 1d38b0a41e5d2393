/**
 * One-off commands (`tend run`): the command runs in tend's own process
 * group with stdio inherited, so the terminal's Ctrl-C and an interactive
 * shell or REPL reach it directly, and tend exits with its status.
 *
 * @module
 */
import { spawn } from "node:child_process";
import process from "node:process";
import type { Project } from "./project.ts";
import { EXIT_CANNOT_EXECUTE, EXIT_NOT_FOUND, exitStatus } from "./status.ts";

/**
 * What `tend run ARGS` runs in a project, and with which environment: a
 * lone argument that names a Procfile type runs that type's command with
 * its `PORT` and `PS`, as `foreman run TYPE` does (`tend run release`);
 * anything else runs as given, with the base `PORT`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runTarget } from "./run.ts";
 * const project = {
 *   env: { A: "1" },
 *   basePort: 5000,
 *   entries: [{ name: "release", command: "migrate", line: 1 }],
 *   instances: [{ type: "release", index: 1, name: "release.1", command: "migrate", port: 5000 }],
 * };
 * assert.deepEqual(runTarget(project, ["release"], false), {
 *   argv: ["migrate"],
 *   env: { A: "1", PORT: "5000", PS: "release.1" },
 * });
 * assert.deepEqual(runTarget(project, ["ls"], false).argv, ["ls"]);
 * ```
 */
export function runTarget(
  project: Pick<Project, "env" | "basePort" | "entries" | "instances">,
  argv: readonly string[],
  exact: boolean,
): { argv: string[]; env: Record<string, string> } {
  const entry = argv.length === 1 && !exact
    ? project.entries.find((e) => e.name === argv[0])
    : undefined;
  const env = { ...project.env, PORT: String(project.basePort) };
  if (!entry) return { argv: [...argv], env };
  const instance = project.instances.find((i) => i.type === entry.name);
  if (instance) env.PORT = String(instance.port);
  return {
    argv: [entry.command],
    env: { ...env, PS: `${entry.name}.1` },
  };
}

/** Options for {@linkcode runCommand}. */
export interface RunOptions {
  /** Run as an argument vector even if it is one argument (it came after `--`). */
  exact?: boolean;
  /** The environment the command gets. */
  env: Readonly<Record<string, string>>;
  /** Working directory (default: tend's). */
  cwd?: string;
}

/**
 * Runs a command and resolves with its exit status (128+n if a signal
 * killed it, 127 if it was not found, 126 if it could not be executed). One
 * argument runs through `sh -c`; several (or any with `exact`) run as an
 * exact argument vector.
 * While it runs, SIGTERM and SIGHUP sent to tend are forwarded to it and
 * SIGINT is left to reach it from the terminal.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runCommand } from "./run.ts";
 * const status = await runCommand(["exit 3"], { env: { PATH: "/usr/bin:/bin" } });
 * assert.equal(status, 3);
 * ```
 */
export function runCommand(
  argv: readonly string[],
  options: RunOptions,
): Promise<number> {
  const [file, args] = argv.length === 1 && !options.exact
    ? ["/bin/sh", ["-c", argv[0]]]
    : [argv[0], argv.slice(1)];
  return new Promise((resolve) => {
    const target: { pid?: number } = {};
    const forward = (signal: NodeJS.Signals) => () => {
      try {
        // Not child.kill(): Deno then reports the child as killed by that
        // signal even when it trapped it and exited with its own status.
        if (target.pid !== undefined) process.kill(target.pid, signal);
      } catch {
        // Already gone.
      }
    };
    const handlers: [NodeJS.Signals, () => void][] = [
      ["SIGINT", () => {}],
      ["SIGTERM", forward("SIGTERM")],
      ["SIGHUP", forward("SIGHUP")],
    ];
    // Before spawning: the command may be running (and the signal on its
    // way) before spawn() returns, notably on Bun. Handlers run from the
    // event loop, so none runs before the pid is set below.
    for (const [signal, handler] of handlers) process.on(signal, handler);
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: "inherit",
    });
    target.pid = child.pid;
    const done = (status: number) => {
      for (const [signal, handler] of handlers) process.off(signal, handler);
      resolve(status);
    };
    child.once("error", (error: Error & { code?: string }) => {
      const missing = error.code === "ENOENT";
      process.stderr.write(
        `tend: ${missing ? "command not found" : "cannot execute"}: ${
          argv[0]
        }\n`,
      );
      done(missing ? EXIT_NOT_FOUND : EXIT_CANNOT_EXECUTE);
    });
    child.once(
      "exit",
      (code, signal) => done(exitStatus(code, signal)),
    );
  });
}
