/**
 * The commands that control a running tend: `status` (and its health
 * check, `status --check`), `restart`, `stop` and `logs`. They find the
 * app as every command does (`-f`, `-d`, `-e`), ask every tend of it over
 * its socket, and print what they answer. Loaded only for these commands.
 *
 * @module
 */
import process from "node:process";
import { projectOptions } from "./_flag_values.ts";
import type { Flags } from "./args.ts";
import {
  exchange,
  findPeers,
  type Peer,
  streamLogs,
} from "./control_client.ts";
import {
  healthOf,
  logPrinter,
  mergeLogs,
  statusTable,
} from "./control_format.ts";
import type {
  ControlResponse,
  LogMessage,
  ProcessStatus,
} from "./control_protocol.ts";
import { appSockets } from "./control_start.ts";
import { TendError, UsageError } from "./errors.ts";
import { checkProject } from "./project.ts";
import { printError } from "./runtime.ts";
import { EXIT_FAILURE, EXIT_NOT_RUNNING } from "./status.ts";

/** A control command's name. */
export type ControlCommand = "status" | "restart" | "stop" | "logs";

/**
 * Runs a control command and resolves with its exit status; errors are
 * thrown as {@linkcode TendError}s with theirs.
 */
export async function controlCommand(
  command: ControlCommand,
  flags: Flags,
  positionals: string[],
): Promise<number> {
  if (command === "status" && positionals.length > 0) {
    throw new UsageError(`"tend status" takes no arguments`);
  }
  if ((command === "restart" || command === "stop") && !positionals.length) {
    throw new UsageError(
      `"tend ${command}" needs a process or type: NAME|TYPE`,
    );
  }
  const { project } = checkProject({
    ...projectOptions(flags, process.env),
    example: false,
  });
  const peers = await findPeers(appSockets(project));
  for (const peer of peers.filter((p) => !p.tend)) {
    printError(
      `tend: warning: the tend with pid ${peer.socket.pid} does not answer (${peer.error})`,
    );
  }
  const live = peers.filter((p) => p.tend);
  if (live.length === 0) {
    if (command === "status" && flags.check) {
      process.stdout.write("unhealthy: no tend is running for this app\n");
      return EXIT_FAILURE;
    }
    throw new TendError({
      path: project.procfilePath,
      message: "no tend is running for this app (start one with tend start)",
    }, EXIT_NOT_RUNNING);
  }
  switch (command) {
    case "status":
      return _status(live, flags);
    case "restart":
    case "stop":
      return await _change(command, live, positionals);
    case "logs":
      return await _logs(live, flags, positionals);
  }
}

/** Each process with the pid of the tend that runs it. */
function _all(peers: readonly Peer[]): (ProcessStatus & { tend: number })[] {
  return peers.flatMap((p) =>
    p.processes.map((s) => ({ ...s, tend: p.tend!.pid }))
  );
}

function _status(peers: Peer[], flags: Flags): number {
  const processes = _all(peers);
  const health = healthOf(processes);
  if (flags.json) {
    const tends = peers.map((p) => ({ ...p.tend, socket: p.socket.path }));
    const out = { v: 1, healthy: health.healthy, tends, processes };
    process.stdout.write(JSON.stringify(out, null, 2) + "\n");
  } else if (flags.check) {
    process.stdout.write(
      health.healthy
        ? `healthy: ${processes.map((p) => p.name).join(", ")} up\n`
        : `unhealthy: ${health.problems.join(", ")}\n`,
    );
  } else {
    process.stdout.write(statusTable(processes, peers.length > 1));
  }
  return flags.check && !health.healthy ? EXIT_FAILURE : 0;
}

/** Sends a restart or stop for each target to every tend; prints what changed. */
async function _change(
  command: "restart" | "stop",
  peers: Peer[],
  targets: string[],
): Promise<number> {
  let status = 0;
  for (const target of targets) {
    const answers = await Promise.all(peers.map(async (peer) => {
      try {
        // The answer comes once it runs again, within the tend's -t and
        // 10 s more; a tend that is frozen (SIGSTOP) must not hang this.
        const timeout = (peer.tend?.timeout ?? 5000) + 20_000;
        const lines = await exchange(
          peer.socket.path,
          { cmd: command, target },
          { timeout },
        );
        return lines[0] as ControlResponse | undefined ?? _failure("no answer");
      } catch (error) {
        return _failure((error as Error).message);
      }
    }));
    let done = false;
    for (const answer of answers) {
      if (!answer.ok) continue;
      process.stdout.write(_changed(command, answer));
      done = true;
    }
    if (done) continue;
    const errors = answers.flatMap((a) => a.ok ? [] : [a.error]);
    const unknown = errors.every((e) => e.code === "unknown-process");
    if (unknown) {
      const names = _all(peers).map((p) => p.name).join(", ");
      printError(`tend: no process "${target}" (processes: ${names})`);
      status ||= EXIT_FAILURE;
    } else {
      const error = errors.find((e) => e.code !== "unknown-process");
      printError(`tend: cannot ${command} ${target}: ${error?.message}`);
      status ||= EXIT_NOT_RUNNING;
    }
  }
  return status;
}

/** A tend that did not answer, as an error answer. */
function _failure(message: string): ControlResponse {
  return { v: 1, ok: false, error: { code: "internal", message } };
}

/** What a restart or stop did, a line per process. */
function _changed(
  command: "restart" | "stop",
  answer: Extract<ControlResponse, { ok: true }>,
): string {
  let text = "";
  for (const now of answer.processes ?? []) {
    const before = answer.before?.find((b) => b.name === now.name);
    const was = before && before.startedAt !== null ? before.pid : null;
    if (answer.settled === false) {
      text += `${now.name} is still ${now.state} (pid ${now.pid})\n`;
    } else if (command === "stop") {
      text += was === null
        ? `${now.name} was not running (${now.state})\n`
        : `${now.name} stopped (pid ${was})\n`;
    } else if (now.state === "starting" || now.state === "running") {
      text += was === null
        ? `${now.name} started (pid ${now.pid})\n`
        : `${now.name} restarted (pid ${was} -> ${now.pid})\n`;
    } else {
      text += `${now.name} is ${now.state}\n`;
    }
  }
  return text;
}

/** Prints the history of the names asked for, then follows if asked. */
async function _logs(
  peers: Peer[],
  flags: Flags,
  targets: string[],
): Promise<number> {
  const matches = (p: ProcessStatus, t: string) => p.name === t || p.type === t;
  for (const target of targets) {
    if (!_all(peers).some((p) => matches(p, target))) {
      const names = _all(peers).map((p) => p.name).join(", ");
      throw new TendError({
        message: `no process "${target}" (processes: ${names})`,
      });
    }
  }
  const asked = peers.map((peer) => ({
    peer,
    targets: targets.filter((t) => peer.processes.some((p) => matches(p, t))),
  })).filter((a) => targets.length === 0 || a.targets.length > 0);
  const names = _all(asked.map((a) => a.peer)).map((p) => p.name);
  const { print, flush } = logPrinter(names, flags);
  // Everything is held until every tend sent its history, which is then
  // printed merged by time; after that lines are printed as they come.
  const held = new Map<Peer, LogMessage[]>(asked.map((a) => [a.peer, []]));
  const finished = new Set<Peer>();
  const caughtUp = (peer: Peer) => {
    if (held.size === 0 || finished.has(peer)) return;
    finished.add(peer);
    if (finished.size < held.size) return;
    for (const m of mergeLogs([...held.values()])) print(m);
    held.clear();
  };
  await Promise.all(
    asked.map(({ peer, targets }) =>
      streamLogs([peer], { targets, follow: flags.follow ?? false }, (_, m) => {
        if ("ok" in m) {
          if (!m.ok) printError(`tend: ${m.error.message}`);
        } else if ("following" in m) caughtUp(peer);
        else if (held.size > 0) held.get(peer)!.push(m);
        else print(m);
      }).then(() => caughtUp(peer))
    ),
  );
  await flush();
  return 0;
}
