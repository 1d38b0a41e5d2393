/**
 * tend killed with SIGKILL, which it cannot catch: its watchdog (see
 * src/supervisor.ts) sees its input from tend end and kills every process
 * group tend had listed, so children and grandchildren die within a moment.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { cleanup, marker, sleep, startTend, tempApp } from "../e2e/_helpers.ts";
import {
  aliveWith,
  budget,
  markedSleep,
  numberedShell,
  orphans,
  randomInt,
  reps,
  Soak,
} from "./_harness.ts";

const soak = new Soak("sigkill.test.ts");

/**
 * Processes of the tree below: web 3 sleeps, stubborn 2, flood its shell,
 * detached 2.
 */
const _TREE = 8;

/** The processes of the tree above: the ones with the mark in their command line. */
function _tree(mark: string): number {
  return aliveWith(mark).filter((line) => line.includes(mark)).length;
}
after(() => soak.report());

describe("faults: tend killed with SIGKILL", () => {
  it(
    "leaves no child or grandchild alive after 2 s",
    budget(60_000),
    async () => {
      const measured: number[] = [];
      for (let run = 0; run < reps(2); run++) {
        const mark = marker();
        const dir = tempApp();
        const s = markedSleep(dir, mark);
        writeFileSync(
          join(dir, "Procfile"),
          [
            `web: ${s} 1000 & ${s} 1000 & exec ${s} 1000`,
            `stubborn: trap '' TERM INT HUP; (trap '' TERM; exec ${s} 1000) & exec ${s} 1000`,
            `flood: ${numberedShell("flood", 1_000_000)} # ${mark}`,
            `detached: (${s} 1000 >/dev/null 2>&1 </dev/null &) ; exec ${s} 1000`,
          ].join("\n") + "\n",
        );
        const tend = startTend(["start"], { mark, cwd: dir });
        const scenario = "SIGKILL";
        try {
          // All four started, each with its background processes.
          await tend.waitFor(/detached\.1 started/);
          const deadline = Date.now() + 5000;
          while (_tree(mark) < _TREE && Date.now() < deadline) {
            await sleep(20);
          }
          const count = _tree(mark);
          if (count < _TREE) {
            soak.fail(scenario, `only ${count} of ${_TREE} processes started`);
          }
        } catch (error) {
          soak.fail(scenario, String(error));
        }
        await sleep(randomInt(0, 300));
        const before = Date.now();
        tend.kill("SIGKILL");
        await tend.done;
        let left = aliveWith(mark);
        while (left.length > 0 && Date.now() - before < 2000) {
          await sleep(10);
          left = aliveWith(mark);
        }
        measured.push(Date.now() - before);
        const stuck = await orphans(mark, 0);
        if (stuck.length > 0) {
          soak.fail(
            scenario,
            `alive 2 s after SIGKILL:\n${stuck.join("\n")}`,
            "orphans",
          );
          soak.count("orphans", stuck.length - 1);
        }
        soak.count("runs");
        cleanup(dir);
      }
      console.log(
        `[faults] SIGKILL of tend -> whole tree gone in ${
          measured.join(", ")
        } ms`,
      );
      soak.assertClean();
    },
  );
});
