/**
 * Where a running tend listens: a unix socket in a directory only its user
 * can reach, named after the app so that apps never meet, and after the
 * tend process so that two tends of one app (`web` in one terminal,
 * `worker` in another) each have their own.
 *
 * The directory is `$XDG_RUNTIME_DIR/tend` (a per-user tmpfs that the
 * login session owns), else `tend-UID` in the system temp dir. It is made
 * with mode 0700 and checked before every use: a directory (or symlink)
 * that another user owns, or that its group or others can enter, is
 * refused, since whoever controls it could stand in for tend. Sockets are
 * `KEY-PID.sock`, where KEY is a hash of the app root and the Procfile.
 *
 * @module
 */
import { lstatSync, mkdirSync, readdirSync, realpathSync } from "node:fs";
import { tmpdir } from "node:os";
import { isAbsolute, join } from "node:path";
import process from "node:process";
import { TendError } from "./errors.ts";

/**
 * The longest socket path, in bytes: `sun_path` holds 108 bytes on Linux
 * and 104 on macOS, with the terminating NUL.
 */
export const SOCKET_PATH_MAX = 103;

/** How a socket file is named: `KEY-PID.sock`. */
const _NAME = /^([0-9a-f]{16})-([1-9][0-9]{0,9})\.sock$/;

/** The user's control directory and why it is there. */
export interface ControlDir {
  /** The directory's path. */
  path: string;
  /** The uid that must own it. */
  uid: number;
}

/**
 * The control directory for this user and environment (it is not made or
 * checked here): `$XDG_RUNTIME_DIR/tend` when that is an absolute path,
 * else `TMPDIR/tend-UID`; `/tmp/tend-UID` when either would make socket
 * paths too long.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { controlDir } from "./socket_path.ts";
 * const dir = controlDir({ XDG_RUNTIME_DIR: "/run/user/1000" }, 1000);
 * assert.equal(dir.path, "/run/user/1000/tend");
 * assert.equal(controlDir({}, 1000, "/var/tmp").path, "/var/tmp/tend-1000");
 * ```
 */
export function controlDir(
  env: Readonly<Record<string, string | undefined>> = process.env,
  uid: number = _uid(),
  temp: string = tmpdir(),
): ControlDir {
  const runtime = env.XDG_RUNTIME_DIR;
  const path = runtime && isAbsolute(runtime)
    ? join(runtime, "tend")
    : join(temp, `tend-${uid}`);
  // Room for "/KEY-PID.sock" with a 10-digit pid.
  const fits = new TextEncoder().encode(path).length + 33 <= SOCKET_PATH_MAX;
  return { path: fits ? path : join("/tmp", `tend-${uid}`), uid };
}

/**
 * The key of an app: 16 hex digits of the 64-bit FNV-1a hash of its root
 * and its Procfile, each as its real path when it exists, so that a
 * symlinked checkout is the same app. Not a cryptographic hash: the key only
 * tells one user's apps apart, in a directory nobody else can enter, and
 * node:crypto would cost `tend start` 8-12 ms of loading on Bun.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { appKey } from "./socket_path.ts";
 * assert.match(appKey("/srv/app", "/srv/app/Procfile"), /^[0-9a-f]{16}$/);
 * assert.notEqual(
 *   appKey("/srv/app", "/srv/app/Procfile"),
 *   appKey("/srv/app", "/srv/app/Procfile.dev"),
 * );
 * ```
 */
export function appKey(appRoot: string, procfile: string): string {
  const text = `${_real(appRoot)}\0${_real(procfile)}`;
  let hash = _FNV_OFFSET;
  for (const byte of new TextEncoder().encode(text)) {
    hash = BigInt.asUintN(64, (hash ^ BigInt(byte)) * _FNV_PRIME);
  }
  return hash.toString(16).padStart(16, "0");
}

const _FNV_OFFSET = 0xcbf29ce484222325n;
const _FNV_PRIME = 0x100000001b3n;

/**
 * The socket of the tend with pid `pid` for the app `key` in `dir`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { socketPath } from "./socket_path.ts";
 * assert.equal(
 *   socketPath("/run/user/1000/tend", "0123456789abcdef", 4242),
 *   "/run/user/1000/tend/0123456789abcdef-4242.sock",
 * );
 * ```
 */
export function socketPath(dir: string, key: string, pid: number): string {
  return join(dir, `${key}-${pid}.sock`);
}

/** A socket of an app found in the control directory. */
export interface FoundSocket {
  /** Its path. */
  path: string;
  /** The pid of the tend that made it. */
  pid: number;
}

/**
 * The sockets of app `key` in `dir`, oldest pid first; none when the
 * directory does not exist.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { listSockets } from "./socket_path.ts";
 * assert.deepEqual(listSockets("/nonexistent/tend", "0123456789abcdef"), []);
 * ```
 */
export function listSockets(dir: string, key: string): FoundSocket[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const found: FoundSocket[] = [];
  for (const name of names) {
    const match = _NAME.exec(name);
    if (match && match[1] === key) {
      found.push({ path: join(dir, name), pid: Number(match[2]) });
    }
  }
  return found.sort((a, b) => a.pid - b.pid);
}

/**
 * Why the control directory cannot be used: `unsafe` when it exists but
 * someone else could control it, else it could not be made or read.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ControlDirError } from "./socket_path.ts";
 * const error = new ControlDirError("/tmp/tend-1000", "a symlink", true);
 * assert.equal(error.message, "/tmp/tend-1000: a symlink");
 * assert.equal(error.exitCode, 1);
 * ```
 */
export class ControlDirError extends TendError {
  /** True when the directory is another user's, a symlink, or open to others. */
  readonly unsafe: boolean;

  /** Makes the error for `path`. */
  constructor(path: string, message: string, unsafe: boolean) {
    super({ path, message });
    this.name = "ControlDirError";
    this.unsafe = unsafe;
  }
}

/**
 * Makes the control directory if needed (mode 0700) and checks it: a real
 * directory (not a symlink), owned by `dir.uid`, that no group or other
 * user can enter. Throws a {@linkcode ControlDirError} that says which and
 * what to do; `create: false` only checks a directory that exists and
 * returns false when there is none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { chmodSync, mkdtempSync, statSync } from "node:fs";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import process from "node:process";
 * import { ensureControlDir } from "./socket_path.ts";
 * const path = join(mkdtempSync(join(tmpdir(), "run-")), "tend");
 * const uid = process.getuid!();
 * assert.equal(ensureControlDir({ path, uid }), true);
 * assert.equal(statSync(path).mode & 0o777, 0o700);
 * chmodSync(path, 0o755);
 * assert.throws(() => ensureControlDir({ path, uid }), /open to others \(mode 0755\)/);
 * ```
 */
export function ensureControlDir(dir: ControlDir, create = true): boolean {
  const fail = (message: string, unsafe: boolean): never => {
    throw new ControlDirError(dir.path, message, unsafe);
  };
  if (create) {
    try {
      mkdirSync(dir.path, { mode: 0o700 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") {
        fail(`cannot make the control directory: ${_text(error)}`, false);
      }
    }
  }
  let stat;
  try {
    stat = lstatSync(dir.path);
  } catch (error) {
    if (!create && (error as NodeJS.ErrnoException).code === "ENOENT") {
      return false;
    }
    return fail(`cannot read the control directory: ${_text(error)}`, false);
  }
  const fix =
    "remove it, or set XDG_RUNTIME_DIR to a directory of yours (mode 0700)";
  if (!stat.isDirectory()) {
    const what = stat.isSymbolicLink() ? "a symlink" : "not a directory";
    fail(`the control directory is ${what}; ${fix}`, true);
  }
  if (stat.uid !== dir.uid) {
    fail(
      `the control directory belongs to uid ${stat.uid}, not to you (uid ${dir.uid}); ${fix}`,
      true,
    );
  }
  if ((stat.mode & 0o077) !== 0) {
    const mode = (stat.mode & 0o777).toString(8).padStart(4, "0");
    fail(
      `the control directory is open to others (mode ${mode}); chmod 700 it, or ${fix}`,
      true,
    );
  }
  return true;
}

function _text(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The real path of `path`, or `path` when it does not exist. */
function _real(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

function _uid(): number {
  return process.getuid?.() ?? 0;
}
