import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  parseFormation,
  plan,
  type ProcfileEntry,
  TendError,
  UsageError,
} from "../../mod.ts";
import { parsePort } from "../../src/formation.ts";

const entries: ProcfileEntry[] = [
  { name: "web", command: "serve", line: 1 },
  { name: "worker", command: "work", line: 2 },
  { name: "clock", command: "tick", line: 3 },
];
const ports = (spec: string, only: string[] = [], basePort?: number) =>
  plan(entries, {
    formation: parseFormation(spec, ["web", "worker", "clock"]),
    only,
    basePort,
  })
    .map((i) => `${i.name}=${i.port}`).join(" ");

describe("parseFormation", () => {
  it("reads TYPE=N lists with spaces and all=N", () => {
    const f = parseFormation(" web=2 , all=3,worker = 0");
    assert.deepEqual([...f], [["web", 2], ["all", 3], ["worker", 0]]);
  });

  it("rejects malformed entries and unknown types with a usage error", () => {
    for (
      const bad of ["web", "web=", "web=-1", "web=x", "=2", "web=1.5", "we.b=1"]
    ) {
      assert.throws(() => parseFormation(bad, ["web"]), UsageError, bad);
    }
    assert.throws(
      () => parseFormation("db=1", ["web"]),
      /unknown process type "db" in formation/,
    );
  });
});

describe("plan", () => {
  it("gives each type a block of 100 ports in Procfile order", () => {
    assert.equal(ports(""), "web.1=5000 worker.1=5100 clock.1=5200");
  });

  it("numbers instances within a type's block", () => {
    assert.equal(
      ports("web=2,worker=2,clock=0"),
      "web.1=5000 web.2=5001 worker.1=5100 worker.2=5101",
    );
  });

  it("uses all=N as the default and skips types set to 0 without a port block", () => {
    assert.equal(
      ports("all=2,web=0"),
      "worker.1=5000 worker.2=5001 clock.1=5100 clock.2=5101",
    );
  });

  it("follows the order of types named on the command line, and the base port", () => {
    assert.equal(ports("", ["clock", "web"], 8000), "clock.1=8000 web.1=8100");
  });

  it("sets type, 1-based index, name and command", () => {
    const [first] = plan(entries, { only: ["worker"] });
    assert.deepEqual(first, {
      type: "worker",
      index: 1,
      name: "worker.1",
      command: "work",
      port: 5000,
    });
  });

  it("rejects an unknown type with exit status 1", () => {
    assert.throws(
      () => plan(entries, { only: ["db"], path: "Procfile" }),
      (e: unknown) => {
        assert.ok(e instanceof TendError && !(e instanceof UsageError));
        assert.equal(
          e.message,
          'Procfile: unknown process type "db" (known: web, worker, clock)',
        );
        return true;
      },
    );
  });
});

describe("parsePort", () => {
  it("accepts 1-65535 and rejects the rest", () => {
    assert.equal(parsePort("8080", "-p"), 8080);
    for (const bad of ["0", "65536", "abc", "-1", "", "80.5"]) {
      assert.throws(() => parsePort(bad, "-p"), UsageError);
    }
  });
});
