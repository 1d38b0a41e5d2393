/**
 * Faults in how children end: a child that ignores SIGTERM, one that leaves
 * a grandchild in the background, a crash, a child that closes its stdout
 * but keeps running, and one that exits before tend has started the rest.
 * After every run: exit status per the spec, bounded time, whole lines,
 * nothing of the tree alive.
 */
import { after, describe, it } from "node:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  cleanup,
  marker,
  runTend,
  startTend,
  tempApp,
} from "../e2e/_helpers.ts";
import {
  budget,
  checkExact,
  checkNumbered,
  markedSleep,
  numberedShell,
  reps,
  Soak,
} from "./_harness.ts";

const soak = new Soak("stop.test.ts");
after(() => soak.report());

/** A temp app whose Procfile is made from the path of a marked sleep. */
function app(mark: string, procfile: (sleep: string) => string[]): string {
  const dir = tempApp();
  const sleep = markedSleep(dir, mark);
  writeFileSync(join(dir, "Procfile"), procfile(sleep).join("\n") + "\n");
  return dir;
}

describe("faults: stopping", () => {
  it(
    "a child that ignores SIGTERM is killed with SIGKILL when -t runs out",
    budget(60000),
    async () => {
      const timeoutMs = 1000;
      const measured: number[] = [];
      for (let run = 0; run < reps(2); run++) {
        const mark = marker();
        const dir = app(mark, (sleep) => [
          `stubborn: trap '' TERM; echo ready; (trap '' TERM; exec ${sleep} 1000) & exec ${sleep} 1000`,
          `crash: sleep 0.3; exit 3 # ${mark}`,
        ]);
        const tend = startTend(["start", "-t", String(timeoutMs / 1000)], {
          mark,
          cwd: dir,
        });
        let termAt = 0;
        try {
          await tend.waitFor("sending SIGTERM to all processes");
          termAt = Date.now();
        } catch (error) {
          soak.fail("ignores-TERM", String(error));
        }
        const result = await tend.done;
        const exitedAfter = Date.now() - termAt;
        measured.push(exitedAfter);
        await soak.check("ignores-TERM", result, {
          status: [3],
          maxMs: 15_000,
          mark,
          streams: {
            "stubborn.1": (b) => checkExact(b, ["ready"]),
            system: (b) => {
              const killed = b.some((l) =>
                /^sending SIGKILL to stubborn\.1 /.test(l)
              ) &&
                b.includes("stubborn.1 exited (signal=SIGKILL)");
              return killed ? { lines: 0, torn: 0, lost: 0 } : {
                lines: 0,
                torn: 0,
                lost: 1,
                detail: `no SIGKILL: ${b.join(" / ")}`,
              };
            },
          },
        });
        // SIGTERM is seen by the test up to ~50 ms late, so the SIGKILL may
        // look up to that much early; a busy machine may make it late.
        if (
          termAt &&
          (exitedAfter < timeoutMs - 150 || exitedAfter > timeoutMs + 3000)
        ) {
          soak.fail(
            "ignores-TERM",
            `exited ${exitedAfter} ms after SIGTERM with -t ${
              timeoutMs / 1000
            }`,
          );
        }
        cleanup(dir);
      }
      console.log(
        `[faults] SIGTERM -> exit with -t 1: ${measured.join(", ")} ms`,
      );
      soak.assertClean();
    },
  );

  it(
    "a grandchild left in the background does not survive",
    budget(60000),
    async () => {
      // The exiting parent's grandchild keeps the output pipe open, or not,
      // or ignores SIGTERM: whichever, the SIGKILL tend sends to the group
      // when the parent's run ends finds it.
      const variants = [
        (s: string) => `${s} 1000 & echo bg-started; sleep 0.3; exit 4`,
        (s: string) =>
          `${s} 1000 >/dev/null 2>&1 </dev/null & echo bg-started; sleep 0.3; exit 4`,
        (s: string) =>
          `(trap '' TERM; exec ${s} 1000 >/dev/null 2>&1) & echo bg-started; sleep 0.3; exit 4`,
      ];
      for (let run = 0; run < reps(1); run++) {
        for (const parent of variants) {
          const mark = marker();
          const dir = app(mark, (sleep) => [
            `parent: ${parent(sleep)}`,
            `other: ${sleep} 1000 & (trap '' TERM; exec ${sleep} 1000) & exec ${sleep} 1000`,
            `quiet: ${sleep} 1000 >/dev/null 2>&1 & exec ${sleep} 1000`,
          ]);
          const result = await runTend(["start", "-t", "1"], {
            mark,
            cwd: dir,
          });
          await soak.check("grandchild", result, {
            status: [4],
            maxMs: 10_000,
            mark,
            streams: { "parent.1": (b) => checkExact(b, ["bg-started"]) },
          });
          cleanup(dir);
        }
      }
      soak.assertClean();
    },
  );

  it(
    "a crash stops the rest, and tend exits with the crashed process's status",
    budget(60000),
    async () => {
      const cases = [
        { crash: "exit 7", status: 7 },
        { crash: "kill -USR1 $$", status: 138 },
        { crash: "kill -KILL $$", status: 137 },
      ];
      for (let run = 0; run < reps(1); run++) {
        for (const { crash, status } of cases) {
          const mark = marker();
          const dir = app(mark, (sleep) => [
            `web: ${numberedShell("web", 2000)}; exec ${sleep} 1000`,
            `worker: ${sleep} 1000 & exec ${sleep} 1000`,
            `crash: sleep 0.4; echo crashing; ${crash}`,
          ]);
          const result = await runTend(["start"], { mark, cwd: dir });
          await soak.check(`crash (${crash})`, result, {
            status: [status],
            maxMs: 10_000,
            mark,
            streams: {
              "web.1": (b) => checkNumbered(b, "web", 2000),
              "crash.1": (b) => checkExact(b, ["crashing"]),
            },
          });
          cleanup(dir);
        }
      }
      soak.assertClean();
    },
  );

  it(
    "a child that closes its stdout but keeps running is still stopped",
    budget(60000),
    async () => {
      for (let run = 0; run < reps(1); run++) {
        const mark = marker();
        const dir = app(mark, (sleep) => [
          `closer: echo before-close; exec >&- 2>&-; exec ${sleep} 1000`,
          `halfcloser: echo half; exec >&-; exec ${sleep} 1000`,
          `ender: sleep 0.5; echo ending; exit 5`,
        ]);
        const result = await runTend(["start"], { mark, cwd: dir });
        await soak.check("closes-stdout", result, {
          status: [5],
          maxMs: 10_000,
          mark,
          streams: {
            "closer.1": (b) => checkExact(b, ["before-close"]),
            "halfcloser.1": (b) => checkExact(b, ["half"]),
            "ender.1": (b) => checkExact(b, ["ending"]),
          },
        });
        cleanup(dir);
        // Alone, it is stopped by SIGINT.
        const mark2 = marker();
        const dir2 = app(mark2, (sleep) => [
          `closer: echo before-close; exec >&- 2>&-; exec ${sleep} 1000`,
        ]);
        const tend = startTend(["start"], { mark: mark2, cwd: dir2 });
        try {
          await tend.waitFor("before-close");
        } catch (error) {
          soak.fail("closes-stdout + SIGINT", String(error));
        }
        tend.kill("SIGINT");
        await soak.check("closes-stdout + SIGINT", await tend.done, {
          status: [130],
          maxMs: 10_000,
          mark: mark2,
          streams: { "closer.1": (b) => checkExact(b, ["before-close"]) },
        });
        cleanup(dir2);
      }
      soak.assertClean();
    },
  );

  it(
    "a child that exits before the others are started stops them all",
    budget(60000),
    async () => {
      for (let run = 0; run < reps(2); run++) {
        for (const first of ["exit 3", "echo bye; exit 3"]) {
          const mark = marker();
          const dir = app(mark, (sleep) => [
            `t00: ${first} # ${mark}`,
            ...Array.from(
              { length: 19 },
              (_, i) =>
                `t${String(i + 1).padStart(2, "0")}: exec ${sleep} 1000`,
            ),
          ]);
          const result = await runTend(["start"], { mark, cwd: dir });
          await soak.check("early-exit", result, {
            status: [3],
            maxMs: 10_000,
            mark,
            streams: first.startsWith("echo")
              ? { "t00.1": (b) => checkExact(b, ["bye"]) }
              : {},
          });
          cleanup(dir);
        }
      }
      soak.assertClean();
    },
  );
});
