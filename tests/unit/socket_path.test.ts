/**
 * Where control sockets go: the directory per user and environment, the
 * app's key, the socket names and their length, and the checks that refuse
 * a directory someone else could control.
 */
import assert from "node:assert/strict";
import {
  chmodSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { describe, it } from "node:test";
import {
  appKey,
  controlDir,
  ControlDirError,
  ensureControlDir,
  listSockets,
  SOCKET_PATH_MAX,
  socketPath,
} from "../../src/socket_path.ts";

const uid = process.getuid!();

function temp(): string {
  return mkdtempSync(join(tmpdir(), "tend-sock-"));
}

describe("controlDir", () => {
  it("is $XDG_RUNTIME_DIR/tend, else tend-UID in the temp dir", () => {
    assert.equal(
      controlDir({ XDG_RUNTIME_DIR: "/run/user/7" }, 7).path,
      "/run/user/7/tend",
    );
    assert.equal(controlDir({}, 7, "/var/tmp").path, "/var/tmp/tend-7");
    // A relative XDG_RUNTIME_DIR is invalid by the spec: ignored.
    assert.equal(
      controlDir({ XDG_RUNTIME_DIR: "run" }, 7, "/tmp").path,
      "/tmp/tend-7",
    );
  });

  it("falls back to /tmp when socket paths would be too long", () => {
    const long = "/" + "d".repeat(90);
    assert.equal(controlDir({ XDG_RUNTIME_DIR: long }, 7).path, "/tmp/tend-7");
    assert.equal(controlDir({}, 7, long).path, "/tmp/tend-7");
  });

  it("leaves room for every socket name under the limit", () => {
    const dir = controlDir({ XDG_RUNTIME_DIR: "/" + "d".repeat(64) }, 7);
    const path = socketPath(dir.path, "0123456789abcdef", 4294967295);
    assert.ok(new TextEncoder().encode(path).length <= SOCKET_PATH_MAX, path);
  });
});

describe("appKey", () => {
  it("is the same for the same app and differs by root or Procfile", () => {
    const a = appKey("/srv/a", "/srv/a/Procfile");
    assert.match(a, /^[0-9a-f]{16}$/);
    assert.equal(appKey("/srv/a", "/srv/a/Procfile"), a);
    assert.notEqual(appKey("/srv/b", "/srv/a/Procfile"), a);
    assert.notEqual(appKey("/srv/a", "/srv/a/Procfile.dev"), a);
  });

  it("sees a symlinked checkout as the same app", () => {
    const dir = temp();
    mkdirSync(join(dir, "app"));
    writeFileSync(join(dir, "app", "Procfile"), "web: x\n");
    symlinkSync(join(dir, "app"), join(dir, "link"));
    assert.equal(
      appKey(join(dir, "link"), join(dir, "link", "Procfile")),
      appKey(join(dir, "app"), join(dir, "app", "Procfile")),
    );
    rmSync(dir, { recursive: true });
  });
});

describe("listSockets", () => {
  it("finds the app's sockets only, by pid", () => {
    const dir = temp();
    const key = "0123456789abcdef";
    for (
      const name of [
        `${key}-20.sock`,
        `${key}-3.sock`,
        `fedcba9876543210-4.sock`,
        `${key}-x.sock`,
        `${key}-05.sock`,
        `${key}-9.sock.tmp`,
      ]
    ) writeFileSync(join(dir, name), "");
    assert.deepEqual(listSockets(dir, key).map((s) => s.pid), [3, 20]);
    rmSync(dir, { recursive: true });
  });
});

describe("ensureControlDir", () => {
  it("makes the directory 0700 and accepts it again", () => {
    const path = join(temp(), "tend");
    assert.equal(ensureControlDir({ path, uid }), true);
    assert.equal(statSync(path).mode & 0o777, 0o700);
    assert.equal(ensureControlDir({ path, uid }), true);
    assert.equal(ensureControlDir({ path: path + "-none", uid }, false), false);
  });

  it("refuses a directory open to the group or others", () => {
    const path = join(temp(), "tend");
    mkdirSync(path, { mode: 0o700 });
    for (const mode of [0o750, 0o705, 0o777]) {
      chmodSync(path, mode);
      assert.throws(
        () => ensureControlDir({ path, uid }),
        (e) =>
          e instanceof ControlDirError && e.unsafe &&
          /open to others/.test(e.message),
      );
    }
  });

  it("refuses a symlink and a file", () => {
    const dir = temp();
    mkdirSync(join(dir, "real"), { mode: 0o700 });
    symlinkSync(join(dir, "real"), join(dir, "link"));
    writeFileSync(join(dir, "file"), "");
    assert.throws(
      () => ensureControlDir({ path: join(dir, "link"), uid }),
      /is a symlink/,
    );
    assert.throws(
      () => ensureControlDir({ path: join(dir, "file"), uid }),
      /is not a directory/,
    );
  });

  it("refuses a directory another user owns", () => {
    const path = join(temp(), "tend");
    mkdirSync(path, { mode: 0o700 });
    if (uid === 0) chownSync(path, 12345, 12345);
    // As another user, the same directory belongs to someone else.
    const me = uid === 0 ? 0 : uid + 1;
    assert.throws(
      () => ensureControlDir({ path, uid: me }),
      (e) =>
        e instanceof ControlDirError && e.unsafe &&
        /belongs to uid \d+, not to you/.test(e.message),
    );
  });

  it("says when the directory cannot be made, as not unsafe", () => {
    const dir = temp();
    writeFileSync(join(dir, "file"), "");
    assert.throws(
      () => ensureControlDir({ path: join(dir, "file", "tend"), uid }),
      (e) =>
        e instanceof ControlDirError && !e.unsafe &&
        /cannot make the control directory/.test(e.message),
    );
  });
});
