/**
 * Stop signals at random moments, from tend's start-up to the middle of a
 * flood: SIGINT, SIGTERM, SIGHUP, and a double SIGINT against a child that
 * ignores SIGTERM. tend must exit with 128+n in bounded time, every line
 * printed so far must be whole and in sequence, and nothing may be left.
 */
import { SIGNAL_WINDOW } from "../../src/policy.ts";
import { after, describe, it } from "node:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { cleanup, marker, sleep, startTend, tempApp } from "../e2e/_helpers.ts";
import {
  budget,
  checkNumbered,
  markedSleep,
  numberedShell,
  randomInt,
  randomMoment,
  reps,
  Soak,
} from "./_harness.ts";

const soak = new Soak("signals.test.ts");
after(() => soak.report());

const STATUS: Record<string, number> = {
  SIGINT: 130,
  SIGTERM: 143,
  SIGHUP: 129,
};

/** A temp app whose Procfile is made from the path of a marked sleep. */
function app(mark: string, procfile: (sleep: string) => string[]): string {
  const dir = tempApp();
  const sleepPath = markedSleep(dir, mark);
  writeFileSync(join(dir, "Procfile"), procfile(sleepPath).join("\n") + "\n");
  return dir;
}

const TAGS = ["one", "two", "three"];

/** When the signals landed, to show that start-up is exercised too. */
const moments = { beforeHandlers: 0, beforeStart: 0, running: 0 };
after(() =>
  console.log(
    `[faults] stop signals landed: ${moments.beforeHandlers} before tend's handlers, ${moments.beforeStart} before any child started, ${moments.running} while children ran`,
  )
);

function _moment(result: { status: number | null; stdout: string }): void {
  if (result.status === null) moments.beforeHandlers++;
  else if (!/ started \(pid=/.test(result.stdout)) moments.beforeStart++;
  else moments.running++;
}

describe("faults: signals", () => {
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    it(
      `${signal} at a random moment stops everything with status ${
        STATUS[signal]
      }`,
      budget(60000),
      async () => {
        for (let run = 0; run < reps(3); run++) {
          const mark = marker();
          const dir = app(mark, (sleepPath) => [
            ...TAGS.map((tag) =>
              `${tag}: ${numberedShell(tag, 5000)}; exec ${sleepPath} 1000`
            ),
            `bg: ${sleepPath} 1000 & exec ${sleepPath} 1000`,
          ]);
          const tend = startTend(["start"], { mark, cwd: dir });
          // From before tend has installed its handlers to mid-flood.
          await sleep(randomMoment(700));
          tend.kill(signal);
          const result = await tend.done;
          _moment(result);
          await soak.check(`${signal} at random`, result, {
            status: [STATUS[signal]],
            diedOf: signal,
            maxMs: 10_000,
            mark,
            streams: Object.fromEntries(
              TAGS.map((tag) => [`${tag}.1`, (b) => checkNumbered(b, tag)]),
            ),
          });
          cleanup(dir);
        }
        soak.assertClean();
      },
    );
  }

  it(
    "a second SIGINT kills at once, even a child that ignores SIGTERM",
    budget(60000),
    async () => {
      for (let run = 0; run < reps(3); run++) {
        const mark = marker();
        const dir = app(mark, (sleepPath) => [
          `stubborn: trap '' TERM INT; exec ${sleepPath} 1000`,
          `flood: ${numberedShell("flood", 5000)}; exec ${sleepPath} 1000`,
        ]);
        // Without the second SIGINT this would wait 30 s for SIGKILL.
        const tend = startTend(["start", "-t", "30"], { mark, cwd: dir });
        await sleep(randomMoment(700));
        tend.kill("SIGINT");
        // Standard signals do not queue: a second SIGINT sent before tend
        // has taken the first is merged with it by the kernel or the
        // runtime (measured on Deno and Bun: two back to back read as
        // one). So the second press counts from when tend has seen the
        // first, as a person pressing Ctrl-C twice would see it, and comes
        // after SIGNAL_WINDOW: sooner, it is the same Ctrl-C (a wrapper's
        // copy) and does not kill.
        const seenBy = Date.now() + 5000;
        while (
          !tend.stdout.includes("SIGINT received") &&
          tend.child.exitCode === null && tend.child.signalCode === null &&
          Date.now() < seenBy
        ) {
          await sleep(5);
        }
        await sleep(SIGNAL_WINDOW + 20 + randomInt(0, 300));
        try {
          tend.kill("SIGINT");
        } catch { /* tend already gone: checked below */ }
        const result = await tend.done;
        _moment(result);
        await soak.check("double SIGINT", result, {
          status: [130],
          diedOf: "SIGINT",
          maxMs: 10_000,
          mark,
          streams: { "flood.1": (b) => checkNumbered(b, "flood") },
        });
        cleanup(dir);
      }
      soak.assertClean();
    },
  );
});
