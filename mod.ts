/**
 * tend: a Procfile process manager for twelve-factor apps, as a library.
 *
 * The data flow is parse -> plan -> supervise -> print:
 *
 * ```ts
 * import { loadEnv, parseProcfile, plan, Printer, openStdout, Supervisor } from "./mod.ts";
 *
 * const { env } = loadEnv({ files: [".env"], processEnv: process.env });
 * const entries = parseProcfile("web: python -m http.server $PORT\n");
 * const instances = plan(entries, { basePort: 8000 });
 * const printer = new Printer(openStdout(), instances.map((i) => i.name));
 * const status = await new Supervisor({ instances, env, printer }).run();
 * ```
 *
 * Runs unchanged on Deno, Bun and Node: it uses `node:` built-ins only, and
 * the few runtime-specific calls live in `src/runtime.ts`.
 *
 * @module
 */
export * from "./src/errors.ts";
export * from "./src/procfile.ts";
export * from "./src/formation.ts";
export * from "./src/dotenv.ts";
export * from "./src/env.ts";
export * from "./src/output.ts";
export * from "./src/supervisor.ts";
export * from "./src/run.ts";
export {
  EXPORT_FORMATS,
  type ExportFile,
  type ExportFiles,
  type ExportFormat,
  type ExportOptions,
  renderExport,
  writeExport,
} from "./src/export/mod.ts";
export {
  type ByteSink,
  onStopSignals,
  openStdout,
  QueuedSink,
  type StopSignal,
  type WriteAll,
} from "./src/runtime.ts";
