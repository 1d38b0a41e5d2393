#!/usr/bin/env -S deno run -A
/**
 * tend's benchmark: tend (deno run, bun, compiled binary) against the floor
 * (`seq | sed`), the bare runtimes (bench/hello.mjs) and the peers
 * (foreman, node-foreman, concurrently, hivemind, goreman, forego, overmind,
 * honcho), in one run, with ratios, because absolute times on a shared
 * machine drift.
 *
 * ```sh
 * deno task bench            # full run, several minutes; writes bench/results.md
 * deno task bench --quick    # smoke test, about a minute; installs nothing
 * deno task bench --markdown # also print the tables as markdown
 * deno task bench --only flood-small,startup --contenders tend,hivemind
 * ```
 *
 * The npm peers and foreman are installed when missing (not with --quick);
 * the others are only looked for, in bench/.peers/bin (honcho: its source
 * tree in bench/.peers/honcho), then on the PATH, and skipped with the
 * reason when missing. Not part of the test suite.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, release, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import process from "node:process";
import {
  baselines,
  BINARY,
  type Contender,
  ensureBinary,
  ensureHelloBinary,
  ensureNpmBundle,
  extraContender,
  installPeers,
  peerContenders,
  ROOT,
  tendContenders,
  versions,
} from "./contenders.ts";
import { start, sweepAll, within } from "./proc.ts";
import { median, renderMarkdown, renderText, type Table } from "./report.ts";
import {
  type Ctx,
  flood,
  floodModes,
  FULL,
  idleCpu,
  idleRss,
  QUICK,
  scale,
  shutdown,
  sizeMb,
  startup,
  tenFlood,
  version,
} from "./scenarios.ts";

const _SCENARIOS = [
  "version",
  "flood",
  "flood-small",
  "flood-modes",
  "ten",
  "startup",
  "shutdown",
  "stubborn",
  "rss",
  "idle",
  "scale",
] as const;
type _Scenario = typeof _SCENARIOS[number];

const _USAGE = `Usage: deno task bench [options]

  --quick          smoke test (about a minute): fewer runs, smaller floods,
                   peers only if already installed and only in flood-small
                   (unless named with --contenders)
  --markdown       also print the results as markdown
  --out FILE       write the markdown to FILE (full run default: bench/results.md)
  --only LIST      comma-separated scenarios: ${_SCENARIOS.join(",")}
                   (rss: memory with 2 and with many idle processes)
  --contenders L   comma-separated contenders to run (default: all); also
                   the groups tend, peers, baselines; a peer named here
                   also floods 2M lines (flood)
  --extra ID[@RUNTIME]=COMMAND
                   also measure this tend command line (repeatable), e.g. a
                   build from before a change: --extra bin-old@bun-compiled=/tmp/tend
  --no-install     do not install missing peers
  -h, --help       this help`;

interface _Options {
  quick: boolean;
  markdown: boolean;
  out?: string;
  only: Set<_Scenario>;
  install: boolean;
  contenders?: Set<string>;
  /** `--extra` specs: more tend command lines to measure. */
  extra: string[];
}

function _parse(argv: readonly string[]): _Options {
  const options: _Options = {
    quick: false,
    markdown: false,
    only: new Set(_SCENARIOS),
    install: true,
    extra: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--quick") options.quick = true;
    else if (arg === "--markdown") options.markdown = true;
    else if (arg === "--no-install") options.install = false;
    else if (arg === "--out") options.out = argv[++i];
    else if (arg === "--extra") options.extra.push(argv[++i] ?? "");
    else if (arg === "--contenders") {
      options.contenders = new Set((argv[++i] ?? "").split(","));
    } else if (arg === "--only") {
      const names = (argv[++i] ?? "").split(",").filter(Boolean);
      for (const name of names) {
        if (!(_SCENARIOS as readonly string[]).includes(name)) {
          throw new Error(`unknown scenario "${name}"\n\n${_USAGE}`);
        }
      }
      options.only = new Set(names as _Scenario[]);
    } else if (arg === "-h" || arg === "--help") {
      console.log(_USAGE);
      process.exit(0);
    } else throw new Error(`unknown option "${arg}"\n\n${_USAGE}`);
  }
  return options;
}

function _log(line: string): void {
  process.stderr.write(`bench: ${line}\n`);
}

function _cpuModel(): string {
  try {
    const info = readFileSync("/proc/cpuinfo", "utf8");
    return /^model name\s*:\s*(.*)$/m.exec(info)?.[1]?.trim() ?? "unknown CPU";
  } catch {
    return cpus()[0]?.model ?? "unknown CPU";
  }
}

function _machine(): string {
  return `${cpus().length} CPUs (nproc), ${_cpuModel()}, ${
    (totalmem() / 2 ** 30).toFixed(0)
  } GiB RAM, Linux ${release()}`;
}

function _load(): string {
  return loadavg().map((n) => n.toFixed(2)).join(" ");
}

/**
 * One pass/fail line per target (throughput, memory, start-up), for each tend launcher
 * that ran.
 */
function _targets(
  tables: Map<string, Table>,
  peers: ReadonlySet<string>,
): string[][] {
  const tends = ["tend-deno", "tend-bun", "tend-bin", "tend-node"].filter((
    id,
  ) => [...tables.values()].some((t) => t.rows.some((r) => r.id === id)));
  const rows: string[][] = [["target", ...tends]];
  const med = (t: Table | undefined, id: string) => {
    const row = t?.rows.find((r) => r.id === id);
    return row && row.samples.length ? median(row.samples) : undefined;
  };
  const mark = (ok: boolean | undefined, text: string) =>
    ok === undefined ? "–" : `${ok ? "✓" : "✗"} ${text}`;
  const big = tables.get("flood");
  if (big) {
    const floor = med(big, "floor");
    rows.push([
      `${big.title}: ≤ 1.5× floor, all lines, none torn`,
      ...tends.map((id) => {
        const m = med(big, id);
        const row = big.rows.find((r) => r.id === id);
        if (m === undefined || floor === undefined || !row) return "–";
        const ratio = m / floor;
        const ok = ratio <= 1.5 && row.extra.lines === "all" &&
          row.extra.torn === "0";
        return mark(
          ok,
          `${ratio.toFixed(2)}×, ${row.extra.lines}, ${row.extra.torn} torn`,
        );
      }),
    ]);
    rows.push([
      `${big.title}: peak RSS ≤ 60 MB`,
      ...tends.map((id) => {
        const rss = big.rows.find((r) => r.id === id)?.extra["peak RSS"];
        if (!rss) return "–";
        return mark(parseFloat(rss) <= 60, rss);
      }),
    ]);
    rows.push([
      `${big.title}: peak ≤ idle RSS + 10 MB`,
      ...tends.map((id) => {
        const over = big.rows.find((r) => r.id === id)?.extra["peak − idle"];
        if (!over) return "–";
        return mark(parseFloat(over) <= 10, `+${over}`);
      }),
    ]);
  }
  const startup = tables.get("startup");
  if (startup) {
    rows.push([
      "Startup: ≤ 1.5× the hello of its runtime",
      ...tends.map((id) => {
        const own = startup.rows.find((r) => r.id === id)?.extra[
          "× own runtime"
        ];
        if (!own) return "–";
        return mark(parseFloat(own) <= 1.5, own);
      }),
    ]);
  }
  const small = tables.get("flood-small");
  if (small) {
    const measured = small.rows.filter((r) =>
      peers.has(r.id) && r.samples.length
    );
    const best = measured.length
      ? Math.min(...measured.map((r) => median(r.samples)))
      : undefined;
    rows.push([
      `${small.title}: faster than every peer`,
      ...tends.map((id) => {
        const m = med(small, id);
        if (m === undefined || best === undefined) return "–";
        return mark(m < best, `${m.toFixed(3)} s vs ${best.toFixed(3)} s`);
      }),
    ]);
  }
  const idle = tables.get("idle");
  if (idle) {
    rows.push([
      "Idle CPU 0.00 s",
      ...tends.map((id) => {
        const m = med(idle, id);
        return m === undefined ? "–" : mark(m < 0.005, `${m.toFixed(2)} s`);
      }),
    ]);
  }
  const sc = tables.get("scale");
  if (sc) {
    rows.push([
      `${sc.title} started < 1 s`,
      ...tends.map((id) => {
        const m = med(sc, id);
        return m === undefined ? "–" : mark(m < 1, `${m.toFixed(2)} s`);
      }),
    ]);
  }
  return rows;
}

function _grid(rows: string[][], markdown: boolean): string {
  if (markdown) {
    const line = (r: string[]) => `| ${r.join(" | ")} |`;
    return [
      line(rows[0]),
      line(rows[0].map(() => "---")),
      ...rows.slice(1).map(line),
    ]
      .join("\n");
  }
  const widths = rows[0].map((_, i) =>
    Math.max(...rows.map((r) => [...r[i]].length))
  );
  return rows.map((r) =>
    r.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd()
  )
    .join("\n");
}

async function _main(): Promise<number> {
  const options = _parse(process.argv.slice(2));
  const plan = options.quick ? QUICK : FULL;
  const began = new Date();
  if (options.install && !options.quick) installPeers(_log);
  ensureBinary(_log);
  ensureNpmBundle(_log);
  ensureHelloBinary(_log);
  const extras = options.extra.map(extraContender);
  const all: Contender[] = [
    ...tendContenders(),
    ...extras,
    ...baselines(),
    ...peerContenders(),
  ];
  const groups: Record<Contender["kind"], string> = {
    tend: "tend",
    peer: "peers",
    baseline: "baselines",
  };
  const wanted = (c: Contender) =>
    options.contenders === undefined || extras.includes(c) ||
    options.contenders.has(c.id) ||
    options.contenders.has(groups[c.kind]);
  const contenders = all.filter((c) => !c.missing && wanted(c));
  const notes = all.filter((c) => c.missing && wanted(c)).map((c) =>
    `${c.id}: ${c.missing}; not measured.`
  );
  for (const note of notes) _log(note);
  const tmp = mkdtempSync(join(tmpdir(), "tend-bench-"));
  const stop = () => {
    const n = sweepAll();
    rmSync(tmp, { recursive: true, force: true });
    _log(`interrupted; killed ${n} leftover processes`);
    process.exit(130);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);

  const header = [
    `Date: ${began.toISOString().slice(0, 16).replace("T", " ")} UTC`,
    `Machine: ${_machine()}; load average at start ${_load()}`,
    `Versions: ${versions(contenders).join("; ")}`,
    `Mode: ${
      options.quick
        ? "quick (smoke test: small numbers, one or two runs, peers only in the small flood)"
        : "full"
    }`,
  ];
  console.log(header.join("\n") + "\n");

  const ctx: Ctx = { plan, contenders, log: _log, tmp, idleRssKb: new Map() };
  const tends = contenders.filter((c) => c.kind === "tend");
  const bases = contenders.filter((c) => c.kind === "baseline");
  const runners = contenders.filter((c) => c.kind !== "baseline");
  // The smoke test keeps the peers to the headline flood: they are slow to
  // start, and a minute is the budget. Peers named with --contenders run
  // everywhere (a quick check of a peer).
  const most = options.quick && !options.contenders ? tends : runners;
  // The baselines join where a bare runtime is a meaningful floor: start-up,
  // memory, idle CPU, spawning, and the floods with one process (they relay
  // bytes without prefixes, so the lines of ten processes cannot be told
  // apart; and they do not stop their children on a signal).
  const withBases = [...most, ...bases];
  const tables = new Map<string, Table>();
  try {
    // Warm-up: deno compiles and caches cli.ts on its first run.
    for (const c of contenders) {
      const run = start({ ...c.version, cwd: tmp, output: "null" });
      await within(run.exited, 60_000);
    }
    const sizes = new Map<string, string>([
      ["tend-bin", sizeMb(BINARY)],
      ["tend-deno", `deno ${sizeMb(process.execPath)} + sources`],
    ]);
    const bun = all.find((c) => c.id === "tend-bun");
    if (bun && !bun.missing) {
      sizes.set("tend-bun", `bun ${sizeMb(bun.version.file)} + sources`);
    }
    const run = async (
      name: _Scenario,
      fn: () => Promise<Table>,
      key: string = name,
    ) => {
      if (!options.only.has(name)) return;
      const table = await fn();
      tables.set(key, table);
      console.log(renderText(table) + "\n");
    };
    await run("version", () => version(ctx, most, sizes));
    // The peers flood 2M lines only when named with --contenders: the
    // slow ones (foreman, node-foreman) would take minutes.
    const namedPeers = contenders.filter((c) =>
      c.kind === "peer" && options.contenders?.has(c.id)
    );
    await run(
      "flood",
      () => flood(ctx, plan.floodBig, [...tends, ...namedPeers, ...bases]),
    );
    await run("flood-small", () => flood(ctx, plan.floodSmall, contenders));
    await run("flood-modes", () => floodModes(ctx, plan.floodBig, tends));
    await run("ten", () => tenFlood(ctx, most));
    await run("startup", () => startup(ctx, withBases));
    await run("shutdown", () => shutdown(ctx, most, false));
    await run("stubborn", () => shutdown(ctx, most, true));
    await run("rss", () => idleRss(ctx, withBases, 2), "rss2");
    await run("rss", () => idleRss(ctx, withBases, plan.idleRssProcs));
    await run("idle", () => idleCpu(ctx, withBases));
    await run("scale", () => scale(ctx, withBases));
  } finally {
    const left = sweepAll();
    if (left) _log(`killed ${left} leftover processes`);
    rmSync(tmp, { recursive: true, force: true });
  }
  header[1] += `, at end ${_load()}`;
  const targets = _targets(
    tables,
    new Set(contenders.filter((c) => c.kind === "peer").map((c) => c.id)),
  );
  console.log("Targets\n" + _grid(targets, false) + "\n");
  for (const note of notes) console.log(note);

  const markdown = [
    ...header.map((h) => h + "  "),
    "",
    ...[...tables.values()].flatMap((t) => [renderMarkdown(t), ""]),
    "**Targets**",
    "",
    _grid(targets, true),
    "",
    ...notes.map((n) => `- ${n}`),
    "",
    "Reproduce: `deno task bench` (writes bench/results.md); smoke test: `deno task bench --quick`.",
    "",
  ].join("\n");
  if (options.markdown) console.log("\n" + markdown);
  const out = options.out ??
    (options.quick ? undefined : join(ROOT, "bench", "results.md"));
  if (out) {
    writeFileSync(out, markdown);
    // Keep the file as `deno fmt` wants it, since the repo checks formatting.
    spawnSync(process.execPath, ["fmt", "--quiet", out], { stdio: "ignore" });
    _log(`wrote ${out}`);
  }
  return 0;
}

if (import.meta.main) {
  try {
    process.exit(await _main());
  } catch (error) {
    sweepAll();
    _log(error instanceof Error ? error.message : String(error));
    process.exit(1);
  }
}
