/**
 * The control protocol's request reader and parser, by example and by
 * fuzzing: any bytes give a request or a ControlError with a known code,
 * never another error, never a hang; a request over the cap is refused
 * before it is held.
 */
import assert from "node:assert/strict";
import process from "node:process";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  ControlError,
  type ErrorCode,
  logMessage,
  MAX_REQUEST,
  MAX_TARGETS,
  parseRequest,
  RequestReader,
} from "../../src/control_protocol.ts";

const SOAK = Math.max(1, Math.floor(Number(process.env.TEND_SOAK ?? "1")) || 1);
const RUNS = 1000 * SOAK;
const CODES: readonly ErrorCode[] = [
  "bad-request",
  "unsupported-version",
  "unknown-command",
];

const enc = (s: string) => new TextEncoder().encode(s);

/** The request, or the ControlError; anything else fails. */
function outcome(line: string) {
  const started = performance.now();
  try {
    return parseRequest(line);
  } catch (error) {
    if (!(error instanceof ControlError)) {
      throw new Error(`threw ${String(error)}`, { cause: error });
    }
    assert.ok(CODES.includes(error.code), error.code);
    assert.ok(error.message.length > 0 && error.message.length < 300);
    assert.ok(!error.message.includes("\n"));
    return error;
  } finally {
    assert.ok(performance.now() - started < 2000, "hang");
  }
}

describe("parseRequest", () => {
  it("reads each command with its fields, v absent or 1", () => {
    assert.deepEqual(parseRequest('{"cmd":"status"}'), { v: 1, cmd: "status" });
    assert.deepEqual(parseRequest('{"v":1,"cmd":"stop","target":"web.1"}'), {
      v: 1,
      cmd: "stop",
      target: "web.1",
    });
    assert.deepEqual(parseRequest('{"cmd":"logs"}'), {
      v: 1,
      cmd: "logs",
      targets: [],
      follow: false,
      lines: 1000,
    });
    assert.deepEqual(
      parseRequest(
        '{"cmd":"logs","targets":["web"],"follow":true,"lines":5000,"x":1}',
      ),
      { v: 1, cmd: "logs", targets: ["web"], follow: true, lines: 1000 },
    );
  });

  it("refuses what is not a request, with the code docs/control.md names", () => {
    const cases: [string, ErrorCode][] = [
      ["", "bad-request"],
      ["{", "bad-request"],
      ["[]", "bad-request"],
      ["null", "bad-request"],
      ['"status"', "bad-request"],
      ['{"cmd":1}', "bad-request"],
      ['{"v":2,"cmd":"status"}', "unsupported-version"],
      ['{"v":"1","cmd":"status"}', "unsupported-version"],
      ['{"cmd":"reboot"}', "unknown-command"],
      ['{"cmd":"__proto__"}', "unknown-command"],
      ['{"cmd":"restart"}', "bad-request"],
      ['{"cmd":"restart","target":""}', "bad-request"],
      ['{"cmd":"restart","target":["web"]}', "bad-request"],
      [`{"cmd":"stop","target":"${"x".repeat(257)}"}`, "bad-request"],
      ['{"cmd":"logs","targets":"web"}', "bad-request"],
      ['{"cmd":"logs","targets":[1]}', "bad-request"],
      ['{"cmd":"logs","follow":"yes"}', "bad-request"],
      ['{"cmd":"logs","lines":-1}', "bad-request"],
      ['{"cmd":"logs","lines":1.5}', "bad-request"],
      [
        `{"cmd":"logs","targets":${
          JSON.stringify(Array(MAX_TARGETS + 1).fill("a"))
        }}`,
        "bad-request",
      ],
    ];
    for (const [line, code] of cases) {
      assert.throws(() => parseRequest(line), { code }, line);
    }
  });

  it("fuzz: random text gives a request or a ControlError", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (line) => {
        outcome(line);
      }),
      { numRuns: RUNS },
    );
  });

  it("fuzz: random JSON values and mutated requests", () => {
    const field = fc.oneof(
      fc.constantFrom("cmd", "v", "target", "targets", "follow", "lines"),
      fc.string({ maxLength: 8 }),
    );
    const value = fc.oneof(
      fc.constantFrom("status", "restart", "stop", "logs", "web", "web.1", 1),
      fc.jsonValue({ maxDepth: 2 }),
    );
    fc.assert(
      fc.property(fc.dictionary(field, value), (object) => {
        const result = outcome(JSON.stringify(object));
        if (!(result instanceof ControlError)) {
          assert.equal(result.v, 1);
          assert.equal(result.cmd, object.cmd);
        }
      }),
      { numRuns: RUNS },
    );
  });
});

describe("RequestReader", () => {
  it("returns the first line, whatever the chunks, and drops a trailing CR", () => {
    const reader = new RequestReader();
    for (const part of ['{"cmd"', ':"sta', 'tus"}\r']) {
      assert.equal(reader.push(enc(part)), undefined);
    }
    assert.equal(reader.push(enc("\nignored")), '{"cmd":"status"}');
  });

  it("takes what came as the request when the client closes without a newline", () => {
    const reader = new RequestReader();
    reader.push(enc('{"cmd":"status"}'));
    assert.equal(reader.end(), '{"cmd":"status"}');
    assert.equal(new RequestReader().end(), undefined);
  });

  it("refuses a line over the cap without holding it", () => {
    const reader = new RequestReader();
    const block = new Uint8Array(16 * 1024).fill(0x61);
    let got: string | undefined;
    let pushed = 0;
    while (got === undefined) {
      got = reader.push(block);
      pushed += block.length;
    }
    assert.equal(got, "too-large");
    assert.ok(pushed <= MAX_REQUEST + block.length);
    // Exactly at the cap is still a request.
    const exact = new RequestReader();
    const line = new Uint8Array(MAX_REQUEST + 1).fill(0x61);
    line[MAX_REQUEST] = 0x0a;
    assert.equal(exact.push(line)?.length, MAX_REQUEST);
  });
});

describe("logMessage", () => {
  it("gives a line as text, with its exact bytes when they are not UTF-8", () => {
    assert.deepEqual(
      logMessage({ name: "web.1", time: 1, seq: 1, bytes: enc("héllo") }),
      { name: "web.1", time: 1, line: "héllo" },
    );
    // A real U+FFFD is text, not a bad byte.
    assert.deepEqual(
      logMessage({ name: "a", time: 1, seq: 1, bytes: enc("\ufffd") }),
      { name: "a", time: 1, line: "\ufffd" },
    );
    assert.deepEqual(
      logMessage({
        event: { event: "started", name: "web.1", pid: 3 },
        text: "web.1 started (pid=3)",
        time: 2,
        seq: 2,
      }),
      {
        time: 2,
        event: "started",
        name: "web.1",
        pid: 3,
        line: "web.1 started (pid=3)",
      },
    );
  });
});
