/**
 * How the control commands print: the status table, the health check's
 * verdict, durations, and log lines as `tend start` prints them.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import process from "node:process";
import type { Flags } from "./args.ts";
import type { LogMessage, ProcessStatus } from "./control_protocol.ts";
import { COLORS, SYSTEM, wantColor } from "./output.ts";
import { exit, openStdout, printError, stdoutIsTerminal } from "./runtime.ts";
import { EXIT_BROKEN_PIPE } from "./status.ts";

/**
 * Whether every long-running process is up and ready: each is `running`
 * and ready, or may die (`--can-die`) and is done. The problems name the
 * others.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { healthOf } from "./control_format.ts";
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
 * import { duration } from "./control_format.ts";
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
 * import { statusTable } from "./control_format.ts";
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

/**
 * Merges the histories of several tends by time; each keeps its own order
 * (its clock may have stepped back), and ties go to the earlier tend.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mergeLogs } from "./control_format.ts";
 * const line = (name: string, time: number) => ({ name, time, line: "" });
 * assert.deepEqual(
 *   mergeLogs([[line("a", 1), line("a", 5)], [line("b", 3)]]).map((m) => "name" in m && m.name),
 *   ["a", "b", "a"],
 * );
 * ```
 */
export function mergeLogs(lists: readonly LogMessage[][]): LogMessage[] {
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

/**
 * Prints `logs` lines as `tend start` prints them, `HH:MM:SS name | line`,
 * to stdout, with the flags' `--no-color`, `--no-prefix` and
 * `--no-timestamp`; `names` align and colour the prefixes.
 */
export function logPrinter(
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
