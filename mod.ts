/**
 * tend: a Procfile process manager for twelve-factor apps, as a library.
 *
 * The data flow is load -> supervise -> print: {@linkcode loadProject}
 * applies the rules the `tend` command applies (Procfile path, env files and
 * their precedence, required keys, ports, formation), and a
 * {@linkcode Supervisor} runs the planned instances:
 *
 * ```ts
 * import assert from "node:assert/strict";
 * import { mkdtempSync, writeFileSync } from "node:fs";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import process from "node:process";
 * import { loadProject, openStdout, Printer, Supervisor } from "./mod.ts";
 *
 * const dir = mkdtempSync(join(tmpdir(), "app-"));
 * writeFileSync(join(dir, "Procfile"), "web: echo $GREETING on $PORT\n");
 * writeFileSync(join(dir, ".env"), "GREETING=hello\n");
 *
 * const project = loadProject({ appRoot: dir, processEnv: process.env });
 * const names = project.instances.map((i) => i.name);
 * const supervisor = new Supervisor({
 *   instances: project.instances,
 *   env: project.env,
 *   cwd: project.appRoot,
 *   printer: new Printer(openStdout(), names), // web.1 | hello on 5000
 * });
 * assert.equal(await supervisor.run(), 0);
 * ```
 *
 * Runs unchanged on Deno, Bun and Node: it uses `node:` built-ins only, and
 * the few runtime-specific calls live in one module.
 *
 * @module
 */
export {
  checkProject,
  loadProject,
  type Project,
  type ProjectCheck,
  type ProjectOptions,
} from "./src/project.ts";
export {
  checkProcfile,
  parseProcfile,
  type ProcfileCheck,
  type ProcfileDirective,
  type ProcfileEntry,
} from "./src/procfile.ts";
export {
  commandSucceeds,
  describeProbe,
  httpAnswers,
  LogMatcher,
  parseProbe,
  type Probe,
  tcpAccepts,
} from "./src/probe.ts";
export { type Order, parseAfter, RELEASE } from "./src/order.ts";
export {
  DEFAULT_PORT,
  type Formation,
  type Instance,
  parseFormation,
  plan,
  type PlanOptions,
} from "./src/formation.ts";
export {
  DotenvError,
  findAssignment,
  parse as parseDotenv,
  type ParseOptions as DotenvOptions,
  type UnsetReference,
} from "./src/dotenv.ts";
export { stringify as stringifyDotenv } from "./src/dotenv_stringify.ts";
export {
  isSecretName,
  type LoadedEnv,
  loadEnv,
  type LoadEnvOptions,
} from "./src/env.ts";
export { Supervisor } from "./src/supervisor.ts";
export {
  DEFAULT_READY_TIMEOUT,
  DEFAULT_TIMEOUT,
  SIGNAL_WINDOW,
  type SupervisorOptions,
  type TypeSelection,
} from "./src/policy.ts";
export type { Signal } from "./src/_child.ts";
export type { ProcessInfo, ProcessState } from "./src/process_state.ts";
export { describeEvent, type TendEvent } from "./src/events.ts";
export {
  type LogFormat,
  type OutputStyle,
  Printer,
  type PrinterOptions,
  wantColor,
} from "./src/output.ts";
export { LineSplitter, LineStream, type Splitter } from "./src/lines.ts";
export {
  type JsonFields,
  jsonHead,
  JsonLineSplitter,
} from "./src/json_lines.ts";
export {
  DEFAULT_LOG_MAX_SIZE,
  LogDir,
  type LogDirOptions,
  type LogEvent,
  openLogDir,
} from "./src/log_dir.ts";
export { OUTPUT_HINTS, outputHints } from "./src/output_env.ts";
export {
  OutputRing,
  RING_BYTES,
  RING_LINES,
  type RingLine,
  type RingOptions,
} from "./src/ring.ts";
export {
  History,
  HISTORY_EVENTS,
  type HistoryItem,
  type HistoryListener,
} from "./src/history.ts";
export {
  CONTROL_COMMANDS,
  ControlError,
  type ControlRequest,
  type ControlResponse,
  type ErrorCode,
  type LogMessage,
  logMessage,
  MAX_CLIENTS,
  MAX_NAME,
  MAX_REQUEST,
  MAX_TARGETS,
  parseRequest,
  type ProcessStatus,
  processStatus,
  PROTOCOL_VERSION,
  REQUEST_TIMEOUT_MS,
  RequestReader,
  type TendInfo,
} from "./src/control_protocol.ts";
export {
  ControlServer,
  type ControlServerOptions,
  FOLLOW_BUFFER,
} from "./src/control.ts";
export {
  type AppSockets,
  ConnectError,
  exchange,
  type ExchangeOptions,
  findPeers,
  type Line,
  type Peer,
  streamLogs,
} from "./src/control_client.ts";
export {
  appSockets,
  openControl,
  type OpenControlOptions,
} from "./src/control_start.ts";
export {
  appKey,
  type ControlDir,
  controlDir,
  ControlDirError,
  ensureControlDir,
  type FoundSocket,
  listSockets,
  SOCKET_PATH_MAX,
  socketPath,
} from "./src/socket_path.ts";
export { type ByteSink, QueuedSink } from "./src/sink.ts";
export { onStopSignals, openStdout, type StopSignal } from "./src/runtime.ts";
export { runCommand, type RunOptions } from "./src/run.ts";
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
  formatProblem,
  type Place,
  type Problem,
  TendError,
  UsageError,
} from "./src/errors.ts";
export {
  EXIT_ALREADY_RUNNING,
  EXIT_FAILURE,
  EXIT_NOT_RUNNING,
  EXIT_USAGE,
  exitStatus,
  signalStatus,
} from "./src/status.ts";
