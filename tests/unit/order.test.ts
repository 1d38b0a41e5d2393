/** Start order, `#tend` settings and readiness probes as plain functions. */
import assert from "node:assert/strict";
import { createServer as createHttp } from "node:http";
import { createServer, type Server } from "node:net";
import { describe, it } from "node:test";
import {
  commandSucceeds,
  httpAnswers,
  LogMatcher,
  parseAfter,
  parseProbe,
  tcpAccepts,
} from "../../mod.ts";
import { checkProcfile } from "../../src/procfile.ts";
import {
  dependencies,
  findCycle,
  mayStop,
  resolveReadiness,
} from "../../src/order.ts";

async function listen(server: Server | ReturnType<typeof createHttp>) {
  server.listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  return (server.address() as { port: number }).port;
}

describe("order", () => {
  it("parses --after lists and rejects what is not TYPE=DEP", () => {
    assert.deepEqual([...parseAfter(["a=b,c", "a=d", "e=f,g=h"])], [
      ["a", ["b", "c", "d"]],
      ["e", ["f"]],
      ["g", ["h"]],
    ]);
    for (const bad of ["web", "=web", "a=", "a=b c", "a.b=c"]) {
      assert.throws(() => parseAfter([bad]), /bad --after/, bad);
    }
  });

  it("finds cycles, long and self ones", () => {
    assert.deepEqual(findCycle(new Map([["a", ["a"]]])), ["a", "a"]);
    assert.deepEqual(
      findCycle(new Map([["a", ["b"]], ["b", ["c"]], ["c", ["a"]]])),
      ["a", "b", "c", "a"],
    );
    assert.equal(
      findCycle(new Map([["a", ["b", "c"]], ["b", ["c"]]])),
      undefined,
    );
  });

  it("puts release before everything and ignores types that do not run", () => {
    const deps = dependencies(new Map([["worker", ["web", "db"]]]), [
      "web",
      "worker",
    ]);
    assert.deepEqual([...deps], [["web", []], ["worker", ["web"]]]);
    assert.ok(mayStop("worker", deps, () => true));
    assert.ok(!mayStop("web", deps, (t) => t === "worker"));
  });

  it("reads #tend lines, quoted values included, and leaves other comments alone", () => {
    const { directives, problems, entries } = checkProcfile(
      'web: a\n#tend web ready="exec:pg_isready -h db" after=x\n# tend web x=y\n#tendency\n',
    );
    assert.deepEqual(problems, []);
    assert.equal(entries.length, 1);
    assert.deepEqual(
      directives.map((d) => [d.type, d.key, d.value, d.line, d.column]),
      [
        ["web", "ready", "exec:pg_isready -h db", 2, 11],
        ["web", "after", "x", 2, 41],
      ],
    );
  });
});

describe("probes", () => {
  it("parse every kind and reject the rest with the reason", () => {
    assert.deepEqual(parseProbe("tcp:6379"), { kind: "tcp", port: 6379 });
    assert.deepEqual(parseProbe("tcp:[::1]:80"), {
      kind: "tcp",
      host: "::1",
      port: 80,
    });
    assert.deepEqual(parseProbe("exec:test -f ready"), {
      kind: "exec",
      command: "test -f ready",
    });
    assert.deepEqual(parseProbe("log:^ready$"), {
      kind: "log",
      pattern: "^ready$",
    });
    for (
      const [bad, why] of [
        ["tcp:99999", /bad tcp probe/],
        ["http:health", /expected http:\/PATH/],
        ["exec:", /expected exec:COMMAND/],
        ["log:(", /bad log probe/],
        ["udp", /unknown probe/],
      ] as const
    ) {
      assert.throws(() => parseProbe(bad), why, bad);
    }
  });

  it("tcp: a closed port is not ready, an open one is", async () => {
    const server = createServer();
    const port = await listen(server);
    assert.equal(await tcpAccepts("127.0.0.1", port, 1000), true);
    server.close();
    await new Promise((r) => server.once("close", r));
    assert.equal(await tcpAccepts("127.0.0.1", port, 1000), false);
  });

  it("http: 5xx and no answer are not ready; 3xx is", async () => {
    const server = createHttp((req, res) => {
      if (req.url === "/moved") res.writeHead(302, { location: "/" }).end();
      else if (req.url === "/hang") return;
      else res.writeHead(500).end();
    });
    const port = await listen(server);
    assert.equal(await httpAnswers(port, "/moved", 1000), true);
    assert.equal(await httpAnswers(port, "/", 1000), false);
    const started = Date.now();
    assert.equal(await httpAnswers(port, "/hang", 200), false);
    assert.ok(Date.now() - started < 1000);
    server.closeAllConnections();
    server.close();
  });

  it("exec: runs with the given environment and is killed at its timeout", async () => {
    const env = { PATH: "/usr/bin:/bin", WANT: "yes" };
    assert.equal(
      await commandSucceeds('test "$WANT" = yes', { env }, 1000),
      true,
    );
    const started = Date.now();
    assert.equal(await commandSucceeds("sleep 5", { env }, 200), false);
    assert.ok(Date.now() - started < 2000);
  });

  it("log: matches whole lines across chunks, CRLF included", () => {
    const m = new LogMatcher("^ready$");
    const enc = (s: string) => new TextEncoder().encode(s);
    assert.equal(m.push(enc("not ready\nre")), false);
    assert.equal(m.push(enc("ady\r\n")), true);
  });
});

describe("release and the order", () => {
  it("rejects a release that would start after another type", () => {
    const problems: { line?: number; message: string }[] = [];
    const r = resolveReadiness({
      entries: [
        { name: "release", command: "migrate", line: 1 },
        { name: "web", command: "serve", line: 2 },
      ],
      directives: [{
        type: "release",
        key: "after",
        value: "web",
        line: 3,
        column: 15,
      }],
      path: "Procfile",
    }, problems);
    assert.deepEqual(problems.map((p) => [p.line, p.message]), [
      [3, '"release" runs first: it cannot start after web'],
    ]);
    assert.equal(r.order.has("release"), false);
  });
});
