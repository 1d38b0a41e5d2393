/**
 * tend's own stdout failing: a reader that goes away (`tend start | head
 * -1`) and a reader that stops reading. tend must shut down cleanly on the
 * first, and on the second keep its memory bounded and still obey SIGINT
 * promptly; in both, nothing of the tree may be left.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { after, describe, it } from "node:test";
import {
  cleanup,
  launcher,
  marker,
  sleep,
  startTend,
  tempApp,
} from "../e2e/_helpers.ts";
import {
  aliveWith,
  budget,
  markedSleep,
  orphans,
  reps,
  Soak,
} from "./_harness.ts";

const soak = new Soak("stdout.test.ts");
after(() => soak.report());

interface _ShResult {
  stdout: string;
  stderr: string;
  status: number | null;
  ms: number;
}

/** A shell script running in its own process group. */
class _Sh {
  readonly pid: number;
  readonly done: Promise<_ShResult>;
  stdout = "";
  stderr = "";

  constructor(
    script: string,
    args: string[],
    cwd: string,
    limitMs: number,
  ) {
    const started = Date.now();
    const child = spawn("/bin/sh", ["-c", script, "sh", ...args], {
      cwd,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    this.pid = child.pid!;
    const decoder = new TextDecoder();
    child.stdout!.on(
      "data",
      (d: Uint8Array) => this.stdout += decoder.decode(d),
    );
    child.stderr!.on(
      "data",
      (d: Uint8Array) => this.stderr += decoder.decode(d),
    );
    this.done = new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.stderr += "\n[test] did not finish: killed\n";
        this.killGroup();
      }, limitMs);
      child.on("close", (status) => {
        clearTimeout(timer);
        resolve({
          stdout: this.stdout,
          stderr: this.stderr,
          status,
          ms: Date.now() - started,
        });
      });
    });
  }

  killGroup(): void {
    try {
      process.kill(-this.pid, "SIGKILL");
    } catch { /* gone */ }
  }
}

/** VmRSS of a process in KiB, or undefined once it is gone or a zombie. */
function rssKiB(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    if (/^State:\s+Z/m.test(status)) return undefined;
    const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

function gone(pid: number): boolean {
  return !existsSync(`/proc/${pid}`) || rssKiB(pid) === undefined;
}

describe("faults: tend's stdout", () => {
  it(
    "`tend start | head -1` shuts down with status 141, no stack trace, nothing left",
    budget(60000),
    async () => {
      const { file, args } = launcher();
      for (let run = 0; run < reps(2); run++) {
        const mark = marker();
        // The mark reaches tend through a file, so no shell of the pipeline carries it.
        const dir = tempApp({ ".mark": mark });
        const sleepPath = markedSleep(dir, mark);
        const procfile = [
          `ticker: i=0; while :; do i=$((i+1)); echo "tick $i"; sleep 0.02; done # ${mark}`,
          `sleeper: ${sleepPath} 1000 & exec ${sleepPath} 1000`,
        ].join("\n") + "\n";
        writeFileSync(join(dir, "Procfile"), procfile);
        const result = await new _Sh(
          `{ (export TEND_TEST_MARK="$(cat .mark)"; exec "$@" start); echo "status=$?" >&2; } | head -1`,
          [file, ...args],
          dir,
          15_000,
        ).done;
        const scenario = "| head -1";
        if (!/^\S.* started \(pid=\d+\)\n$/.test(result.stdout)) {
          soak.fail(scenario, `stdout: ${JSON.stringify(result.stdout)}`);
        }
        if (!/^status=141$/m.test(result.stderr)) {
          soak.fail(scenario, `stderr: ${result.stderr}`);
        }
        if (/^\s+at /m.test(result.stderr) || /error/i.test(result.stderr)) {
          soak.fail(scenario, `stack trace or error: ${result.stderr}`);
        }
        if (result.ms > 10_000) {
          soak.fail(
            scenario,
            `took ${result.ms} ms`,
            "hangs",
          );
        }
        const left = await orphans(mark);
        if (left.length) {
          soak.fail(
            scenario,
            `left:\n${left.join("\n")}`,
            "orphans",
          );
        }
        soak.count("runs");
        cleanup(dir);
      }
      soak.assertClean();
    },
  );

  it(
    "a reader that goes away stops tend as a clean exit 141, not a crash",
    budget(60000),
    async () => {
      for (let run = 0; run < reps(2); run++) {
        const mark = marker();
        const dir = tempApp();
        const sleepPath = markedSleep(dir, mark);
        writeFileSync(
          join(dir, "Procfile"),
          `ticker: while :; do echo tick; sleep 0.02; done # ${mark}\n` +
            `sleeper: exec ${sleepPath} 1000\n`,
        );
        const tend = startTend(["start"], { mark, cwd: dir });
        await tend.waitFor("tick");
        tend.child.stdout!.destroy();
        const result = await tend.done;
        const scenario = "reader closes";
        // Not killed by SIGPIPE: tend noticed and shut down on its own.
        if (result.status !== 141) {
          soak.fail(
            scenario,
            `status ${result.status} signal ${result.signal}; ${result.stderr}`,
          );
        }
        if (result.stderr !== "") {
          soak.fail(scenario, `stderr: ${result.stderr}`);
        }
        if (result.ms > 10_000) {
          soak.fail(
            scenario,
            `took ${result.ms} ms`,
            "hangs",
          );
        }
        const left = await orphans(mark);
        if (left.length) {
          soak.fail(
            scenario,
            `left:\n${left.join("\n")}`,
            "orphans",
          );
        }
        soak.count("runs");
        cleanup(dir);
      }
      soak.assertClean();
    },
  );

  it(
    "with stdout stalled, memory stays bounded and SIGINT still stops tend at once",
    budget(60000),
    async () => {
      const { file, args } = launcher();
      const latencies: number[] = [];
      const peaks: number[] = [];
      // A generous bound: tend itself takes 40-60 MB; a queue that grew with
      // the flood would pass this within a second.
      const boundKiB = 200 * 1024;
      for (let run = 0; run < reps(1); run++) {
        const mark = marker();
        const dir = tempApp({ ".mark": mark });
        const sleepPath = markedSleep(dir, mark);
        // The reader: a sleep (without the marker) that never reads its stdin.
        const reader = join(dir, "stalled-reader");
        symlinkSync("/bin/sleep", reader);
        writeFileSync(
          join(dir, "Procfile"),
          `flood: yes "$(printf '%0200d' 0)" # ${mark}\n` +
            `other: ${sleepPath} 1000 & exec ${sleepPath} 1000\n` +
            `printer: while :; do echo still-here; sleep 0.01; done # ${mark}\n`,
        );
        const pipeline = new _Sh(
          `{ sh -c 'echo "tendpid=$$" >&2; export TEND_TEST_MARK="$(cat .mark)"; exec "$@"' tend "$@" start; echo "status=$?" >&2; } | ./stalled-reader 1000`,
          [file, ...args],
          dir,
          30_000,
        );
        const scenario = "stalled stdout";
        // The inner sh prints its pid, then execs tend under that pid.
        const findUntil = Date.now() + 10_000;
        let match: RegExpExecArray | null = null;
        while (!match && Date.now() < findUntil) {
          await sleep(20);
          match = /tendpid=(\d+)/.exec(pipeline.stderr);
        }
        if (!match) {
          soak.fail(scenario, `no tend pid: ${pipeline.stderr}`);
          pipeline.killGroup();
          continue;
        }
        const pid = Number(match[1]);
        // Wait until tend runs (not the sh that execs it) and has started all.
        while (Date.now() < findUntil && aliveWith(mark).length < 3) {
          await sleep(20);
        }
        // Let the pipe fill and the flood push against it for a while.
        let peak = 0;
        const sampleUntil = Date.now() + 2500;
        while (Date.now() < sampleUntil) {
          peak = Math.max(peak, rssKiB(pid) ?? 0);
          await sleep(100);
        }
        peaks.push(peak);
        if (peak > boundKiB) {
          soak.fail(scenario, `RSS ${peak} KiB over ${boundKiB} KiB`);
        }
        const before = Date.now();
        process.kill(pid, "SIGINT");
        while (!gone(pid) && Date.now() - before < 15_000) await sleep(2);
        const latency = Date.now() - before;
        latencies.push(latency);
        if (latency > 1000) {
          soak.fail(scenario, `exited ${latency} ms after SIGINT`, "hangs");
        }
        const left = await orphans(mark);
        if (left.length) {
          soak.fail(
            scenario,
            `left:\n${left.join("\n")}`,
            "orphans",
          );
        }
        // End the reader; the pipeline's shell has reported tend's status.
        await sleep(100);
        pipeline.killGroup();
        const result = await pipeline.done;
        if (!/^status=130$/m.test(result.stderr) && latency <= 1000) {
          soak.fail(scenario, `stderr: ${result.stderr}`);
        }
        if (/^\s+at /m.test(result.stderr)) {
          soak.fail(scenario, `stack trace: ${result.stderr}`);
        }
        soak.count("runs");
        cleanup(dir);
      }
      console.log(
        `[faults] stalled stdout: peak RSS ${
          peaks.map((k) => (k / 1024).toFixed(0)).join(", ")
        } MB; SIGINT -> exit ${latencies.join(", ")} ms`,
      );
      soak.assertClean();
      assert.ok(latencies.length > 0);
    },
  );
});
