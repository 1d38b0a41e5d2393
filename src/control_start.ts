/**
 * The control socket of `tend start`, from the project: where it goes
 * (this user's control directory, this app's key), and the refusal to run
 * a process type that another tend of the same app already runs. Kept out
 * of `cli.ts` so the command line stays thin.
 *
 * @module
 */
import process from "node:process";
import { type AppSockets, findPeers } from "./control_client.ts";
import { ControlServer } from "./control.ts";
import { type Problem, TendError } from "./errors.ts";
import type { Instance } from "./formation.ts";
import type { TypeSelection } from "./policy.ts";
import type { Project } from "./project.ts";
import { appKey, controlDir, ControlDirError } from "./socket_path.ts";
import { EXIT_ALREADY_RUNNING } from "./status.ts";

/** The supervisor's options that the control server reports. */
export interface OpenControlOptions {
  /** The stop timeout, ms. */
  timeout?: number;
  /** Types that may exit (`--can-die`). */
  canDie?: TypeSelection;
}

/**
 * Where the tends of the project's app listen: the control directory of
 * this user and environment, and the app's key.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { appSockets } from "./control_start.ts";
 * const app = appSockets(
 *   { appRoot: "/srv/app", procfilePath: "/srv/app/Procfile" },
 *   { XDG_RUNTIME_DIR: "/run/user/1000" },
 * );
 * assert.equal(app.dir.path, "/run/user/1000/tend");
 * assert.match(app.key, /^[0-9a-f]{16}$/);
 * ```
 */
export function appSockets(
  project: Pick<Project, "appRoot" | "procfilePath">,
  env: Readonly<Record<string, string | undefined>> = process.env,
): AppSockets {
  const procfile = project.procfilePath ?? `${project.appRoot}/Procfile`;
  return { dir: controlDir(env), key: appKey(project.appRoot, procfile) };
}

/**
 * Listens on the control socket of a tend that will run the project's
 * instances, or, when the control directory cannot be made, passes a
 * warning to `warn` and returns undefined (tend runs on without it).
 * Throws a {@linkcode TendError} when the directory is unsafe (status 1),
 * or when another tend of the app, started earlier, runs one of these
 * instances' types ({@linkcode EXIT_ALREADY_RUNNING}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mkdtempSync, writeFileSync } from "node:fs";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import process from "node:process";
 * import { loadProject, openControl } from "../mod.ts";
 * const appRoot = mkdtempSync(join(tmpdir(), "app-"));
 * writeFileSync(join(appRoot, "Procfile"), "web: serve\n");
 * const project = loadProject({ appRoot });
 * const control = await openControl(project, "1.0.0", {}, console.warn);
 * assert.ok(control?.path.endsWith(`-${process.pid}.sock`));
 * // Another tend of this app would now refuse to run "web" (status 75).
 * await control?.close();
 * ```
 */
export async function openControl(
  project: Pick<Project, "appRoot" | "procfilePath" | "instances">,
  version: string,
  options: OpenControlOptions,
  warn: (warnings: Problem[]) => void,
): Promise<ControlServer | undefined> {
  // Windows has no socket files with owners and modes to check.
  if (process.platform === "win32") return undefined;
  const app = appSockets(project);
  let server: ControlServer;
  try {
    server = await ControlServer.listen({
      app,
      appRoot: project.appRoot,
      procfile: project.procfilePath ?? "",
      instances: project.instances,
      version,
      timeout: options.timeout,
      canDie: options.canDie,
    });
  } catch (error) {
    if (error instanceof ControlDirError && error.unsafe) throw error;
    if (!(error instanceof TendError)) throw error;
    warn([{
      ...error.problems[0],
      message: `${
        error.problems[0].message
      } (tend status, restart, stop and logs cannot reach this tend)`,
    }]);
    return undefined;
  }
  const conflict = await _conflict(server, app, project.instances, warn);
  if (conflict) {
    await server.close();
    throw new TendError({ message: conflict }, EXIT_ALREADY_RUNNING);
  }
  return server;
}

/**
 * The refusal, if another tend of the app runs one of our types. Both may
 * be starting at once, each seeing the other: the one that began to listen
 * later (or, at the same millisecond, has the higher pid) gives way.
 */
async function _conflict(
  server: ControlServer,
  app: AppSockets,
  instances: readonly Instance[],
  warn: (warnings: Problem[]) => void,
): Promise<string | undefined> {
  const ours = new Set(instances.map((i) => i.type));
  for (const peer of await findPeers(app, server.path)) {
    if (!peer.tend) {
      warn([{
        message:
          `another tend of this app (pid ${peer.socket.pid}) does not answer (${peer.error}); not checking what it runs`,
      }]);
      continue;
    }
    const first = peer.tend.startedAt < server.startedAt ||
      (peer.tend.startedAt === server.startedAt &&
        peer.tend.pid < process.pid);
    if (!first) continue;
    const shared = [...new Set(peer.processes.map((p) => p.type))]
      .filter((type) => ours.has(type));
    if (shared.length === 0) continue;
    const them = shared.length === 1
      ? `${shared[0]} already runs`
      : `${shared.join(", ")} already run`;
    return `${them} under another tend for this app (pid ${peer.tend.pid}; see tend status): stop it first, or start other types (tend start TYPE...)`;
  }
  return undefined;
}
