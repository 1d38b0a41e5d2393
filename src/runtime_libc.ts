/**
 * The libc calls tend needs, reached through the runtime's FFI: `prctl` to
 * become a child subreaper and `waitpid` to reap adopted orphans (see
 * `_reaper.ts`), and `localtime_r` for the time of output prefixes on Bun
 * (JavaScriptCore's first local-time call costs milliseconds at start-up).
 * Deno uses `Deno.dlopen` (with `-A`), Bun and its compiled binaries
 * `bun:ffi`; Node has no FFI, and gets `undefined`.
 *
 * @module
 */
import process from "node:process";
import { denoNamespace } from "./runtime.ts";

/** A loaded libc with the symbols tend uses; `W` is a 64-bit word. */
interface _Library<W> {
  symbols: {
    prctl(option: number, a: W, b: W, c: W, d: W): number;
    waitpid(pid: number, status: Int32Array, options: number): number;
    localtime_r(time: BigInt64Array, tm: Int32Array): unknown;
  };
}

/** The part of the `Deno` namespace this module uses. */
interface _DenoFfi {
  dlopen(path: string, symbols: Record<string, unknown>): _Library<bigint>;
  permissions: { querySync(d: { name: "ffi" }): { state: string } };
}

/** The libc calls tend uses to look after processes that leave its groups. */
export interface Libc {
  /**
   * `prctl(PR_SET_CHILD_SUBREAPER, 1)`: orphans below tend are reparented
   * to tend instead of to init, so they stay in its tree and their zombies
   * are its to reap. True when the kernel accepted it.
   */
  setChildSubreaper(): boolean;
  /**
   * `waitpid(pid, &status, WNOHANG)` for one pid: true when it was a zombie
   * and is now reaped. Only for adopted orphans: the runtime reaps the
   * children it spawned and would miss their exit otherwise, which is also
   * why tend never waits for any child (-1).
   */
  reap(pid: number): boolean;
  /**
   * `localtime_r`: the local time of day at `seconds` since the epoch, as
   * hours, minutes and seconds (the TZ variable, else /etc/localtime).
   */
  localTime(seconds: number): [number, number, number];
}

const _PR_SET_CHILD_SUBREAPER = 36;
const _WNOHANG = 1;
const _LIBC = "libc.so.6";
const _SYMBOLS = {
  prctl: { types: ["i32", "u64", "u64", "u64", "u64"], result: "i32" },
  waitpid: { types: ["i32", "buffer", "i32"], result: "i32" },
  localtime_r: { types: ["buffer", "buffer"], result: "pointer" },
};

let _libc: { value: Libc | undefined } | undefined;

/**
 * The libc calls, or undefined where the runtime has no FFI (Node), the
 * platform is not Linux, FFI is not permitted (Deno without `-A`), or
 * there is no `libc.so.6` (musl). Loaded once.
 *
 * @example
 * ```ts
 * import { libc } from "./runtime_libc.ts";
 * const c = libc();
 * if (c?.setChildSubreaper()) {
 *   // orphans below this process are now reparented to it
 * }
 * ```
 */
export function libc(): Libc | undefined {
  _libc ??= { value: _loadLibc() };
  return _libc.value;
}

function _loadLibc(): Libc | undefined {
  if (process.platform !== "linux") return undefined;
  const status = new Int32Array(1);
  // time_t, and struct tm: tm_sec, tm_min, tm_hour first, as ints.
  const time = new BigInt64Array(1);
  const tm = new Int32Array(16);
  const localTime = (
    lib: _Library<unknown>,
    seconds: number,
  ): [number, number, number] => {
    time[0] = BigInt(Math.floor(seconds));
    lib.symbols.localtime_r(time, tm);
    return [tm[2], tm[1], tm[0]];
  };
  try {
    const deno = denoNamespace<_DenoFfi>();
    if (deno) {
      // Without the permission Deno would prompt on a terminal, or throw.
      if (deno.permissions.querySync({ name: "ffi" }).state !== "granted") {
        return undefined;
      }
      const lib = deno.dlopen(
        _LIBC,
        Object.fromEntries(
          Object.entries(_SYMBOLS).map((
            [name, s],
          ) => [name, { parameters: s.types, result: s.result }]),
        ),
      );
      return {
        setChildSubreaper: () =>
          lib.symbols.prctl(_PR_SET_CHILD_SUBREAPER, 1n, 0n, 0n, 0n) === 0,
        reap: (pid) => lib.symbols.waitpid(pid, status, _WNOHANG) === pid,
        localTime: (seconds) => localTime(lib, seconds),
      };
    }
    if ((globalThis as { Bun?: unknown }).Bun) {
      // Reached without an import of "bun:ffi", which Deno cannot resolve.
      const ffi = process.getBuiltinModule?.("bun:ffi") as
        | { dlopen(path: string, s: Record<string, unknown>): _Library<number> }
        | undefined;
      if (!ffi) return undefined;
      const lib = ffi.dlopen(
        _LIBC,
        Object.fromEntries(
          Object.entries(_SYMBOLS).map((
            [name, s],
          ) => [name, {
            // A typed array passed for a "ptr" argument goes as its address.
            args: s.types.map((t) => t === "buffer" ? "ptr" : t),
            returns: s.result === "pointer" ? "ptr" : s.result,
          }]),
        ),
      );
      return {
        setChildSubreaper: () =>
          lib.symbols.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) === 0,
        reap: (pid) => lib.symbols.waitpid(pid, status, _WNOHANG) === pid,
        localTime: (seconds) => localTime(lib, seconds),
      };
    }
  } catch {
    // No libc.so.6 (musl), or the FFI refused: do without.
  }
  return undefined;
}

/**
 * The local time of day at `ms` (milliseconds since the epoch) as hours,
 * minutes and seconds, for the prefix of output lines.
 *
 * On Bun it asks libc's `localtime_r` through the FFI (loaded anyway by
 * `tend start`, for the subreaper): JavaScriptCore's first local-time
 * call (`getHours`) sets up ICU's time zone, which cost 3.7-5 ms and
 * 3.6 MB of RSS in a compiled binary, on the path to the first line of
 * output. Deno's and Node's V8 do that in well under a millisecond, so
 * they, and Bun without the FFI, use `Date`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { localTime } from "./runtime_libc.ts";
 * const d = new Date(2026, 0, 2, 3, 4, 5);
 * assert.deepEqual(localTime(d.getTime()), [3, 4, 5]);
 * ```
 */
export function localTime(ms: number): [number, number, number] {
  if ((globalThis as { Bun?: unknown }).Bun) {
    const c = libc();
    if (c) return c.localTime(ms / 1000);
  }
  const d = new Date(ms);
  return [d.getHours(), d.getMinutes(), d.getSeconds()];
}
