/**
 * The commands that control a running tend: `status` (and its health
 * check, `status --check`), `restart`, `stop` and `logs`. They find the
 * app as every command does (`-f`, `-d`, `-e`), ask every tend of it over
 * its socket, and print what they answer. Loaded only for these commands.
 *
 * @module
 */
import process from "node:process";
import { Buffer } from "node:buffer";
import { projectOptions } from "./_flag_values.ts";
import type { Flags } from "./args.ts";
import {
  exchange,
  findPeers,
  type Peer,
  streamLogs,
} from "./control_client.ts";
import type {
  ControlResponse,
  LogMessage,
  ProcessStatus,
} from "./control_protocol.ts";
import { appSockets } from "./control_start.ts";
import { TendError, UsageError } from "./errors.ts";
import { COLORS, SYSTEM, wantColor } from "./output.ts";
import { checkProject } from "./project.ts";
import { exit, openStdout, printError, stdoutIsTerminal } from "./runtime.ts";
import { EXIT_BROKEN_PIPE, EXIT_FAILURE, EXIT_NOT_RUNNING } from "./status.ts";

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

/**
 * Whether every long-running process is up and ready: each is `running`
 * and ready, or may die (`--can-die`) and is done. The problems name the
 * others.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { healthOf } from "./control_cli.ts";
 * const p = { name: "web.1", state: "running", ready: true, canDie: false } as const;
 * assert.deepEqual(healthOf([p]), { healthy: true, problems: [] });
 * assert.deepEqual(healthOf([{ ...p, state: "backoff", ready: false }]).problems, [
 *   "web.1 backoff",
 * ]);
 * ```
 */
export function healthOf(
  processes: readonly Pick<
    ProcessStatus,
    "name" | "state" | "ready" | "canDie"
  >[],
): { healthy: boolean; problems: string[] } {
  const problems: string[] = [];
  for (const p of processes) {
    if (p.state === "running" && p.ready) continue;
    if (p.canDie && p.state === "done") continue;
    problems.push(
      p.state === "running" ? `${p.name} not ready` : `${p.name} ${p.state}`,
    );
  }
  return { healthy: problems.length === 0, problems };
}

/**
 * How long, for a person: `42s`, `3m05s`, `2h03m`, `4d02h`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { duration } from "./control_cli.ts";
 * assert.equal(duration(185_000), "3m05s");
 * assert.equal(duration(7_380_000), "2h03m");
 * ```
 */
export function duration(ms: number): string {
  const s = Math.floor(ms / 1000);
  const pad = (n: number) => String(n).padStart(2, "0");
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${pad(s % 60)}s`;
  if (s < 86400) {
    return `${Math.floor(s / 3600)}h${pad(Math.floor(s / 60) % 60)}m`;
  }
  return `${Math.floor(s / 86400)}d${pad(Math.floor(s / 3600) % 24)}h`;
}

/**
 * The status as a table, a column per field; with `tends`, which tend
 * runs each process.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { statusTable } from "./control_cli.ts";
 * const table = statusTable([{
 *   name: "web.1", type: "web", pid: 42, state: "running", port: 5000,
 *   startedAt: 0, uptime: 65_000, restarts: 1, lastStatus: 143, ready: true,
 *   canDie: false, tend: 7,
 * }]);
 * assert.equal(table.split("\n")[1], "web.1  web   42   running  5000  1m05s   1         143        yes");
 * ```
 */
export function statusTable(
  processes: readonly (ProcessStatus & { tend: number })[],
  tends = false,
): string {
  const rows = [[
    "NAME",
    "TYPE",
    "PID",
    "STATE",
    "PORT",
    "UPTIME",
    "RESTARTS",
    "LAST EXIT",
    "READY",
    ...(tends ? ["TEND"] : []),
  ]];
  for (const p of processes) {
    rows.push([
      p.name,
      p.type,
      p.pid === null ? "-" : String(p.pid),
      p.state,
      String(p.port),
      p.uptime === null ? "-" : duration(p.uptime),
      String(p.restarts),
      p.lastStatus === null ? "-" : String(p.lastStatus),
      p.ready ? "yes" : "no",
      ...(tends ? [String(p.tend)] : []),
    ]);
  }
  const widths = rows[0].map((_, i) =>
    Math.max(...rows.map((r) => r[i].length))
  );
  return rows.map((r) =>
    r.map((cell, i) => i === r.length - 1 ? cell : cell.padEnd(widths[i]))
      .join("  ")
  ).join("\n") + "\n";
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
        const lines = await exchange(
          peer.socket.path,
          { cmd: command, target },
          { timeout: 0 },
        );
        return lines[0] as ControlResponse | undefined;
      } catch (error) {
        return _failure("unavailable", (error as Error).message);
      }
    }));
    const done = answers.filter((a) => a?.ok);
    for (const answer of done) {
      if (answer?.ok) process.stdout.write(_changed(command, answer));
    }
    if (done.length > 0) continue;
    const errors = answers.flatMap((a) => a && !a.ok ? [a.error] : []);
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

function _failure(code: string, message: string): ControlResponse {
  return {
    v: 1,
    ok: false,
    error: { code: "internal", message: `${code}: ${message}` },
  };
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
  const { print, flush } = _linePrinter(names, flags);
  // Everything is held until every tend sent its history, which is then
  // printed merged by time; after that lines are printed as they come.
  const held = new Map<Peer, LogMessage[]>(asked.map((a) => [a.peer, []]));
  const finished = new Set<Peer>();
  const caughtUp = (peer: Peer) => {
    if (held.size === 0 || finished.has(peer)) return;
    finished.add(peer);
    if (finished.size < held.size) return;
    for (const m of _merge([...held.values()])) print(m);
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

/**
 * Merges the histories of several tends by time; each keeps its own order
 * (its clock may have stepped back), and ties go to the earlier tend.
 */
function _merge(lists: LogMessage[][]): LogMessage[] {
  const at = lists.map(() => 0);
  const out: LogMessage[] = [];
  for (;;) {
    let best = -1;
    for (let i = 0; i < lists.length; i++) {
      if (at[i] >= lists[i].length) continue;
      if (
        best === -1 || _time(lists[i][at[i]]) < _time(lists[best][at[best]])
      ) {
        best = i;
      }
    }
    if (best === -1) return out;
    out.push(lists[best][at[best]++]);
  }
}

function _time(m: LogMessage): number {
  return "time" in m ? m.time : 0;
}

/** Prints `logs` lines as tend start prints them: `HH:MM:SS name | line`. */
function _linePrinter(
  names: readonly string[],
  flags: Flags,
): { print: (m: LogMessage) => void; flush: () => Promise<void> } {
  const stdout = openStdout(() => exit(EXIT_BROKEN_PIPE));
  const color = wantColor({
    isTerminal: stdoutIsTerminal(),
    env: process.env,
    noColor: flags.noColor,
  });
  const width = Math.max(SYSTEM.length, ...names.map((n) => n.length));
  const pad = (n: number) => String(n).padStart(2, "0");
  const print = (m: LogMessage) => {
    if (!("line" in m)) {
      if ("dropped" in m) {
        printError(`tend: ${m.dropped} lines dropped (reading too slowly)`);
      }
      return;
    }
    const name = "event" in m ? SYSTEM : m.name;
    let prefix = "";
    if (!flags.noPrefix) {
      const d = new Date(m.time);
      const time = flags.noTimestamp
        ? ""
        : `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} `;
      prefix = `${time}${name.padEnd(width)} | `;
      const i = names.indexOf(name);
      const code = i === -1 ? "1" : COLORS[i % COLORS.length];
      if (color) prefix = `\x1b[${code}m${prefix}\x1b[0m`;
    }
    const body = "base64" in m && m.base64 !== undefined
      ? Buffer.from(m.base64, "base64")
      : Buffer.from(m.line);
    stdout.write(Buffer.concat([Buffer.from(prefix), body, Buffer.from("\n")]));
  };
  return { print, flush: () => stdout.flush() };
}
