/**
 * Process plumbing for the benchmark: starting a runner with its output
 * sent to /dev/null, a file or a pipe, reading its memory and CPU from
 * /proc, and killing everything a run started, however it ended.
 *
 * Every process the bench starts carries `TEND_BENCH_MARK=<run mark>` in its
 * environment, and its children inherit it even across `setsid` and `exec`.
 * Scanning /proc/PID/environ for the mark finds whatever a runner left
 * behind, so the bench can count orphans and kill them.
 *
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import process from "node:process";
import { performance } from "node:perf_hooks";

const _MARK_VAR = "TEND_BENCH_MARK";

/** A prefix shared by the marks of this bench process, for the last sweep. */
export const SESSION = `tb${process.pid}x${Date.now().toString(36)}`;

let _runs = 0;

/** A fresh mark for one run; the trailing dot makes prefix matches exact. */
export function newMark(): string {
  return `${SESSION}r${++_runs}.`;
}

/** What to start and where its output goes. */
export interface Launch {
  file: string;
  args: readonly string[];
  cwd: string;
  /** `null` for /dev/null, `pipe` to read it, or a file path. */
  output: "null" | "pipe" | { file: string };
  /** Variables added to {@linkcode baseEnv} for this run. */
  env?: Readonly<Record<string, string>>;
  /** Runs once in {@linkcode finish}, after the run's processes are dead. */
  cleanup?: () => void;
}

/** A started runner. */
export interface Running {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly mark: string;
  /** performance.now() when it was spawned. */
  readonly startedAt: number;
  /** Settles with performance.now() when the runner exited. */
  readonly exited: Promise<number>;
  /** Whether it has exited. */
  readonly done: () => boolean;
  /** The launch's cleanup, cleared once it ran. */
  cleanup?: () => void;
}

/** Environment for every runner: no colours, no TTY tricks. */
export function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith("TEND_BENCH")) {
      env[key] = value;
    }
  }
  env.NO_COLOR = "1";
  delete env.FORCE_COLOR;
  return env;
}

/**
 * Starts `launch` in a new session. The runner is exec'd by a tiny shell
 * that sets up its output, so its pid is the one returned and no extra
 * process stays between the bench and the runner.
 */
export function start(launch: Launch): Running {
  const mark = newMark();
  const env: Record<string, string> = {
    ...baseEnv(),
    ...launch.env,
    [_MARK_VAR]: mark,
  };
  let script: string;
  if (launch.output === "pipe") {
    script = 'exec "$@" 2>&1';
  } else {
    env.TEND_BENCH_OUT = launch.output === "null"
      ? "/dev/null"
      : launch.output.file;
    script = 'exec "$@" >"$TEND_BENCH_OUT" 2>&1';
  }
  const startedAt = performance.now();
  const child = spawn("/bin/sh", [
    "-c",
    script,
    "sh",
    launch.file,
    ...launch.args,
  ], {
    cwd: launch.cwd,
    env,
    detached: true,
    stdio: ["ignore", launch.output === "pipe" ? "pipe" : "ignore", "ignore"],
  });
  let finished = false;
  const exited = new Promise<number>((resolve) => {
    child.once("exit", () => {
      finished = true;
      resolve(performance.now());
    });
    child.once("error", () => {
      finished = true;
      resolve(performance.now());
    });
  });
  if (child.pid === undefined) {
    throw new Error(`could not start ${launch.file}`);
  }
  return {
    child,
    pid: child.pid,
    mark,
    startedAt,
    exited,
    done: () => finished,
    cleanup: launch.cleanup,
  };
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits for `promise` at most `ms`; `undefined` on timeout. */
export async function within<T>(
  promise: Promise<T>,
  ms: number,
): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Pids of live (non-zombie) processes whose environment has the mark. */
export function marked(mark: string): number[] {
  const needle = `${_MARK_VAR}=${mark}`;
  const pids: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    let environ: string;
    try {
      environ = readFileSync(`/proc/${name}/environ`, "latin1");
    } catch {
      continue;
    }
    const at = environ.indexOf(needle);
    if (at === -1 || (at > 0 && environ[at - 1] !== "\0")) continue;
    if (_state(Number(name)) === "Z") continue;
    pids.push(Number(name));
  }
  return pids;
}

function _state(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
  } catch {
    return undefined;
  }
}

/** SIGKILLs every process with the mark; returns how many there were. */
export function killMarked(mark: string): number {
  const pids = marked(mark);
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Gone already.
    }
  }
  return pids.length;
}

/**
 * Ends a run for good: SIGKILLs the runner's group and everything with its
 * mark, and waits (briefly) for the runner to be reaped.
 */
export async function finish(run: Running): Promise<void> {
  if (!run.done()) {
    try {
      process.kill(-run.pid, "SIGKILL");
    } catch {
      // The group is gone.
    }
  }
  // Children that setsid'ed are outside the group: sweep by mark, twice,
  // in case one forked while the first sweep ran.
  killMarked(run.mark);
  await within(run.exited, 5000);
  killMarked(run.mark);
  run.child.stdout?.destroy();
  const cleanup = run.cleanup;
  run.cleanup = undefined;
  cleanup?.();
}

/** Kills whatever any run of this bench left; for exit and Ctrl-C. */
export function sweepAll(): number {
  return killMarked(SESSION);
}

function _statusField(pid: number, field: string): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "latin1");
    const match = new RegExp(`^${field}:\\s+(\\d+)`, "m").exec(status);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** The process's peak resident set so far, in KiB (VmHWM). */
export function peakRssKb(pid: number): number | undefined {
  return _statusField(pid, "VmHWM");
}

/** The process's resident set now, in KiB (VmRSS). */
export function rssKb(pid: number): number | undefined {
  return _statusField(pid, "VmRSS");
}

/** The process's name (comm), e.g. `sleep` or `tmux: server`. */
export function commName(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, "latin1").trim();
  } catch {
    return undefined;
  }
}

/**
 * The process's private memory (USS) in KiB: resident pages no other
 * process maps. For a helper forked by the runner, that is what it adds.
 */
export function privateKb(pid: number): number | undefined {
  try {
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, "latin1");
    const clean = /^Private_Clean:\s+(\d+)/m.exec(rollup);
    const dirty = /^Private_Dirty:\s+(\d+)/m.exec(rollup);
    return clean && dirty ? Number(clean[1]) + Number(dirty[1]) : undefined;
  } catch {
    return undefined;
  }
}

// What the bench's apps run; everything else a run started is the runner's.
const _APP_COMMANDS = new Set(["sh", "dash", "bash", "sleep", "seq", "sed"]);

/**
 * The runner's helper processes (honcho's one Python process per child,
 * overmind's tmux server and client): every live process of the run but
 * the runner and the app's own. Returns their summed private memory and
 * how many they are. Their shared pages are left out: a fork shares them
 * with the runner, which the runner's RSS already counts.
 */
export function helpersKb(
  mark: string,
  runner: number,
): { kb: number; processes: number } {
  let kb = 0;
  let processes = 0;
  for (const pid of marked(mark)) {
    if (pid === runner) continue;
    const name = commName(pid);
    if (name === undefined || _APP_COMMANDS.has(name)) continue;
    const uss = privateKb(pid);
    if (uss === undefined) continue;
    kb += uss;
    processes++;
  }
  return { kb, processes };
}

/** User + system CPU time of the process (all threads), in clock ticks. */
export function cpuTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // Fields 14 and 15 of stat(5); the slice starts at field 3.
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

/**
 * Context switches of each of the process's threads, by thread id: how
 * often it woke up. Compare two samples with {@linkcode wakeupsBetween}.
 */
export function wakeups(pid: number): Map<string, number> | undefined {
  const counts = new Map<string, number>();
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return undefined;
  }
  for (const task of tasks) {
    try {
      const status = readFileSync(`/proc/${pid}/task/${task}/status`, "latin1");
      const v = /^voluntary_ctxt_switches:\s+(\d+)/m.exec(status);
      const n = /^nonvoluntary_ctxt_switches:\s+(\d+)/m.exec(status);
      counts.set(task, Number(v?.[1] ?? 0) + Number(n?.[1] ?? 0));
    } catch {
      // The thread ended.
    }
  }
  return counts;
}

/**
 * Wakeups between two samples of {@linkcode wakeups}: threads that ended in
 * between are left out, threads that started count from zero.
 */
export function wakeupsBetween(
  before: ReadonlyMap<string, number>,
  after: ReadonlyMap<string, number>,
): number {
  let total = 0;
  for (const [task, count] of after) total += count - (before.get(task) ?? 0);
  return total;
}

/**
 * Samples the peak RSS of `pid` every `ms` until `until` settles. VmHWM
 * only grows, so the last sample before exit holds the peak up to then.
 * Samples of the shell that has not exec'd the runner yet are skipped: a
 * run too short to be sampled has no peak.
 */
export function watchPeak(
  pid: number,
  until: Promise<unknown>,
  ms = 5,
): Promise<number | undefined> {
  let peak: number | undefined;
  const sample = () => {
    if (commName(pid) === "sh") return;
    const kb = peakRssKb(pid);
    if (kb !== undefined && (peak === undefined || kb > peak)) peak = kb;
  };
  sample();
  const timer = setInterval(sample, ms);
  return until.then(() => {
    clearInterval(timer);
    return peak;
  });
}

/**
 * Reads a runner's piped output and counts lines that `match`. `wait(n)`
 * resolves with performance.now() when the n-th matching line arrived.
 */
export class LineWatch {
  #partial = "";
  #count = 0;
  #waiters: { n: number; resolve: (at: number) => void }[] = [];
  readonly #match: (line: string) => boolean;

  constructor(run: Running, match: (line: string) => boolean) {
    this.#match = match;
    run.child.stdout?.on("data", (chunk: Uint8Array) => this._data(chunk));
    run.child.stdout?.on("error", () => {});
  }

  /** Matching lines seen so far. */
  get count(): number {
    return this.#count;
  }

  /** Resolves with the time the n-th matching line arrived. */
  wait(n: number): Promise<number> {
    if (this.#count >= n) return Promise.resolve(performance.now());
    return new Promise((resolve) => this.#waiters.push({ n, resolve }));
  }

  private _data(chunk: Uint8Array): void {
    const at = performance.now();
    const text = this.#partial +
      new TextDecoder("latin1").decode(chunk);
    const lines = text.split("\n");
    this.#partial = lines.pop() ?? "";
    for (const line of lines) {
      if (this.#match(line)) this.#count++;
    }
    this.#waiters = this.#waiters.filter((w) => {
      if (this.#count < w.n) return true;
      w.resolve(at);
      return false;
    });
  }
}
