/**
 * The watchdog: what stops tend's processes when tend itself dies, even by
 * SIGKILL. It is a small shell that tend spawns (so tend reaps it, even as
 * PID 1) and that reads the list of live process groups on its stdin. When
 * its stdin ends without tend saying goodbye, tend is gone: it SIGKILLs
 * every group still listed, and every process that carries tend's mark in
 * its environment (those that left their group).
 *
 * It starts before the first process, and stays there although start-up
 * time counts: a SIGKILL of tend between a process's spawn and the
 * watchdog's would leave that process running with no one to stop it.
 * Started after the processes, it saved nothing measurable on the
 * compiled binary (first line after 17.3 ms, against 16.7 ms with the
 * watchdog first; medians of 31 interleaved runs) and about 2.5 ms of
 * 65 ms on Deno, within the noise: whichever spawn comes first pays the
 * runtime's one-time set-up of its process API.
 *
 * @module
 */
import process from "node:process";
import { MARK_VARIABLE } from "./_reaper.ts";
import { spawnChild, type SpawnedChild } from "./runtime_spawn.ts";

// `+PGID` and `-PGID` lines keep the list; `=` is tend's goodbye (a clean
// exit, nothing to do). It ignores the terminal's signals so that only the
// end of its input stops it. `grep -z` reads the NUL-separated environ.
const _SCRIPT = `trap '' INT TERM HUP
tend=$PPID
while read -r line; do
  case $line in
    =) exit 0 ;;
    +*) eval "_g\${line#+}=1" ;;
    -*) unset "_g\${line#-}" ;;
  esac
done
for g in $(set | sed -n 's/^_g\\([0-9]*\\)=.*/\\1/p'); do kill -KILL "-$g" 2>/dev/null; done
for f in /proc/[0-9]*/environ; do
  grep -qxz "${MARK_VARIABLE}=$tend" "$f" 2>/dev/null || continue
  p=\${f#/proc/}
  kill -KILL "\${p%/environ}" 2>/dev/null
done
`;

/** The watchdog of one supervisor. */
export class Watchdog {
  readonly #child: SpawnedChild;

  /** Starts the watchdog. */
  constructor() {
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(process.env)) {
      if (value !== undefined) env[key] = value;
    }
    this.#child = spawnChild("/bin/sh", ["-c", _SCRIPT], {
      env,
      stdin: true,
      onExit: () => {},
      onError: () => {},
    });
  }

  /** The watchdog's pid. */
  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** Lists a process group to kill if tend dies. */
  add(pgid: number | undefined): void {
    if (pgid !== undefined) this.#child.write(`+${pgid}\n`);
  }

  /** Takes a group that has ended off the list. */
  remove(pgid: number | undefined): void {
    if (pgid !== undefined) this.#child.write(`-${pgid}\n`);
  }

  /** Says goodbye: tend exits cleanly and has stopped everything itself. */
  close(): void {
    this.#child.end("=\n");
  }
}
