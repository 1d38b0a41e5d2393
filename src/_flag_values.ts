/**
 * Flag values as the supervisor takes them: seconds to milliseconds, type
 * lists to selections, `TYPE=SIG` to a signal map. Each bad value is a
 * usage error that names the flag; a type the Procfile does not define is
 * an input error (status 1), however it was named.
 *
 * @module
 */
import { constants } from "node:os";
import { type Flags, splitList } from "./args.ts";
import { TendError, UsageError } from "./errors.ts";
import type { LogFormat } from "./output.ts";
import type { ProcfileEntry } from "./procfile.ts";
import type { Project, ProjectOptions } from "./project.ts";
import type { Signal } from "./_child.ts";
import type { SupervisorOptions, TypeSelection } from "./policy.ts";

/**
 * The project options every command shares, from the flags: `-e` values
 * split at commas, `--no-example` as `example: false`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { projectOptions } from "./_flag_values.ts";
 * const options = projectOptions({ env: ["a.env, b.env"], noExample: true }, {});
 * assert.deepEqual(options.envFiles, ["a.env", "b.env"]);
 * assert.equal(options.example, false);
 * ```
 */
export function projectOptions(
  flags: Flags,
  processEnv: Readonly<Record<string, string | undefined>>,
  only?: string[],
): ProjectOptions {
  if (flags.noExample && flags.example !== undefined) {
    throw new UsageError("--example and --no-example exclude each other");
  }
  return {
    procfile: flags.procfile,
    envFiles: splitList(flags.env),
    appRoot: flags.appRoot,
    port: flags.port,
    formation: flags.formation?.join(","),
    only,
    after: flags.after,
    ready: flags.ready,
    release: !flags.noRelease,
    override: flags.override,
    example: flags.noExample ? false : flags.example,
    strict: flags.strict,
    processEnv,
  };
}

/**
 * The supervisor's policies from `tend start`'s flags, checked against the
 * project's types, with its start order and probes.
 */
export function policyOptions(
  flags: Flags,
  project: Project,
): Omit<SupervisorOptions, "instances" | "env" | "printer"> {
  const { entries, procfile } = project;
  return {
    timeout: milliseconds(flags.timeout, "timeout"),
    quiet: typeSelection(flags.quiet, entries, "--quiet", procfile),
    canDie: typeSelection(flags.canDie, entries, "--can-die", procfile),
    restart: typeSelection(flags.restart, entries, "--restart", procfile),
    maxRestarts: count(flags.maxRestarts, "--max-restarts"),
    stopSignals: stopSignals(flags.stopSignal, entries, procfile),
    order: project.order,
    ready: project.ready,
    readyTimeout: milliseconds(flags.readyTimeout, "--ready-timeout"),
  };
}

/** Throws the one error for a type the Procfile does not define. */
export function unknownType(
  type: string,
  entries: readonly ProcfileEntry[],
  where: string,
  path?: string,
): never {
  throw new TendError({
    path,
    message: `unknown process type "${type}" in ${where} (known: ${
      entries.map((e) => e.name).join(", ")
    })`,
  });
}

/** `--quiet web,worker` as a selection; `all` selects every type. */
export function typeSelection(
  values: readonly string[] | undefined,
  entries: readonly ProcfileEntry[],
  flag: string,
  path?: string,
): TypeSelection | undefined {
  const list = splitList(values);
  if (list.length === 0) return undefined;
  if (list.includes("all")) return "all";
  for (const type of list) {
    if (!entries.some((e) => e.name === type)) {
      unknownType(type, entries, flag, path);
    }
  }
  return new Set(list);
}

/** `--stop-signal web=INT,all=TERM` as a map from type to signal. */
export function stopSignals(
  values: readonly string[] | undefined,
  entries: readonly ProcfileEntry[],
  path?: string,
): Map<string, Signal> {
  const signals = new Map<string, Signal>();
  const known = entries.map((e) => e.name);
  for (const item of splitList(values)) {
    const match = /^([A-Za-z0-9_-]+)=(?:SIG)?([A-Za-z0-9]+)$/.exec(item);
    const name = match ? `SIG${match[2].toUpperCase()}` : "";
    if (!match || !(name in constants.signals)) {
      throw new UsageError(
        `bad --stop-signal ${
          JSON.stringify(item)
        }: expected TYPE=SIGNAL, e.g. web=INT`,
      );
    }
    const targets = match[1] === "all" ? known : [match[1]];
    for (const type of targets) {
      if (!known.includes(type)) {
        unknownType(type, entries, "--stop-signal", path);
      }
      signals.set(type, name as Signal);
    }
  }
  return signals;
}

/** `-t 0.5` as milliseconds; undefined when not given. */
export function milliseconds(
  value: string | undefined,
  flag: string,
): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+(\.\d+)?$/.test(value)) {
    throw new UsageError(
      `bad ${flag} ${JSON.stringify(value)}: expected seconds, e.g. 5 or 0.5`,
    );
  }
  return Math.round(Number(value) * 1000);
}

/** `--max-restarts 3` as a number; undefined when not given. */
export function count(
  value: string | undefined,
  flag: string,
): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) {
    throw new UsageError(
      `bad ${flag} ${JSON.stringify(value)}: expected a count`,
    );
  }
  return Number(value);
}

/** `--log-format json` as a format; undefined when not given. */
export function logFormat(value: string | undefined): LogFormat | undefined {
  if (value === undefined || value === "text" || value === "json") {
    return value;
  }
  throw new UsageError(
    `bad --log-format ${JSON.stringify(value)}: expected text or json`,
  );
}

const _UNITS: Readonly<Record<string, number>> = {
  "": 1,
  K: 1 << 10,
  M: 1 << 20,
  G: 1 << 30,
};

/** `--log-max-size 10M` as bytes (K, M, G are powers of 1024). */
export function byteSize(
  value: string | undefined,
  flag: string,
): number | undefined {
  if (value === undefined) return undefined;
  const match = /^(\d+(?:\.\d+)?)([KMG]?)(?:i?B)?$/i.exec(value);
  if (!match) {
    throw new UsageError(
      `bad ${flag} ${JSON.stringify(value)}: expected a size, e.g. 10M or 512K`,
    );
  }
  return Math.floor(Number(match[1]) * _UNITS[match[2].toUpperCase()]);
}
