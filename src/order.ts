/**
 * Start order: which process types wait for which. A type starts once
 * every type it comes after is ready, and at shutdown it is stopped before
 * them. A `release` type, when the Procfile has one, comes before every
 * other type.
 *
 * @module
 */
import type { Problem } from "./errors.ts";
import { parseProbe, type Probe } from "./probe.ts";
import type { ProcfileDirective, ProcfileEntry } from "./procfile.ts";

/** Process type to the types it starts after. */
export type Order = ReadonlyMap<string, readonly string[]>;

/** The type Heroku runs once, alone, before a new version starts. */
export const RELEASE = "release";

/**
 * Parses `--after` values: `worker=web` and `worker=web,db,clock=web` (a
 * name without `=` is one more dependency of the type before it). Throws
 * an Error saying what is wrong.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseAfter } from "./order.ts";
 * assert.deepEqual(
 *   [...parseAfter(["worker=web,db", "clock=web"])],
 *   [["worker", ["web", "db"]], ["clock", ["web"]]],
 * );
 * ```
 */
export function parseAfter(values: readonly string[]): Map<string, string[]> {
  const order = new Map<string, string[]>();
  for (const value of values) {
    let type: string | undefined;
    for (const raw of value.split(",")) {
      const item = raw.trim();
      if (item === "") continue;
      const eq = item.indexOf("=");
      const dep = eq === -1 ? item : item.slice(eq + 1).trim();
      if (eq !== -1) type = item.slice(0, eq).trim();
      if (!type || !_isName(type) || !_isName(dep)) {
        throw new Error(
          `bad --after ${
            JSON.stringify(value)
          }: expected TYPE=DEP[,DEP...], e.g. worker=web`,
        );
      }
      const deps = order.get(type) ?? [];
      if (!deps.includes(dep)) deps.push(dep);
      order.set(type, deps);
    }
  }
  return order;
}

function _isName(text: string): boolean {
  return /^[A-Za-z0-9_-]+$/.test(text);
}

/**
 * A cycle among `order`'s types as a path (`a -> b -> a`), or undefined.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { findCycle } from "./order.ts";
 * assert.deepEqual(findCycle(new Map([["a", ["b"]], ["b", ["a"]]])), ["a", "b", "a"]);
 * assert.equal(findCycle(new Map([["a", ["b"]]])), undefined);
 * ```
 */
export function findCycle(order: Order): string[] | undefined {
  const state = new Map<string, "open" | "closed">();
  const path: string[] = [];
  const visit = (type: string): string[] | undefined => {
    if (state.get(type) === "closed") return undefined;
    if (state.get(type) === "open") {
      return [...path.slice(path.indexOf(type)), type];
    }
    state.set(type, "open");
    path.push(type);
    for (const dep of order.get(type) ?? []) {
      const cycle = visit(dep);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(type, "closed");
    return undefined;
  };
  for (const type of order.keys()) {
    const cycle = visit(type);
    if (cycle) return cycle;
  }
  return undefined;
}

/**
 * What each type waits for among `types` (the ones that run): its
 * declared dependencies, and `release` for every other type when it runs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { dependencies } from "./order.ts";
 * const deps = dependencies(new Map([["worker", ["web", "db"]]]), ["release", "web", "worker"]);
 * assert.deepEqual(deps.get("worker"), ["web", "release"]);
 * assert.deepEqual(deps.get("web"), ["release"]);
 * assert.deepEqual(deps.get("release"), []);
 * ```
 */
export function dependencies(
  order: Order,
  types: readonly string[],
): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const type of types) {
    const deps = (order.get(type) ?? []).filter((d) => types.includes(d));
    if (
      type !== RELEASE && types.includes(RELEASE) && !deps.includes(RELEASE)
    ) {
      deps.push(RELEASE);
    }
    out.set(type, deps);
  }
  return out;
}

/**
 * Whether `type` may be stopped now at shutdown: nothing that runs after it
 * is still running. `running` says whether a type still has a live process.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mayStop } from "./order.ts";
 * const deps = new Map([["worker", ["web"]], ["web", []]]);
 * assert.equal(mayStop("web", deps, (t) => t === "worker"), false);
 * assert.equal(mayStop("worker", deps, () => true), true);
 * ```
 */
export function mayStop(
  type: string,
  deps: ReadonlyMap<string, readonly string[]>,
  running: (type: string) => boolean,
): boolean {
  for (const [other, list] of deps) {
    if (other !== type && list.includes(type) && running(other)) return false;
  }
  return true;
}

/** The start order and probes of a project, from its Procfile and flags. */
export interface Readiness {
  /** Type to the types it starts after, as declared. */
  order: Map<string, string[]>;
  /** Type to its readiness probe. */
  ready: Map<string, Probe>;
}

/**
 * Reads the start order and readiness probes from the Procfile's `#tend`
 * lines and the `--after` and `--ready` values (which win over the
 * Procfile's for the types they name). Every problem goes into `problems`
 * with its place: an unknown type or key, a bad probe, a cycle. A bad flag
 * value throws an Error.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveReadiness } from "./order.ts";
 * const problems: { message: string }[] = [];
 * const entries = [{ name: "web", command: "serve", line: 1 }, { name: "worker", command: "work", line: 2 }];
 * const r = resolveReadiness({
 *   entries,
 *   directives: [{ type: "web", key: "ready", value: "tcp", line: 3, column: 11 }],
 *   after: ["worker=web"],
 *   path: "Procfile",
 * }, problems);
 * assert.deepEqual([...r.order], [["worker", ["web"]]]);
 * assert.deepEqual(r.ready.get("web"), { kind: "tcp" });
 * assert.deepEqual(problems, []);
 * ```
 */
export function resolveReadiness(
  input: {
    entries: readonly ProcfileEntry[];
    directives: readonly ProcfileDirective[];
    after?: readonly string[];
    ready?: readonly string[];
    path?: string;
  },
  problems: Problem[],
): Readiness {
  const { entries, path } = input;
  const known = entries.map((e) => e.name);
  const order = new Map<string, string[]>();
  const ready = new Map<string, Probe>();
  const places = new Map<string, { line: number; column: number }>();
  const unknown = (type: string, where: string) =>
    `unknown process type "${type}" in ${where} (known: ${known.join(", ")})`;
  for (const d of input.directives) {
    const place = { path, line: d.line, column: d.column };
    if (!known.includes(d.type)) {
      problems.push({ ...place, message: unknown(d.type, `"#tend"`) });
    } else if (d.key === "ready") {
      try {
        ready.set(d.type, parseProbe(d.value));
      } catch (error) {
        problems.push({ ...place, message: (error as Error).message });
      }
    } else if (d.key === "after") {
      const deps = d.value.split(",").map((v) => v.trim()).filter(Boolean);
      const bad = deps.find((dep) => !known.includes(dep));
      if (bad !== undefined || deps.length === 0) {
        problems.push({
          ...place,
          message: bad === undefined
            ? `"after" needs a process type, e.g. after=web`
            : unknown(bad, `"after"`),
        });
      } else {
        order.set(d.type, [...new Set([...order.get(d.type) ?? [], ...deps])]);
        places.set(d.type, { line: d.line, column: d.column });
      }
    } else {
      problems.push({
        ...place,
        message: `unknown setting "${d.key}" (settings: ready, after)`,
      });
    }
  }
  for (const [type, deps] of parseAfter(input.after ?? [])) {
    for (const name of [type, ...deps]) {
      if (!known.includes(name)) {
        problems.push({ path, message: unknown(name, "--after") });
      }
    }
    order.set(type, deps);
    places.delete(type);
  }
  for (const value of input.ready ?? []) {
    const eq = value.indexOf("=");
    const type = value.slice(0, eq);
    if (eq <= 0) {
      throw new Error(
        `bad --ready ${
          JSON.stringify(value)
        }: expected TYPE=PROBE, e.g. web=tcp`,
      );
    }
    if (!known.includes(type)) {
      problems.push({ path, message: unknown(type, "--ready") });
      continue;
    }
    ready.set(type, parseProbe(value.slice(eq + 1)));
  }
  // release runs before everything: waiting for another type would wait
  // for itself, since every other type waits for release.
  if (order.has(RELEASE) && known.includes(RELEASE)) {
    problems.push({
      path,
      ...places.get(RELEASE),
      message: `"${RELEASE}" runs first: it cannot start after ${
        order.get(RELEASE)!.join(", ")
      }`,
    });
    order.delete(RELEASE);
  }
  const cycle = findCycle(order);
  if (cycle) {
    problems.push({
      path,
      ...places.get(cycle[0]),
      message: `start order has a cycle: ${cycle.join(" -> ")}`,
    });
  }
  return { order, ready };
}
