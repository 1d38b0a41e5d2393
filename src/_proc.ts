/**
 * What `/proc` says about processes (Linux): each one's parent, process
 * group, session and state. Read only while something is stopping, never
 * while tend is idle.
 *
 * @module
 */
import { readdirSync, readFileSync } from "node:fs";
import process from "node:process";

/** One line of `/proc/PID/stat`, the fields tend uses. */
export interface ProcStat {
  pid: number;
  /** One letter: R, S, D, Z (zombie), T, ... */
  state: string;
  ppid: number;
  pgrp: number;
  session: number;
}

/** Parses `/proc/PID/stat`; the command name may hold spaces and parentheses. */
export function parseStat(text: string): ProcStat | undefined {
  const close = text.lastIndexOf(")");
  if (close === -1) return undefined;
  const pid = Number(text.slice(0, text.indexOf(" ")));
  const [state, ppid, pgrp, session] = text.slice(close + 2).split(" ");
  if (!Number.isInteger(pid) || state === undefined) return undefined;
  return {
    pid,
    state,
    ppid: Number(ppid),
    pgrp: Number(pgrp),
    session: Number(session),
  };
}

/** Every process `/proc` lists now; undefined where there is no `/proc`. */
export function processes(): ProcStat[] | undefined {
  let names: string[];
  try {
    names = readdirSync("/proc");
  } catch {
    return undefined;
  }
  const out: ProcStat[] = [];
  for (const name of names) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    try {
      const stat = parseStat(readFileSync(`/proc/${name}/stat`, "latin1"));
      if (stat) out.push(stat);
    } catch {
      // It ended while we looked.
    }
  }
  return out;
}

/**
 * Whether any process of group `pgid` is alive. Zombies do not count:
 * they are dead, and it is their parent's (or init's) turn to reap them,
 * which some inits do only every second or so.
 */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (error) {
    return (error as { code?: string }).code === "EPERM";
  }
  const all = processes();
  if (!all) return true;
  return all.some((p) => p.pgrp === pgid && p.state !== "Z");
}
