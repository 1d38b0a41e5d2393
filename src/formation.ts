/**
 * Formation: how many instances of each process type run, and which port
 * each instance gets. Turns Procfile entries into a plan of instances.
 *
 * @module
 */
import { TendError, UsageError } from "./errors.ts";
import type { ProcfileEntry } from "./procfile.ts";

/** The port used when neither `-p`, `PORT` nor the env files give one. */
export const DEFAULT_PORT = 5000;

/** One process to run: an instance of a process type. */
export interface Instance {
  /** The process type, e.g. `web`. */
  type: string;
  /** 1-based instance number. */
  index: number;
  /** `TYPE.INDEX`, e.g. `web.1`; also the `PS` variable. */
  name: string;
  /** The command from the Procfile. */
  command: string;
  /** The `PORT` this instance gets. */
  port: number;
}

/** A formation: process type (or `all`) to instance count. */
export type Formation = Map<string, number>;

/**
 * Parses a formation flag (`web=2,worker=1`, `all=3`, `all=0,web=1`).
 * Throws a {@linkcode UsageError} for a malformed entry, a count that is not
 * a non-negative integer, or a type not in `types` (when given).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseFormation } from "./formation.ts";
 * const f = parseFormation("web=2, worker=0", ["web", "worker"]);
 * assert.ok(f.get("web") === 2 && f.get("worker") === 0);
 * ```
 */
export function parseFormation(
  spec: string,
  types?: readonly string[],
): Formation {
  const formation: Formation = new Map();
  for (const part of spec.split(",")) {
    const item = part.trim();
    if (item === "") continue;
    const match = /^([A-Za-z0-9_-]+)\s*=\s*(\d+)$/.exec(item);
    if (!match) {
      throw new UsageError(
        `bad formation entry ${
          JSON.stringify(item)
        }: expected TYPE=COUNT, e.g. web=2`,
      );
    }
    const [, type, count] = match;
    const n = Number(count);
    if (!Number.isSafeInteger(n) || n > 10_000) {
      throw new UsageError(
        `bad count in formation entry ${JSON.stringify(item)}`,
      );
    }
    if (types && type !== "all" && !types.includes(type)) {
      throw new UsageError(
        `unknown process type "${type}" in formation (known: ${
          types.join(", ")
        })`,
      );
    }
    formation.set(type, n);
  }
  return formation;
}

/** Options for {@linkcode plan}. */
export interface PlanOptions {
  /** Types to run, in this order; default: every entry, in Procfile order. */
  only?: readonly string[];
  /** Instance counts; `all` sets the default, which is otherwise 1. */
  formation?: Formation;
  /** The first port; default {@linkcode DEFAULT_PORT}. */
  basePort?: number;
  /** The Procfile path, for the unknown-type message. */
  path?: string;
}

/**
 * Plans the instances to run. The k-th type started (0-based) gets ports
 * from `basePort + 100*k`; its instance i (0-based) adds i. A type with a
 * count of 0 is not run and takes no port block; `release` runs once, with
 * the base port, and takes no block either. An unknown type in `only`
 * is a {@linkcode TendError} (exit status 1); a port above 65535 is a
 * {@linkcode UsageError} (the base port or the counts are too high).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseFormation, plan } from "./formation.ts";
 * const entries = [
 *   { name: "web", command: "serve", line: 1 },
 *   { name: "worker", command: "work", line: 2 },
 * ];
 * const instances = plan(entries, { formation: parseFormation("web=2,worker=2") });
 * assert.ok(instances.map((i) => i.port).join() === "5000,5001,5100,5101");
 * ```
 */
export function plan(
  entries: readonly ProcfileEntry[],
  options: PlanOptions = {},
): Instance[] {
  const byName = new Map(entries.map((e) => [e.name, e]));
  const names = options.only?.length
    ? [...new Set(options.only)]
    : entries.map((e) => e.name);
  for (const name of names) {
    if (!byName.has(name)) {
      throw new TendError({
        path: options.path,
        message: `unknown process type "${name}" (known: ${
          entries.map((e) => e.name).join(", ")
        })`,
      });
    }
  }
  const formation = options.formation ?? new Map<string, number>();
  const fallback = formation.get("all") ?? 1;
  const base = options.basePort ?? DEFAULT_PORT;
  const instances: Instance[] = [];
  let k = 0;
  for (const name of names) {
    // `release` runs once, alone, before the rest: it takes the base port
    // and no port block, so `web` keeps 5000 as under Heroku.
    const once = name === "release";
    const count = Math.min(
      formation.get(name) ?? fallback,
      once ? 1 : Infinity,
    );
    if (count === 0) continue;
    const entry = byName.get(name)!;
    if (once) {
      instances.push({
        type: name,
        index: 1,
        name: `${name}.1`,
        command: entry.command,
        port: base,
      });
      continue;
    }
    const last = base + 100 * k + count - 1;
    if (last > 65535) {
      // Else the process gets a PORT it can never bind, and fails obscurely.
      throw new UsageError(
        `${name}.${count} would get port ${last}, above 65535: use a lower base port than ${base}`,
      );
    }
    for (let i = 0; i < count; i++) {
      instances.push({
        type: name,
        index: i + 1,
        name: `${name}.${i + 1}`,
        command: entry.command,
        port: base + 100 * k + i,
      });
    }
    k++;
  }
  return instances;
}

/**
 * Parses a port value (flag or environment) into an integer 1..65535.
 * Throws a {@linkcode UsageError} naming `source` otherwise.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parsePort } from "./formation.ts";
 * assert.equal(parsePort("8000", "-p"), 8000);
 * ```
 */
export function parsePort(value: string, source: string): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    throw new UsageError(
      `bad port ${JSON.stringify(value)} from ${source}: expected 1-65535`,
    );
  }
  return n;
}
