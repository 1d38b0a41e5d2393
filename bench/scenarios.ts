/**
 * The benchmark's scenarios. Each runs every contender several times,
 * interleaved (rep 1 of all, then rep 2 of all, each rep in a rotated order)
 * so that drift on a shared machine spreads over everyone, and returns a
 * table. Every run has a deadline and is cleaned up by its mark.
 *
 * @module
 */
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
} from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import process from "node:process";
import {
  type App,
  type Cmd,
  type Contender,
  makeApp,
  type Parsed,
  parseStamped,
  type Proc,
  type Runtime,
} from "./contenders.ts";
import {
  cpuTicks,
  finish,
  helpersKb,
  type Launch,
  LineWatch,
  marked,
  rssKb,
  type Running,
  sleep,
  start,
  wakeups,
  wakeupsBetween,
  watchPeak,
  within,
} from "./proc.ts";
import { formatRatio, median, type Row, type Table } from "./report.ts";

/** How much work each scenario does. */
export interface Plan {
  quick: boolean;
  /** Lines of the big flood (tend and the floor only). */
  floodBig: number;
  /** Lines of the small flood (everyone). */
  floodSmall: number;
  floodReps: number;
  /** Lines per process in the ten-process flood. */
  tenLines: number;
  tenReps: number;
  startupReps: number;
  shutdownReps: number;
  /** Processes of the large idle-memory app (the small one has 2). */
  idleRssProcs: number;
  idleRssReps: number;
  /** Seconds of the idle CPU window. */
  idleWindow: number;
  idleReps: number;
  scaleProcs: number;
  scaleReps: number;
  versionReps: number;
}

/** The full run: several minutes. */
export const FULL: Plan = {
  quick: false,
  floodBig: 2_000_000,
  floodSmall: 200_000,
  floodReps: 5,
  tenLines: 200_000,
  tenReps: 3,
  // Start-up times of 15-100 ms swing by a third from run to run on a
  // shared 2-core machine; 7 runs gave medians that moved by 10 ms.
  startupReps: 15,
  shutdownReps: 5,
  idleRssProcs: 50,
  idleRssReps: 3,
  idleWindow: 10,
  idleReps: 2,
  scaleProcs: 200,
  scaleReps: 3,
  versionReps: 7,
};

/** The smoke test: well under a minute. */
export const QUICK: Plan = {
  quick: true,
  floodBig: 200_000,
  floodSmall: 20_000,
  floodReps: 1,
  tenLines: 10_000,
  tenReps: 1,
  startupReps: 1,
  shutdownReps: 1,
  idleRssProcs: 20,
  idleRssReps: 1,
  idleWindow: 2,
  idleReps: 1,
  scaleProcs: 20,
  scaleReps: 1,
  versionReps: 1,
};

/** What every scenario gets. */
export interface Ctx {
  plan: Plan;
  /** Contenders that can run here (tend first). */
  contenders: readonly Contender[];
  /** Progress lines (stderr). */
  log: (line: string) => void;
  /** A scratch directory, removed at the end. */
  tmp: string;
  /** Each tend launcher's RSS idle with 2 sleeping processes, once measured. */
  idleRssKb: Map<string, number>;
}

/** A contender or the floor, as one scenario runs it. */
interface _Entry {
  id: string;
  floor: boolean;
  kind?: Contender["kind"];
  runtime?: Runtime;
  cmd: (app: App) => Cmd;
  parse: (line: string) => Parsed | undefined;
}

function _entries(
  contenders: readonly Contender[],
  floorScript?: (app: App) => string,
): _Entry[] {
  const out: _Entry[] = [];
  if (floorScript) {
    out.push({
      id: "floor",
      floor: true,
      cmd: (app) => ({ file: "/bin/sh", args: ["-c", floorScript(app)] }),
      parse: parseStamped,
    });
  }
  for (const c of contenders) {
    out.push({
      id: c.id,
      floor: false,
      kind: c.kind,
      runtime: c.runtime,
      cmd: c.start,
      parse: c.parse,
    });
  }
  return out;
}

/** The entries in the order of repetition `rep`: rotated by one each time. */
function _order<T>(items: readonly T[], rep: number): T[] {
  const k = rep % Math.max(1, items.length);
  return [...items.slice(k), ...items.slice(0, k)];
}

function _launch(entry: _Entry, app: App, output: Launch["output"]): Running {
  const cmd = entry.cmd(app);
  return start({ ...cmd, cwd: app.dir, output });
}

function _newDir(ctx: Ctx, name: string): string {
  return mkdtempSync(join(ctx.tmp, `${name}-`));
}

function _rows(entries: readonly _Entry[]): Map<string, Row> {
  return new Map(
    entries.map((e) => [e.id, { id: e.id, samples: [], extra: {} }]),
  );
}

function _fail(row: Row, note: string): void {
  row.note = row.note && !row.note.includes(note)
    ? `${row.note}, ${note}`
    : note;
}

function _mb(kb: number): number {
  return kb / 1024;
}

// Colours and other CSI sequences, and OSC ones (a window title).
const _ANSI = new RegExp("\x1b\\[[0-9;?]*[A-Za-z]|\x1b\\][^\x07]*\x07", "g");

/** How many lines arrived intact and in order, and how many were broken. */
export interface Delivery {
  delivered: number;
  expected: number;
  torn: number;
}

/**
 * Checks output where instance `name` printed 1..expected(name). A line is
 * delivered when it is exactly prefix + the next number (or a later one:
 * gaps are lost lines). Digits that are not such a line (a fragment, two
 * lines glued together, a line printed twice) count as torn. The runner's
 * own messages are skipped. A line without a prefix (a baseline relaying
 * bytes) belongs to the only process when there is one.
 */
export function checkLines(
  text: string,
  parse: (line: string) => Parsed | undefined,
  expected: ReadonlyMap<string, number>,
): Delivery {
  const next = new Map([...expected.keys()].map((k) => [k, 1]));
  const only = expected.size === 1 ? [...expected.keys()][0] : undefined;
  let delivered = 0;
  let torn = 0;
  let total = 0;
  for (const n of expected.values()) total += n;
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf("\n", start);
    if (end === -1) end = text.length;
    let line = text.slice(start, end);
    start = end + 1;
    if (line === "") continue;
    if (line.includes("\x1b")) line = line.replace(_ANSI, "");
    let parsed = parse(line);
    if (parsed?.name === "") {
      parsed = only === undefined ? undefined : { ...parsed, name: only };
    }
    const want = parsed && next.get(parsed.name);
    if (!parsed) {
      // A fragment of a line, without its prefix.
      if (/^\s*\d/.test(line)) torn++;
      continue;
    }
    if (want === undefined) continue;
    if (!/^\d/.test(parsed.body)) continue;
    const n = /^\d+$/.test(parsed.body) ? Number(parsed.body) : NaN;
    if (n >= want && n <= expected.get(parsed.name)!) {
      delivered++;
      next.set(parsed.name, n + 1);
    } else {
      torn++;
    }
  }
  return { delivered, expected: total, torn };
}

function _deliveryCells(row: Row, d: Delivery | undefined): void {
  if (!d) return;
  row.extra["lines"] = d.delivered === d.expected
    ? "all"
    : `${d.delivered}/${d.expected}`;
  row.extra["torn"] = String(d.torn);
}

/** An app of `count` processes that print READY and sleep. */
function _sleepers(dir: string, count: number, prefix = "i"): App {
  return makeApp(
    dir,
    Array.from({ length: count }, (_, i) => ({
      type: `${prefix}${i + 1}`,
      command: "echo READY; exec sleep 3600",
    })),
  );
}

/** A runner's memory, idle. */
interface _Memory {
  /** RSS of the runner process. */
  rssKb: number;
  /** Private memory of its helper processes, and how many they are. */
  helpers: { kb: number; processes: number };
}

/** Runs `app` until every process printed READY, waits 1 s, reads memory. */
function _idleMemory(
  entry: _Entry,
  app: App,
): Promise<_Memory | undefined> {
  return _withReady(entry, app, app.procs.length, 60_000, async (run) => {
    await sleep(1000);
    const kb = rssKb(run.pid);
    return kb === undefined
      ? undefined
      : { rssKb: kb, helpers: helpersKb(run.mark, run.pid) };
  });
}

const _OWN = "× own runtime";

/** The sentence on the baselines, for tables that have them. */
function _helloNote(entries: readonly _Entry[], doing: string): string {
  return entries.some((e) => e.kind === "baseline")
    ? ` hello-*: bench/hello.mjs ${doing} on each runtime; ${_OWN}: over the hello on the same runtime.`
    : "";
}

/**
 * Fills the "× own runtime" cells: each contender's median over that of the
 * baseline on the same runtime (tend-deno over hello-deno, node-foreman
 * over hello-node). Returns whether any cell was filled.
 */
function _ownRuntime(
  entries: readonly _Entry[],
  rows: ReadonlyMap<string, Row>,
): boolean {
  const base = new Map<Runtime, { id: string; median: number }>();
  for (const e of entries) {
    const samples = rows.get(e.id)?.samples ?? [];
    if (e.kind === "baseline" && e.runtime && samples.length) {
      base.set(e.runtime, { id: e.id, median: median(samples) });
    }
  }
  let filled = false;
  for (const e of entries) {
    if (e.kind === "baseline" || !e.runtime) continue;
    const row = rows.get(e.id)!;
    const b = base.get(e.runtime);
    if (!b || b.median <= 0 || !row.samples.length) continue;
    row.extra[_OWN] = `${formatRatio(median(row.samples), b.median)} ${b.id}`;
    filled = true;
  }
  return filled;
}

/** One flood run: seconds to exit and the runner's peak RSS. */
async function _floodRun(
  entry: _Entry,
  app: App,
  output: Launch["output"],
  deadline: number,
): Promise<{ seconds?: number; peakKb?: number }> {
  const run = _launch(entry, app, output);
  const peak = entry.floor
    ? Promise.resolve(undefined)
    : watchPeak(run.pid, run.exited);
  const end = await within(run.exited, deadline);
  await finish(run);
  const peakKb = await peak;
  if (end === undefined) return { peakKb };
  return { seconds: (end - run.startedAt) / 1000, peakKb };
}

/** Scenario 1: one process printing `n` lines, output to /dev/null. */
export async function flood(
  ctx: Ctx,
  n: number,
  contenders: readonly Contender[],
): Promise<Table> {
  const label = n >= 1_000_000 ? `${n / 1_000_000}M` : `${n / 1000}k`;
  const dir = _newDir(ctx, `flood${label}`);
  const app = makeApp(dir, [{ type: "a", command: `seq ${n}` }]);
  const entries = _entries(
    contenders,
    () => `seq ${n} | sed 's/^/00:00:00 a.1 | /'`,
  );
  const rows = _rows(entries);
  const deadline = 20_000 + n / 20;
  const expected = new Map([["a.1", n]]);
  // Each tend launcher's RSS idle with two sleeping processes (the "rss"
  // scenario's small app): the flood's peak over it is what the flood costs.
  const idleKb = ctx.idleRssKb;
  let sleepers: App | undefined;
  for (const entry of entries) {
    if (entry.kind !== "tend" || idleKb.has(entry.id)) continue;
    sleepers ??= _sleepers(mkdtempSync(join(dir, "idle-")), 2);
    const memory = await _idleMemory(entry, sleepers);
    if (memory) idleKb.set(entry.id, memory.rssKb);
  }
  const withIdle = entries.some((e) => e.kind === "tend" && idleKb.has(e.id));
  // A first run per contender writes to a file to count what arrives; it
  // also warms caches before the timed runs.
  for (const entry of entries) {
    const file = join(dir, `out-${entry.id}`);
    const r = await _floodRun(entry, app, { file }, deadline);
    const row = rows.get(entry.id)!;
    if (r.seconds === undefined) _fail(row, "timeout");
    _deliveryCells(
      row,
      checkLines(readFileSync(file, "latin1"), entry.parse, expected),
    );
    rmSync(file, { force: true });
    ctx.log(
      `flood ${label} check ${entry.id}: ${row.extra.lines} lines, ${row.extra.torn} torn`,
    );
  }
  const peaks = new Map<string, number[]>();
  for (let rep = 0; rep < ctx.plan.floodReps; rep++) {
    for (const entry of _order(entries, rep)) {
      const row = rows.get(entry.id)!;
      const r = await _floodRun(entry, app, "null", deadline);
      if (r.seconds === undefined) {
        _fail(row, "timeout");
        continue;
      }
      row.samples.push(r.seconds);
      if (r.peakKb !== undefined) {
        peaks.set(entry.id, [...(peaks.get(entry.id) ?? []), r.peakKb]);
      }
      ctx.log(
        `flood ${label} ${rep + 1}/${ctx.plan.floodReps} ${entry.id}: ${
          r.seconds.toFixed(3)
        } s`,
      );
    }
  }
  for (const [id, kbs] of peaks) {
    const row = rows.get(id)!;
    const peak = median(kbs);
    row.extra["peak RSS"] = `${_mb(peak).toFixed(0)} MB`;
    const idle = idleKb.get(id);
    if (idle !== undefined) {
      row.extra["idle RSS"] = `${_mb(idle).toFixed(0)} MB`;
      row.extra["peak − idle"] = `${_mb(peak - idle).toFixed(0)} MB`;
    }
  }
  rmSync(dir, { recursive: true, force: true });
  const extras = [
    ...(_ownRuntime(entries, rows) ? [_OWN] : []),
    "peak RSS",
    ...(withIdle ? ["idle RSS", "peak − idle"] : []),
    "lines",
    "torn",
  ];
  return {
    title: `Flood ${label} lines`,
    description:
      `one process runs \`seq ${n}\`; runner output to /dev/null; time from launch to exit. ` +
      `Floor: \`seq ${n} | sed 's/^/00:00:00 a.1 | /'\`. lines/torn from a run into a file; ` +
      `peak RSS of the runner process (median over the timed runs)` +
      (withIdle
        ? `; idle RSS: the same tend launcher with 2 sleeping processes, and the peak over it.`
        : ".") +
      _helloNote(entries, "relaying the bytes unchanged"),
    unit: "s",
    rows: [...rows.values()],
    extras,
    ratios: true,
  };
}

/** The shell that makes ten flooders wait for each other before exiting. */
function _barrier(dir: string, type: string, count: number): string {
  // Runners stop everything when one process exits; each flooder waits
  // until all have printed everything, so all lines are due.
  return `: >${dir}/done.${type}; while :; do set -- ${dir}/done.*; ` +
    `[ $# -ge ${count} ] && break; sleep 0.01; done`;
}

/** Scenario 2: ten processes flooding at once. */
export async function tenFlood(
  ctx: Ctx,
  contenders: readonly Contender[],
): Promise<Table> {
  const n = ctx.plan.tenLines;
  const count = 10;
  const dir = _newDir(ctx, "ten");
  const types = Array.from({ length: count }, (_, i) => `f${i + 1}`);
  const floorOut = join(dir, "floor-out");
  const entries = _entries(
    contenders,
    () =>
      types.map((t, i) =>
        `(seq ${n} | sed 's/^/00:00:00 ${t}.1 | /' >${floorOut}.${i}) &`
      ).join("\n") + "\nwait",
  );
  const rows = _rows(entries);
  const expected = new Map(types.map((t) => [`${t}.1`, n]));
  const worst = new Map<string, Delivery>();
  for (let rep = 0; rep < ctx.plan.tenReps; rep++) {
    for (const entry of _order(entries, rep)) {
      const row = rows.get(entry.id)!;
      const barrier = mkdtempSync(join(dir, "b-"));
      const app = makeApp(
        barrier,
        types.map((type) => ({
          type,
          command: `seq ${n}; ${_barrier(barrier, type, count)}`,
        })),
      );
      const out = join(dir, `out-${entry.id}`);
      const r = await _floodRun(entry, app, { file: out }, 30_000 + n / 2);
      const text = entry.floor
        ? types.map((_, i) => readFileSync(`${floorOut}.${i}`, "latin1")).join(
          "",
        )
        : readFileSync(out, "latin1");
      const d = checkLines(text, entry.parse, expected);
      rmSync(barrier, { recursive: true, force: true });
      rmSync(out, { force: true });
      const prev = worst.get(entry.id);
      worst.set(entry.id, {
        delivered: Math.min(prev?.delivered ?? Infinity, d.delivered),
        expected: d.expected,
        torn: Math.max(prev?.torn ?? 0, d.torn),
      });
      if (r.seconds === undefined) {
        _fail(row, "timeout");
        continue;
      }
      row.samples.push(r.seconds);
      ctx.log(
        `ten ${rep + 1}/${ctx.plan.tenReps} ${entry.id}: ${
          r.seconds.toFixed(3)
        } s, ${d.delivered} lines, ${d.torn} torn`,
      );
    }
  }
  for (const [id, d] of worst) _deliveryCells(rows.get(id)!, d);
  rmSync(dir, { recursive: true, force: true });
  return {
    title: `Ten floods at once`,
    description:
      `10 processes each run \`seq ${n}\` (then wait for each other); output to a file; time to exit; ` +
      `worst lines delivered and torn lines over the runs. Floor: 10 \`seq | sed\` pipelines, each to its own file.`,
    unit: "s",
    rows: [...rows.values()],
    extras: ["lines", "torn"],
    ratios: true,
  };
}

const _endsWith = (word: string) => (line: string) => line.endsWith(word);

/** Runs an app with piped output until `ready` lines arrived, then `then`. */
async function _withReady<T>(
  entry: _Entry,
  app: App,
  ready: number,
  deadline: number,
  then: (run: Running, readyAt: number) => Promise<T>,
): Promise<T | undefined> {
  const run = _launch(entry, app, "pipe");
  const watch = new LineWatch(run, _endsWith("READY"));
  try {
    const at = await within(watch.wait(ready), deadline);
    if (at === undefined) return undefined;
    return await then(run, at);
  } finally {
    await finish(run);
  }
}

/** Scenario 3: launch to the first byte of a child's output. */
export async function startup(
  ctx: Ctx,
  contenders: readonly Contender[],
): Promise<Table> {
  const dir = _newDir(ctx, "startup");
  const app = makeApp(dir, [{
    type: "w",
    command: "echo READY; exec sleep 60",
  }]);
  const entries = _entries(contenders, () => "echo READY; exec sleep 60");
  const rows = _rows(entries);
  for (let rep = 0; rep < ctx.plan.startupReps; rep++) {
    for (const entry of _order(entries, rep)) {
      const row = rows.get(entry.id)!;
      const ms = await _withReady(
        entry,
        app,
        1,
        20_000,
        (run, at) => Promise.resolve(at - run.startedAt),
      );
      if (ms === undefined) _fail(row, "timeout");
      else row.samples.push(ms);
    }
  }
  ctx.log(`startup: done`);
  rmSync(dir, { recursive: true, force: true });
  return {
    title: "Startup",
    description:
      "one process `echo READY`; time from launch until its line reaches the bench. Floor: `sh -c 'echo READY'`." +
      _helloNote(entries, "launching it with node:child_process"),
    unit: "ms",
    rows: [...rows.values()],
    extras: _ownRuntime(entries, rows) ? [_OWN] : [],
    ratios: true,
  };
}

/** Scenario 4: SIGTERM to the runner, until it exits. */
export async function shutdown(
  ctx: Ctx,
  contenders: readonly Contender[],
  stubborn: boolean,
): Promise<Table> {
  const dir = _newDir(ctx, stubborn ? "stubborn" : "shutdown");
  const procs: Proc[] = ["s1", "s2", "s3"].map((type) => ({
    type,
    command: "echo READY; exec sleep 3600",
  }));
  if (stubborn) {
    // Runners stop with SIGTERM (tend, foreman, honcho, forego) or SIGINT
    // (hivemind, overmind, node-foreman): this one ignores both.
    procs[0] = {
      type: "s1",
      command: "trap '' INT TERM; echo READY; exec sleep 3600",
    };
  }
  const app = makeApp(dir, procs, 1);
  const entries = _entries(contenders);
  const rows = _rows(entries);
  const leftovers = new Map<string, number>();
  for (let rep = 0; rep < ctx.plan.shutdownReps; rep++) {
    for (const entry of _order(entries, rep)) {
      const row = rows.get(entry.id)!;
      const result = await _withReady(
        entry,
        app,
        procs.length,
        30_000,
        async (run) => {
          // Let the runner finish its own start-up output first.
          await sleep(200);
          const t0 = performance.now();
          process.kill(run.pid, "SIGTERM");
          const end = await within(run.exited, 15_000);
          await sleep(200);
          const left = marked(run.mark).length;
          return { ms: end === undefined ? undefined : end - t0, left };
        },
      );
      if (result === undefined) {
        _fail(row, "never ready");
        continue;
      }
      leftovers.set(
        entry.id,
        Math.max(leftovers.get(entry.id) ?? 0, result.left),
      );
      if (result.ms === undefined) _fail(row, "did not exit in 15 s");
      else row.samples.push(result.ms);
    }
  }
  for (const [id, n] of leftovers) {
    rows.get(id)!.extra["left running"] = String(n);
  }
  ctx.log(`shutdown${stubborn ? " (stubborn)" : ""}: done`);
  rmSync(dir, { recursive: true, force: true });
  return {
    title: stubborn ? "Shutdown, one child ignores SIGTERM" : "Shutdown",
    description: stubborn
      ? "3 processes, one with `trap '' INT TERM`; stop timeout 1 s (goreman has none: 10 s; honcho: 5 s); SIGTERM to the runner until it exits; processes still running 0.2 s later."
      : "3 processes that exit on SIGTERM; SIGTERM to the runner until it exits; processes still running 0.2 s later.",
    unit: "ms",
    rows: [...rows.values()],
    extras: ["left running"],
    ratios: true,
  };
}

/**
 * Scenario 5: the runner's memory with `count` idle processes: the RSS of
 * the runner process and, for runners with helper processes (honcho forks
 * one Python process per child, overmind runs a tmux server and client),
 * the private memory those add.
 */
export async function idleRss(
  ctx: Ctx,
  contenders: readonly Contender[],
  count: number,
): Promise<Table> {
  const dir = _newDir(ctx, `rss${count}`);
  const app = _sleepers(dir, count);
  const entries = _entries(contenders);
  const rows = _rows(entries);
  const totals = new Map<string, number[]>();
  const helpers = new Map<string, number>();
  for (let rep = 0; rep < ctx.plan.idleRssReps; rep++) {
    for (const entry of _order(entries, rep)) {
      const row = rows.get(entry.id)!;
      const memory = await _idleMemory(entry, app);
      if (memory === undefined) {
        _fail(row, "never ready");
        continue;
      }
      row.samples.push(_mb(memory.rssKb));
      const total = memory.rssKb + memory.helpers.kb;
      totals.set(entry.id, [...(totals.get(entry.id) ?? []), total]);
      helpers.set(
        entry.id,
        Math.max(helpers.get(entry.id) ?? 0, memory.helpers.processes),
      );
    }
  }
  const anyHelpers = [...helpers.values()].some((n) => n > 0);
  for (const [id, kbs] of totals) {
    const row = rows.get(id)!;
    row.extra["with helpers"] = `${_mb(median(kbs)).toFixed(1)} MB`;
    row.extra["processes"] = String(1 + (helpers.get(id) ?? 0));
  }
  const own = _ownRuntime(entries, rows);
  ctx.log(`idle RSS, ${count} processes: done`);
  rmSync(dir, { recursive: true, force: true });
  return {
    title: `Memory with ${count} idle processes`,
    description:
      `RSS of the runner process 1 s after all ${count} processes printed their first line` +
      (anyHelpers
        ? `; with helpers: plus the private memory (USS) of every other process the runner added ` +
          `(not the app's sh/sleep), and the runner's process count`
        : "") +
      "." + _helloNote(entries, "holding the same children"),
    unit: "MB",
    rows: [...rows.values()],
    extras: [
      ...(anyHelpers ? ["with helpers", "processes"] : []),
      ...(own ? [_OWN] : []),
    ],
    ratios: true,
  };
}

/**
 * Scenario 6: CPU the runner burns while its processes are silent. All
 * contenders idle side by side: idle runners do not compete for the CPU,
 * and a long window per contender would take minutes.
 */
export async function idleCpu(
  ctx: Ctx,
  contenders: readonly Contender[],
): Promise<Table> {
  const dir = _newDir(ctx, "idle");
  const entries = _entries(contenders);
  const rows = _rows(entries);
  const wakes = new Map<string, number[]>();
  const tick = 100; // USER_HZ: /proc reports CPU time in 1/100 s on Linux.
  // An app per contender: tends of one app side by side would refuse to
  // run a type that another tend of the app runs (status 75).
  const apps = entries.map((entry) => {
    const appDir = join(dir, entry.id);
    mkdirSync(appDir);
    return _sleepers(appDir, 10, "q");
  });
  for (let rep = 0; rep < ctx.plan.idleReps; rep++) {
    const runs = entries.map((entry, i) => {
      const run = _launch(entry, apps[i], "pipe");
      return { entry, run, watch: new LineWatch(run, _endsWith("READY")) };
    });
    try {
      await Promise.all(runs.map(async ({ entry, watch }, i) => {
        const count = apps[i].procs.length;
        if (await within(watch.wait(count), 60_000) === undefined) {
          _fail(rows.get(entry.id)!, "never ready");
        }
      }));
      await sleep(1000);
      const before = runs.map(({ run }) => ({
        cpu: cpuTicks(run.pid),
        woke: wakeups(run.pid),
      }));
      await sleep(ctx.plan.idleWindow * 1000);
      runs.forEach(({ entry, run }, i) => {
        const cpu = cpuTicks(run.pid);
        const woke = wakeups(run.pid);
        const { cpu: cpu0, woke: woke0 } = before[i];
        if (run.done() || cpu === undefined || cpu0 === undefined) {
          _fail(rows.get(entry.id)!, "exited");
          return;
        }
        rows.get(entry.id)!.samples.push((cpu - cpu0) / tick);
        if (woke !== undefined && woke0 !== undefined) {
          wakes.set(entry.id, [
            ...(wakes.get(entry.id) ?? []),
            wakeupsBetween(woke0, woke) / ctx.plan.idleWindow,
          ]);
        }
      });
    } finally {
      await Promise.all(runs.map(({ run }) => finish(run)));
    }
    ctx.log(`idle CPU ${rep + 1}/${ctx.plan.idleReps}: done`);
  }
  for (const [id, w] of wakes) {
    rows.get(id)!.extra["wakeups/s"] = median(w).toFixed(1);
  }
  rmSync(dir, { recursive: true, force: true });
  return {
    title: "Idle CPU",
    description:
      `user+system CPU seconds of the runner over ${ctx.plan.idleWindow} s with 10 silent processes ` +
      `(all runners side by side); wakeups/s = context switches of all its threads.`,
    unit: "cpu",
    rows: [...rows.values()],
    extras: ["wakeups/s"],
    ratios: false,
  };
}

/** Scenario 7: many processes; time until every one has started. */
export async function scale(
  ctx: Ctx,
  contenders: readonly Contender[],
): Promise<Table> {
  const count = ctx.plan.scaleProcs;
  const dir = _newDir(ctx, "scale");
  const app = _sleepers(dir, count, "p");
  const entries = _entries(
    contenders,
    () =>
      `for i in $(seq ${count}); do (echo READY; exec sleep 3600) & done; wait`,
  );
  const rows = _rows(entries);
  for (let rep = 0; rep < ctx.plan.scaleReps; rep++) {
    for (const entry of _order(entries, rep)) {
      const row = rows.get(entry.id)!;
      const seconds = await _withReady(
        entry,
        app,
        count,
        60_000,
        (run, at) => Promise.resolve((at - run.startedAt) / 1000),
      );
      if (seconds === undefined) _fail(row, "timeout");
      else row.samples.push(seconds);
    }
  }
  ctx.log(`scale: done`);
  rmSync(dir, { recursive: true, force: true });
  return {
    title: `${count} processes`,
    description:
      `${count} processes each print a line; time from launch until all ${count} lines arrived. ` +
      `Floor: a shell loop starting them in the background.`,
    unit: "s",
    rows: [...rows.values()],
    extras: [],
    ratios: true,
  };
}

/** Scenario 8: `--version`, the cost of starting the runtime itself. */
export async function version(
  ctx: Ctx,
  contenders: readonly Contender[],
  sizes: ReadonlyMap<string, string>,
): Promise<Table> {
  const dir = _newDir(ctx, "version");
  const entries = contenders.map((c) => ({ id: c.id, cmd: c.version }));
  const rows = new Map<string, Row>(
    entries.map((e) => [e.id, { id: e.id, samples: [], extra: {} }]),
  );
  for (let rep = 0; rep < ctx.plan.versionReps; rep++) {
    for (const entry of _order(entries, rep)) {
      const row = rows.get(entry.id)!;
      const run = start({ ...entry.cmd, cwd: dir, output: "null" });
      const end = await within(run.exited, 20_000);
      await finish(run);
      if (end === undefined) _fail(row, "timeout");
      else row.samples.push(end - run.startedAt);
    }
  }
  for (const [id, size] of sizes) {
    const row = rows.get(id);
    if (row) row.extra["on disk"] = size;
  }
  ctx.log(`version: done`);
  rmSync(dir, { recursive: true, force: true });
  return {
    title: "Launch cost (`--version`)",
    description: "time to print the version and exit.",
    unit: "ms",
    rows: [...rows.values()],
    extras: ["on disk"],
    ratios: true,
  };
}

/** Size of a file in MB, for the version table. */
export function sizeMb(path: string): string {
  try {
    return `${(statSync(path).size / 1e6).toFixed(0)} MB`;
  } catch {
    return "–";
  }
}

/** A JSON line of `tend start --log-format json`, as name and line. */
export function parseJsonLine(line: string): Parsed | undefined {
  if (!line.startsWith("{")) return undefined;
  try {
    const o = JSON.parse(line);
    return o.event === undefined && typeof o.line === "string"
      ? { name: o.name, body: o.line }
      : undefined;
  } catch {
    return undefined;
  }
}

/** Lines of log files (`ISO-TIME line`) as the floor's lines look. */
function _logAsStamped(text: string): string {
  return text.replace(/^\S+ (?!\[tend\])/gm, "00:00:00 a.1 | ");
}

/**
 * Scenario: the big flood in each output mode of tend, side by side with
 * the floor and the plain mode: `--log-format json` (output to /dev/null)
 * and `--log-dir` (output to /dev/null, the lines also to a log file with
 * the default 10 MiB cap, so rotation is in the time). A first run per
 * entry checks delivery: stdout, and for `--log-dir` the file too (then
 * with no cap, so that it keeps every line).
 */
export async function floodModes(
  ctx: Ctx,
  n: number,
  contenders: readonly Contender[],
): Promise<Table> {
  const label = n >= 1_000_000 ? `${n / 1_000_000}M` : `${n / 1000}k`;
  const dir = _newDir(ctx, `modes${label}`);
  const logs = join(dir, "logs");
  const app = makeApp(dir, [{ type: "a", command: `seq ${n}` }]);
  const entries = _entries(
    contenders,
    () => `seq ${n} | sed 's/^/00:00:00 a.1 | /'`,
  );
  const modes: { id: string; args: string[]; parse: _Entry["parse"] }[] = [
    { id: "json", args: ["--log-format", "json"], parse: parseJsonLine },
    { id: "log-dir", args: ["--log-dir", logs], parse: parseStamped },
  ];
  let capped = true;
  for (const c of contenders) {
    for (const mode of modes) {
      entries.push({
        id: `${c.id} ${mode.id}`,
        floor: false,
        cmd: (a) => {
          const cmd = c.start(a);
          const cap = mode.id === "log-dir" && !capped
            ? ["--log-max-size", "0"]
            : [];
          return { file: cmd.file, args: [...cmd.args, ...mode.args, ...cap] };
        },
        parse: mode.parse,
      });
    }
  }
  const rows = _rows(entries);
  const deadline = 20_000 + n / 10;
  const expected = new Map([["a.1", n]]);
  capped = false;
  for (const entry of entries) {
    rmSync(logs, { recursive: true, force: true });
    const file = join(dir, `out-${entry.id.replace(/ /g, "-")}`);
    const r = await _floodRun(entry, app, { file }, deadline);
    const row = rows.get(entry.id)!;
    if (r.seconds === undefined) _fail(row, "timeout");
    _deliveryCells(
      row,
      checkLines(readFileSync(file, "latin1"), entry.parse, expected),
    );
    rmSync(file, { force: true });
    if (entry.id.endsWith(" log-dir")) {
      const text = readFileSync(join(logs, "a.1.log"), "latin1");
      const d = checkLines(_logAsStamped(text), parseStamped, expected);
      const dropped = /dropped (\d+) lines/.exec(text)?.[1];
      row.extra["file lines"] = d.delivered === d.expected
        ? "all"
        : `${d.delivered}/${d.expected}${
          dropped ? ` (${dropped} dropped)` : ""
        }`;
    }
    ctx.log(
      `flood modes ${label} check ${entry.id}: ${row.extra.lines} lines, ${row.extra.torn} torn` +
        (row.extra["file lines"] ? `, file ${row.extra["file lines"]}` : ""),
    );
  }
  capped = true;
  const peaks = new Map<string, number[]>();
  for (let rep = 0; rep < ctx.plan.floodReps; rep++) {
    for (const entry of _order(entries, rep)) {
      rmSync(logs, { recursive: true, force: true });
      const row = rows.get(entry.id)!;
      const r = await _floodRun(entry, app, "null", deadline);
      if (r.seconds === undefined) {
        _fail(row, "timeout");
        continue;
      }
      row.samples.push(r.seconds);
      if (r.peakKb !== undefined) {
        peaks.set(entry.id, [...(peaks.get(entry.id) ?? []), r.peakKb]);
      }
      ctx.log(
        `flood modes ${label} ${rep + 1}/${ctx.plan.floodReps} ${entry.id}: ${
          r.seconds.toFixed(3)
        } s`,
      );
    }
  }
  for (const [id, kbs] of peaks) {
    rows.get(id)!.extra["peak RSS"] = `${_mb(median(kbs)).toFixed(0)} MB`;
  }
  rmSync(dir, { recursive: true, force: true });
  return {
    title: `Flood ${label} lines, output modes`,
    description:
      `one process runs \`seq ${n}\`; runner output to /dev/null; time from launch to exit. ` +
      `Rows: plain text, \`--log-format json\`, \`--log-dir DIR\` (lines also to DIR/a.1.log, 10 MiB cap). ` +
      `Floor: \`seq ${n} | sed 's/^/00:00:00 a.1 | /'\`. lines/torn from a run into a file; file lines from an uncapped log file.`,
    unit: "s",
    rows: [...rows.values()],
    extras: ["peak RSS", "lines", "torn", "file lines"],
    ratios: true,
  };
}
