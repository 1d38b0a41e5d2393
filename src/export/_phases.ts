/**
 * What the formats work from to carry the release phase, the start order
 * and readiness: which types wait for which, how deep each sits in that
 * order, and a probe as one POSIX `sh` check that engines without probes of
 * their own can run (systemd's `ExecStartPost=`, Compose's `healthcheck`,
 * runit's `check`). docs/export.md says what each engine makes of them.
 *
 * @module
 */
import { TendError } from "../errors.ts";
import { dependencies, findCycle, RELEASE } from "../order.ts";
import type { Probe } from "../probe.ts";
import { type ExportOptions, shellQuote } from "./_common.ts";

/** The release type's name: {@linkcode RELEASE}, for the formats. */
export { RELEASE };

/** How the exported types start; see {@linkcode phases}. */
export interface Phases {
  /** Whether a `release` type is among the instances. */
  readonly release: boolean;
  /**
   * Type to the types it waits for, among those exported: its declared
   * ones, then `release` when that runs. `release` itself waits for nothing.
   */
  readonly after: ReadonlyMap<string, readonly string[]>;
  /**
   * Type to its start rank: 0 for a type that waits for nothing, else one
   * more than the highest rank of what it waits for.
   */
  readonly rank: ReadonlyMap<string, number>;
  /** Type to its readiness probe; `release` has none (exit 0 is its "ready"). */
  readonly ready: ReadonlyMap<string, Probe>;
}

/**
 * The start order and probes of an export's types. A `release` type comes
 * before every other type, so what the Procfile says it comes after is
 * dropped (waiting for a type that waits for it could never end). A cycle in
 * `options.order` is a {@linkcode TendError}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { phases } from "./_phases.ts";
 * const mk = (type: string) => ({ type, index: 1, name: `${type}.1`, command: "x", port: 5000 });
 * const p = phases({
 *   app: "shop", appRoot: "/srv/shop", env: {},
 *   instances: [mk("release"), mk("web"), mk("worker")],
 *   order: new Map([["worker", ["web"]], ["release", ["web"]]]),
 *   ready: new Map([["web", { kind: "tcp" }], ["release", { kind: "tcp" }]]),
 * });
 * assert.deepEqual([...p.after], [["release", []], ["web", ["release"]], ["worker", ["web", "release"]]]);
 * assert.deepEqual([...p.rank], [["release", 0], ["web", 1], ["worker", 2]]);
 * assert.deepEqual([...p.ready.keys()], ["web"]);
 * ```
 */
export function phases(options: ExportOptions): Phases {
  const types = [...new Set(options.instances.map((i) => i.type))];
  const declared = new Map(
    [...options.order ?? []].filter(([type]) => type !== RELEASE),
  );
  const cycle = findCycle(declared);
  if (cycle) {
    throw new TendError({
      message: `start order has a cycle: ${cycle.join(" -> ")}`,
    });
  }
  const after = dependencies(declared, types);
  const rank = new Map<string, number>();
  // No cycle (checked above), so the recursion ends.
  const rankOf = (type: string): number => {
    let r = rank.get(type);
    if (r === undefined) {
      r = Math.max(-1, ...(after.get(type) ?? []).map(rankOf)) + 1;
      rank.set(type, r);
    }
    return r;
  };
  types.forEach(rankOf);
  const ready = new Map<string, Probe>();
  for (const type of types) {
    const probe = options.ready?.get(type);
    if (probe && type !== RELEASE) ready.set(type, probe);
  }
  return {
    release: types.includes(RELEASE),
    after,
    rank: new Map(types.map((t) => [t, rank.get(t)!])),
    ready,
  };
}

const _LOCAL_HOSTS = new Set(["127.0.0.1", "localhost", "::1"]);

/**
 * Whether a `tcp` probe looks at the process's own machine (no host, or a
 * loopback name), where its port can be checked locally.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isLocalTcp } from "./_phases.ts";
 * assert.equal(isLocalTcp({ kind: "tcp", port: 5432 }), true);
 * assert.equal(isLocalTcp({ kind: "tcp", host: "db", port: 5432 }), false);
 * ```
 */
export function isLocalTcp(probe: Probe & { kind: "tcp" }): boolean {
  return probe.host === undefined || _LOCAL_HOSTS.has(probe.host);
}

/**
 * A POSIX `sh` command that exits 0 when `probe` passes, trying once and
 * printing nothing; undefined for a `log` probe, which only the process's
 * own supervisor can watch. `port` is the instance's `$PORT`.
 *
 * - `tcp` on this machine: a listening socket on the port in
 *   `/proc/net/tcp` or `tcp6` (Linux; needs only `grep`, as images often
 *   lack `nc` and `bash`), else `nc -z`, else bash's `/dev/tcp`.
 * - `tcp` on another host: `nc -z`, else bash's `/dev/tcp`.
 * - `http`: `curl -f`, else `wget`, on `http://127.0.0.1:PORT/PATH`
 *   (2xx or 3xx, like tend's probe; wget follows a redirect).
 * - `exec`: `sh -c COMMAND`, in a shell of its own so that an `exit` in it
 *   ends only the check.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { probeCheck } from "./_phases.ts";
 * assert.match(probeCheck({ kind: "tcp" }, 6000)!, /^grep -Eq ':1770 /);
 * assert.match(probeCheck({ kind: "http", path: "/up" }, 6000)!, /'http:\/\/127\.0\.0\.1:6000\/up'/);
 * assert.equal(probeCheck({ kind: "exec", command: "test -e ok" }, 6000), "sh -c 'test -e ok' >/dev/null 2>&1");
 * assert.equal(probeCheck({ kind: "log", pattern: "up" }, 6000), undefined);
 * ```
 */
export function probeCheck(probe: Probe, port: number): string | undefined {
  switch (probe.kind) {
    case "tcp": {
      const host = probe.host ?? "127.0.0.1";
      const target = probe.port ?? port;
      const q = `${shellQuote(host)} ${target}`;
      // $1 and $2, not text pasted into bash's script: the host is the
      // user's and must not be read as bash syntax.
      const remote = `nc -z -w 5 ${q} >/dev/null 2>&1 || ` +
        `bash -c ': </dev/tcp/$1/$2' sh ${q} >/dev/null 2>&1`;
      if (!isLocalTcp(probe)) return remote;
      // A LISTEN (0A) line whose local port is the target: uppercase hex.
      const hex = target.toString(16).toUpperCase().padStart(4, "0");
      return `grep -Eq ':${hex} [0-9A-F]+:0000 0A' /proc/net/tcp /proc/net/tcp6 2>/dev/null || ${remote}`;
    }
    case "http": {
      const url = shellQuote(`http://127.0.0.1:${port}${probe.path}`);
      return `curl -fs -m 5 -o /dev/null ${url} >/dev/null 2>&1 || ` +
        `wget -q -T 5 -O /dev/null ${url} >/dev/null 2>&1`;
    }
    case "exec":
      return `sh -c ${shellQuote(probe.command)} >/dev/null 2>&1`;
    case "log":
      return undefined;
  }
}

/**
 * What a probe checks, in words safe for a comment in any format (no user
 * text: a path or command could hold a newline or a comment's end).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { probeSummary } from "./_phases.ts";
 * assert.equal(probeSummary({ kind: "tcp" }, 6000), "tcp probe on port 6000");
 * assert.equal(probeSummary({ kind: "log", pattern: "x" }, 6000), "log probe");
 * ```
 */
export function probeSummary(probe: Probe, port: number): string {
  switch (probe.kind) {
    case "tcp":
      return probe.host === undefined
        ? `tcp probe on port ${probe.port ?? port}`
        : "tcp probe";
    case "http":
      return `http probe on port ${port}`;
    default:
      return `${probe.kind} probe`;
  }
}
