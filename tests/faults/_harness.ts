/**
 * Shared machinery of the fault-injection suite: repetition counts (the
 * soak mode multiplies them), parsing tend's output into per-process lines,
 * the checks made after every run, and the tally behind the soak summary.
 *
 * A scenario never stops at its first bad run: every run is checked and
 * counted, and the scenario fails at the end if any count is not zero, so a
 * soak run reports how often each fault happened, not only that it did.
 */
import { Buffer } from "node:buffer";
import { appendFileSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { alive, leftBehind, type Result } from "../e2e/_helpers.ts";

/** The soak factor: `TEND_SOAK=N` runs every scenario N times as often. */
export const SOAK: number = Math.max(
  1,
  Math.floor(Number(process.env.TEND_SOAK ?? "1")) || 1,
);

/** How many times to run a scenario whose normal-suite count is `base`. */
export function reps(base: number): number {
  return base * SOAK;
}

/**
 * The options of a scenario's `it`: a time limit (bun's default is 5 s)
 * that grows with the soak factor. `ms` covers the normal-suite runs.
 */
export function budget(ms: number): { timeout: number } {
  return { timeout: ms * SOAK };
}

/**
 * A random delay (ms) for a signal: a third of the time within tend's
 * start-up (the first 50 ms), else anywhere up to `max`.
 */
export function randomMoment(max: number): number {
  return Math.random() < 1 / 3 ? randomInt(0, 50) : randomInt(0, max);
}

/** A random integer in [lo, hi]. */
export function randomInt(lo: number, hi: number): number {
  return lo + Math.floor(Math.random() * (hi - lo + 1));
}

/**
 * Makes `dir/NAME` a symlink to `/bin/sleep` and returns `./NAME`, so that
 * a grandchild started as `./NAME 1000` carries the marker in `ps`.
 */
export function markedSleep(dir: string, name: string): string {
  symlinkSync("/bin/sleep", join(dir, name));
  return `./${name}`;
}

/**
 * A shell snippet that waits until `n` instances ran it: each touches
 * `done.$PS`. Flooding processes meet here before any exits, so the first
 * exit (which stops the rest) cannot cut another's output short.
 */
export function barrier(n: number): string {
  return `touch "done.$PS"; while [ "$(ls done.* | wc -l)" -lt ${n} ]; do sleep 0.02; done`;
}

/**
 * A shell snippet printing `TAG i xxx` for i = 1..n (x repeated i % 50
 * times), one whole line per write.
 */
export function numberedShell(tag: string, n: number): string {
  return `i=1; while [ $i -le ${n} ]; do printf '%s %d %.*s\\n' ${tag} $i $((i%50)) ${
    "x".repeat(49)
  }; i=$((i+1)); done`;
}

/**
 * The same lines as {@linkcode numberedShell} from awk, which buffers its
 * output: writes end in the middle of lines, so tend must join the pieces.
 */
export function numberedAwk(tag: string, n: number): string {
  return `awk 'BEGIN{p="${
    "x".repeat(49)
  }"; for(i=1;i<=${n};i++) printf "%s %d %s\\n", "${tag}", i, substr(p,1,i%50)}'`;
}

/** One output line of tend: the instance name and the text after `| `. */
export interface OutLine {
  name: string;
  body: string;
}

/** What parsing tend's stdout found. */
export interface Parsed {
  /** Body lines by instance name (including `system`), in order. */
  byName: Map<string, string[]>;
  /** Lines that are not `[HH:MM:SS ]NAME | TEXT` terminated by a newline. */
  malformed: string[];
}

const _LINE = /^(?:\d\d:\d\d:\d\d )?(\S+) *\| /;

/**
 * Splits tend's stdout into lines per instance. Bytes are read as latin1,
 * one character per byte, so non-UTF-8 output survives the round trip.
 */
export function parseOutput(bytes: Uint8Array): Parsed {
  const text = latin1(bytes);
  const byName = new Map<string, string[]>();
  const malformed: string[] = [];
  const lines = text.split("\n");
  const tail = lines.pop();
  if (tail !== undefined && tail !== "") malformed.push(tail);
  for (const line of lines) {
    const match = _LINE.exec(line);
    if (!match) {
      malformed.push(line);
      continue;
    }
    let list = byName.get(match[1]);
    if (!list) byName.set(match[1], list = []);
    list.push(line.slice(match[0].length));
  }
  return { byName, malformed };
}

/** Bytes as a string of the same length, one character per byte. */
export function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    .toString("latin1");
}

/** Counts from checking one process's lines. */
export interface StreamCount {
  /** Lines delivered correctly. */
  lines: number;
  /** Lines damaged, cut short, merged or out of order. */
  torn: number;
  /** Lines missing. */
  lost: number;
  /** What went wrong first, for the failure message. */
  detail?: string;
}

/**
 * Checks numbered lines (`TAG i xxx`): they must run 1, 2, 3... without a
 * gap, each whole. With `count`, exactly that many must arrive; without it
 * (a process stopped in mid-flood) any prefix of the sequence is right.
 */
export function checkNumbered(
  bodies: readonly string[],
  tag: string,
  count?: number,
): StreamCount {
  const result: StreamCount = { lines: 0, torn: 0, lost: 0 };
  const pattern = new RegExp(`^${tag} (\\d+) (x*)$`);
  let next = 1;
  for (const body of bodies) {
    const match = pattern.exec(body);
    const n = match ? Number(match[1]) : NaN;
    if (!match || match[2].length !== n % 50 || n < next) {
      result.torn++;
      result.detail ??= `line after ${tag} ${next - 1}: ${
        JSON.stringify(body.slice(0, 120))
      }`;
      continue;
    }
    if (n > next) {
      result.lost += n - next;
      result.detail ??= `${tag}: lines ${next}..${n - 1} missing`;
    }
    result.lines++;
    next = n + 1;
  }
  if (count !== undefined && next - 1 < count) {
    result.lost += count - (next - 1);
    result.detail ??= `${tag}: got up to ${next - 1} of ${count} lines`;
  }
  return result;
}

/**
 * Checks that `bodies` are exactly `expected`, allowing a line to arrive
 * cut into several pieces (each at most `maxPiece` characters) as the spec
 * permits for lines longer than 1 MiB, but never merged with another line.
 */
export function checkExact(
  bodies: readonly string[],
  expected: readonly string[],
  maxPiece = Infinity,
): StreamCount {
  const result: StreamCount = { lines: 0, torn: 0, lost: 0 };
  let at = 0;
  const take = (i: number): string => {
    const piece = bodies[at++];
    if (piece.length > maxPiece) {
      result.torn++;
      result.detail ??= `line ${i + 1}: a piece of ${piece.length} bytes`;
    }
    return piece;
  };
  for (const [i, line] of expected.entries()) {
    if (at >= bodies.length) {
      result.lost += expected.length - i;
      result.detail ??= `lines ${i + 1}..${expected.length} missing`;
      break;
    }
    let got = take(i);
    while (
      got.length < line.length && at < bodies.length && line.startsWith(got)
    ) {
      got += take(i);
    }
    if (got === line) {
      result.lines++;
      continue;
    }
    result.torn++;
    result.detail ??= `line ${i + 1}: got ${
      JSON.stringify(got.slice(0, 80))
    } (${got.length} bytes), expected ${
      JSON.stringify(line.slice(0, 80))
    } (${line.length} bytes)`;
  }
  if (at < bodies.length) {
    result.torn += bodies.length - at;
    result.detail ??= `extra line ${JSON.stringify(bodies[at].slice(0, 80))}`;
  }
  return result;
}

export { alive as aliveWith, leftBehind as orphans };

/** The counts a soak summary reports. */
export interface Tally {
  runs: number;
  lines: number;
  hangs: number;
  torn: number;
  lost: number;
  orphans: number;
  /** Wrong exit status, stack trace or stray stderr, missing tend lines. */
  wrong: number;
}

function _zero(): Tally {
  return {
    runs: 0,
    lines: 0,
    hangs: 0,
    torn: 0,
    lost: 0,
    orphans: 0,
    wrong: 0,
  };
}

/** The expectations every run is checked against. */
export interface RunExpect {
  /** Exit statuses that are right. */
  status: readonly number[];
  /**
   * A signal that may have killed tend itself: only a stop signal that
   * arrived before tend installed its handlers, when nothing was started.
   */
  diedOf?: NodeJS.Signals;
  /** Longer than this (ms) counts as a hang. */
  maxMs: number;
  /** Checks of each instance's lines, by instance name. */
  streams?: Record<string, (bodies: string[]) => StreamCount>;
  /** The marker whose processes must all be gone. */
  mark: string;
  /** Grace for the kernel to finish killing the tree (ms). */
  graceMs?: number;
}

/**
 * Counts the runs of one test file and prints the soak summary at the end.
 * Set `TEND_SOAK_REPORT=FILE` to also append it to FILE as a JSON line.
 */
export class Soak {
  readonly file: string;
  readonly total: Tally = _zero();
  #failures: string[] = [];

  constructor(file: string) {
    this.file = file;
  }

  /** Checks one finished run and counts what it found. */
  async check(
    scenario: string,
    result: Result,
    expect: RunExpect,
  ): Promise<Tally> {
    const t = _zero();
    t.runs = 1;
    const fail = (what: string) => this.#failures.push(`${scenario}: ${what}`);
    const guardFired = result.stderr.includes("[test] tend did not finish");
    if (guardFired || result.ms > expect.maxMs) {
      t.hangs++;
      fail(`took ${result.ms} ms (bound ${expect.maxMs} ms)`);
    }
    const parsed = parseOutput(result.stdoutBytes);
    if (parsed.malformed.length > 0) {
      t.torn += parsed.malformed.length;
      fail(
        `malformed output line ${
          JSON.stringify(parsed.malformed[0].slice(0, 120))
        }`,
      );
    }
    const started = (parsed.byName.get("system") ?? []).some((l) =>
      / started \(pid=/.test(l)
    );
    const statusOk = result.status !== null &&
      expect.status.includes(result.status);
    const diedOk = result.status === null && expect.diedOf !== undefined &&
      result.signal === expect.diedOf && !started;
    if (!statusOk && !diedOk && !guardFired) {
      t.wrong++;
      fail(
        `exit status ${result.status} (signal ${result.signal}), expected ${
          expect.status.join(" or ")
        }; stderr: ${result.stderr.slice(0, 300)}`,
      );
    }
    if (/^\s+at /m.test(result.stderr)) {
      t.wrong++;
      fail(`stack trace on stderr: ${result.stderr.slice(0, 300)}`);
    } else if (result.stderr !== "" && !guardFired) {
      t.wrong++;
      fail(`unexpected stderr: ${result.stderr.slice(0, 300)}`);
    }
    for (const [name, checkStream] of Object.entries(expect.streams ?? {})) {
      // A run that ended before its processes started has nothing to check.
      if (diedOk) continue;
      const counted = checkStream(parsed.byName.get(name) ?? []);
      t.lines += counted.lines;
      t.torn += counted.torn;
      t.lost += counted.lost;
      if (counted.detail) fail(`${name}: ${counted.detail}`);
    }
    const left = await leftBehind(expect.mark, expect.graceMs ?? 1000);
    if (left.length > 0) {
      t.orphans += left.length;
      fail(`left running:\n${left.join("\n")}`);
    }
    for (const key of Object.keys(t) as (keyof Tally)[]) {
      this.total[key] += t[key];
    }
    return t;
  }

  /** Records a failure found outside {@linkcode check}. */
  fail(scenario: string, what: string, kind: keyof Tally = "wrong"): void {
    this.total[kind]++;
    this.#failures.push(`${scenario}: ${what}`);
  }

  /** Counts a run checked outside {@linkcode check}. */
  count(kind: keyof Tally, n = 1): void {
    this.total[kind] += n;
  }

  /** Throws, listing the first failures, if any run so far went wrong. */
  assertClean(): void {
    if (this.#failures.length === 0) return;
    const shown = this.#failures.slice(0, 8).join("\n");
    const more = this.#failures.length > 8
      ? `\n... and ${this.#failures.length - 8} more`
      : "";
    this.#failures = [];
    throw new Error(`${shown}${more}`);
  }

  /** The one-line summary of every run of this file. */
  summary(): string {
    const t = this.total;
    return `[soak x${SOAK}] ${this.file}: runs=${t.runs} lines=${t.lines} hangs=${t.hangs} torn=${t.torn} lost=${t.lost} orphans=${t.orphans} wrong=${t.wrong}`;
  }

  /** Prints the summary (and appends it to `TEND_SOAK_REPORT`). */
  report(): void {
    console.log(this.summary());
    const file = process.env.TEND_SOAK_REPORT;
    if (file) {
      appendFileSync(
        file,
        JSON.stringify({ file: this.file, soak: SOAK, ...this.total }) + "\n",
      );
    }
  }
}
