/**
 * The control socket of `tend start`, from the project: where it goes
 * (this user's control directory, this app's key), and the refusal to run
 * a process type that another tend of the same app already runs. Kept out
 * of `cli.ts` so the command line stays thin.
 *
 * @module
 */
import process from "node:process";
import type { AppSockets } from "./control_client.ts";
import type { ControlServer } from "./control.ts";
import { formatProblem, type Problem, TendError } from "./errors.ts";
import type { Instance } from "./formation.ts";
import { History } from "./history.ts";
import type { TypeSelection } from "./policy.ts";
import type { Project } from "./project.ts";
import {
  appKey,
  controlDir,
  ControlDirError,
  ensureControlDir,
  listSockets,
} from "./socket_path.ts";
import { EXIT_ALREADY_RUNNING } from "./status.ts";
import type { Supervisor } from "./supervisor.ts";

/** The supervisor's options that the control server reports. */
export interface OpenControlOptions {
  /** The stop timeout, ms. */
  timeout?: number;
  /** Types that may exit (`--can-die`). */
  canDie?: TypeSelection;
  /** Where output is recorded (default: a new history of the instances). */
  history?: History;
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
  // Loaded here, not at start-up: node:net and the server cost 20-30 ms.
  const { ControlServer } = await import("./control.ts");
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
      history: options.history,
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
  const { findPeers } = await import("./control_client.ts");
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

/**
 * How long `tend start` waits after starting its processes before it opens
 * the control socket, when no other tend of the app may be running. Loading
 * the control server costs 20-30 ms of the event loop, which would otherwise
 * delay the first lines of the processes.
 */
export const CONTROL_DELAY_MS = 100;

/** The control socket of `tend start`, opened now or a little later. */
export interface StartControl {
  /** Where output is recorded for `tend logs`, from the first line. */
  readonly history: History;
  /**
   * Gives the socket the supervisor, and opens the socket in
   * {@linkcode CONTROL_DELAY_MS} if it is not open yet.
   */
  attach(supervisor: Supervisor): void;
  /** Closes the socket (waiting for one still opening) and removes it. */
  close(): Promise<void>;
}

/**
 * The control socket for `tend start`. When another tend of the app may be
 * running (a socket of the app is in the control directory), it listens
 * and checks before anything starts, as {@linkcode openControl} does, so a
 * type already running is refused (throws, status 75) before it starts
 * twice. Otherwise the processes start first and the socket opens
 * {@linkcode CONTROL_DELAY_MS} later; if a tend of the app that began to
 * listen earlier runs one of these types (both were started at the same
 * moment), `refuse` gets the message and should stop this tend with
 * {@linkcode EXIT_ALREADY_RUNNING}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mkdtempSync, writeFileSync } from "node:fs";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { loadProject } from "../mod.ts";
 * import { startControl } from "./control_start.ts";
 * const appRoot = mkdtempSync(join(tmpdir(), "app-"));
 * writeFileSync(join(appRoot, "Procfile"), "web: serve\n");
 * const project = loadProject({ appRoot });
 * const control = await startControl(project, "1.0.0", {}, console.warn, assert.fail);
 * assert.deepEqual(control.history.snapshot(["web.1"]), []);
 * await control.close();
 * ```
 */
export async function startControl(
  project: Pick<Project, "appRoot" | "procfilePath" | "instances">,
  version: string,
  options: OpenControlOptions,
  warn: (warnings: Problem[]) => void,
  refuse: (message: string) => void,
): Promise<StartControl> {
  const history = options.history ??
    new History(project.instances.map((i) => i.name));
  const open = () =>
    openControl(project, version, { ...options, history }, warn);
  let server: Promise<ControlServer | undefined> | undefined;
  if (_othersMayRun(appSockets(project))) server = open();
  let supervisor: Supervisor | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const later = () => {
    timer = undefined;
    server = open().catch((error: unknown) => {
      if (!(error instanceof TendError)) {
        warn([{ message: `cannot listen: ${(error as Error).message}` }]);
      } else if (error.exitCode === EXIT_ALREADY_RUNNING) {
        refuse(formatProblem(error.problems[0]));
      } else warn([...error.problems]);
      return undefined;
    });
    server.then((s) => supervisor && s?.attach(supervisor));
  };
  if (server) await server;
  return {
    history,
    attach(s: Supervisor): void {
      supervisor = s;
      if (server) server.then((open) => open?.attach(s));
      else timer = setTimeout(later, CONTROL_DELAY_MS);
    },
    async close(): Promise<void> {
      if (timer !== undefined) clearTimeout(timer);
      await (await server)?.close();
    },
  };
}

/**
 * Whether another tend of the app may be running: a socket of the app is in
 * the control directory, or the directory cannot be read. Throws when the
 * directory is unsafe, as listening would.
 */
function _othersMayRun(app: AppSockets): boolean {
  try {
    return ensureControlDir(app.dir, false) &&
      listSockets(app.dir.path, app.key).length > 0;
  } catch (error) {
    if (error instanceof ControlDirError && error.unsafe) throw error;
    return true;
  }
}
