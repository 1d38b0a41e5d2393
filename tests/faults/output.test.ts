/**
 * Faults in what children print: floods, a last line without a newline,
 * bytes that are not UTF-8, lines of 10 MB. Every line must arrive whole
 * and in order per process, nothing may be lost, and nothing may be left
 * running. `TEND_SOAK=N` runs each scenario N times as often.
 */
import { after, describe, it } from "node:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { cleanup, marker, runTend, tempApp } from "../e2e/_helpers.ts";
import {
  barrier,
  budget,
  checkExact,
  checkNumbered,
  latin1,
  markedSleep,
  numberedAwk,
  reps,
  Soak,
} from "./_harness.ts";

const soak = new Soak("output.test.ts");
after(() => soak.report());

describe("faults: output", () => {
  it(
    "a flood of 3 x 100k numbered lines arrives whole and in order",
    budget(60000),
    async () => {
      const n = 100_000;
      for (let run = 0; run < reps(1); run++) {
        const mark = marker();
        const tags = ["alpha", "beta", "gamma"];
        const app = tempApp({
          Procfile: tags.map((tag) =>
            `${tag}: ${numberedAwk(tag, n)}; ${barrier(3)} # ${mark}\n`
          ).join(""),
        });
        const result = await runTend(["start"], {
          mark,
          cwd: app,
          timeout: 60_000,
        });
        await soak.check("flood", result, {
          status: [0],
          maxMs: 45_000,
          mark,
          streams: Object.fromEntries(
            tags.map((tag) => [`${tag}.1`, (b) => checkNumbered(b, tag, n)]),
          ),
        });
        cleanup(app);
      }
      soak.assertClean();
    },
  );

  it(
    "a last line without a newline is printed, also when the process is killed",
    budget(60000),
    async () => {
      for (let run = 0; run < reps(2); run++) {
        const mark = marker();
        const app = tempApp();
        const sleep = markedSleep(app, mark);
        writeFileSync(
          join(app, "Procfile"),
          [
            // Exits last, normally: its final line has no newline.
            `ender: sleep 0.4; printf 'one\\ntwo\\nno-newline-at-end'`,
            // Killed at shutdown while its last line is unfinished.
            `cut: printf 'partial-then-killed'; exec ${sleep} 1000`,
            // One line written in two pieces, then an unfinished one.
            `pieces: printf 'par'; sleep 0.1; printf 'tial\\n'; printf tail; exec ${sleep} 1000`,
          ].join("\n") + "\n",
        );
        const result = await runTend(["start"], { mark, cwd: app });
        await soak.check("no-newline", result, {
          status: [0],
          maxMs: 10_000,
          mark,
          streams: {
            "ender.1": (b) =>
              checkExact(b, ["one", "two", "no-newline-at-end"]),
            "cut.1": (b) => checkExact(b, ["partial-then-killed"]),
            "pieces.1": (b) => checkExact(b, ["partial", "tail"]),
          },
        });
        cleanup(app);
      }
      soak.assertClean();
    },
  );

  it(
    "bytes that are not UTF-8 pass through unchanged",
    budget(60000),
    async () => {
      for (let run = 0; run < reps(2); run++) {
        const mark = marker();
        // Every byte value, in random order, with newlines here and there;
        // the second file ends without a newline.
        const files = [0, 1].map(() => {
          const bytes = new Uint8Array(200_000);
          for (let i = 0; i < bytes.length; i++) {
            bytes[i] = Math.random() < 0.01 ? 0x0a : (i * 7919 + run) & 0xff;
            if (Math.random() < 0.3) bytes[i] = Math.floor(Math.random() * 256);
          }
          return bytes;
        });
        files[0][files[0].length - 1] = 0x0a;
        files[1][files[1].length - 1] = 0xff;
        const app = tempApp({
          "a.bin": files[0],
          "b.bin": files[1],
          Procfile: `a: cat a.bin; ${barrier(2)} # ${mark}\n` +
            `b: cat b.bin; ${barrier(2)} # ${mark}\n`,
        });
        const expected = files.map((bytes) => {
          const lines = latin1(bytes).split("\n");
          if (lines[lines.length - 1] === "") lines.pop();
          return lines;
        });
        const result = await runTend(["start", "--no-timestamp"], {
          mark,
          cwd: app,
        });
        await soak.check("binary", result, {
          status: [0],
          maxMs: 15_000,
          mark,
          streams: {
            "a.1": (b) => checkExact(b, expected[0]),
            "b.1": (b) => checkExact(b, expected[1]),
          },
        });
        cleanup(app);
      }
      soak.assertClean();
    },
  );

  it(
    "lines of 10 MB arrive complete and in order, cut into pieces of at most 2 MiB",
    budget(60000),
    async () => {
      // Fixed-width counters (`0000000,0000001,...`) make any reordering or
      // loss of a piece visible.
      const counters = (from: number) => {
        const bytes = new Uint8Array(10 << 20);
        for (let at = 0, n = from; at < bytes.length; at += 8, n++) {
          for (let d = 6, v = n; d >= 0; d--, v = Math.floor(v / 10)) {
            bytes[at + d] = 0x30 + (v % 10);
          }
          bytes[at + 7] = 0x2c;
        }
        return latin1(bytes);
      };
      const lines = [
        "start",
        counters(0),
        "middle",
        counters(5_000_000),
        "end",
      ];
      const text = lines.join("\n") + "\n";
      for (let run = 0; run < reps(1); run++) {
        const mark = marker();
        const app = tempApp({
          "big.txt": text,
          Procfile: `a: cat big.txt; ${barrier(2)} # ${mark}\n` +
            `b: cat big.txt; ${barrier(2)} # ${mark}\n`,
        });
        const result = await runTend(["start"], {
          mark,
          cwd: app,
          timeout: 60_000,
        });
        await soak.check("10MB-lines", result, {
          status: [0],
          maxMs: 45_000,
          mark,
          streams: {
            "a.1": (b) => checkExact(b, lines, 2 << 20),
            "b.1": (b) => checkExact(b, lines, 2 << 20),
          },
        });
        cleanup(app);
      }
      soak.assertClean();
    },
  );
});
