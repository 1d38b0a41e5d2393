/**
 * Watching one starting process until its readiness probe passes: it
 * looks again every {@linkcode PROBE_INTERVAL} (a `log:` probe looks at
 * each chunk of output instead), only while the process is starting, and
 * gives up at the deadline. Nothing runs once it has settled.
 *
 * @module
 */
import type { Child } from "./_child.ts";
import {
  commandSucceeds,
  describeProbe,
  httpAnswers,
  LogMatcher,
  type Probe,
  PROBE_INTERVAL,
  tcpAccepts,
} from "./probe.ts";

/** What {@linkcode watchReadiness} needs. */
export interface ReadinessWatch {
  probe: Probe;
  child: Child;
  /** The process's `PORT`. */
  port: number;
  /** The process's environment and directory, for an `exec:` probe. */
  env: Readonly<Record<string, string>>;
  cwd?: string;
  /** Milliseconds from now until the probe counts as failed. */
  timeout: number;
  /** False once the process is no longer starting: the watch ends quietly. */
  starting(): boolean;
  /** The probe passed, after `ms`; `shown` describes the probe. */
  onReady(shown: string, ms: number): void;
  /** It did not pass in time. */
  onTimeout(shown: string): void;
  /** An `exec:` probe spawned (or reaped) a child: tend's own, not a stray. */
  onSpawn?(pid: number | undefined): void;
  onExit?(pid: number | undefined): void;
}

/** Starts watching; returns a function that ends the watch early. */
export function watchReadiness(w: ReadinessWatch): () => void {
  const started = Date.now();
  const deadline = started + w.timeout;
  const shown = describeProbe(w.probe, w.port);
  let over = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const end = () => {
    over = true;
    clearTimeout(timer);
    if (w.child.watch) w.child.watch = undefined;
  };
  const settle = (ok: boolean) => {
    if (over) return;
    end();
    if (!w.starting()) return;
    if (ok) w.onReady(shown, Date.now() - started);
    else w.onTimeout(shown);
  };
  const probe = w.probe;
  if (probe.kind === "log") {
    const matcher = new LogMatcher(probe.pattern);
    w.child.watch = (chunk) => {
      if (matcher.push(chunk)) settle(true);
    };
    timer = setTimeout(() => settle(false), w.timeout);
    return end;
  }
  const look = (): Promise<boolean> => {
    const left = Math.max(1, Math.min(2000, deadline - Date.now()));
    switch (probe.kind) {
      case "tcp":
        return tcpAccepts(
          probe.host ?? "127.0.0.1",
          probe.port ?? w.port,
          left,
        );
      case "http":
        return httpAnswers(w.port, probe.path, left);
      case "exec": {
        let pid: number | undefined;
        return commandSucceeds(probe.command, {
          env: w.env,
          cwd: w.cwd,
          onSpawn: (p) => w.onSpawn?.(pid = p),
        }, left).finally(() => w.onExit?.(pid));
      }
    }
  };
  const tick = async () => {
    if (over) return;
    if (!w.starting()) return end();
    if (await look()) return settle(true);
    if (Date.now() >= deadline) return settle(false);
    if (!over) timer = setTimeout(tick, PROBE_INTERVAL[probe.kind]);
  };
  tick();
  return end;
}
