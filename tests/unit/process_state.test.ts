/** The per-process state machine and the supervisor's use of it. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type ProcessState, TRANSITIONS } from "../../src/process_state.ts";
import { plan, Printer, QueuedSink, Supervisor } from "../../mod.ts";

describe("process states", () => {
  it("reach every state from waiting, and done from every state", () => {
    const states = Object.keys(TRANSITIONS) as ProcessState[];
    const reach = (from: ProcessState) => {
      const seen = new Set<ProcessState>([from]);
      const queue = [from];
      while (queue.length) {
        for (const next of TRANSITIONS[queue.shift()!]) {
          if (!seen.has(next)) seen.add(next), queue.push(next);
        }
      }
      return seen;
    };
    assert.deepEqual([...reach("waiting")].sort(), [...states].sort());
    for (const state of states) {
      assert.ok(reach(state).has("done"), `${state} can never end`);
    }
  });
});

describe("Supervisor.processes", () => {
  it("shows each process's state, pid, port and last status", async () => {
    const sink = new QueuedSink(() => Promise.resolve());
    const instances = plan([
      { name: "ok", command: "exit 0", line: 1 },
      { name: "long", command: "sleep 30", line: 2 },
    ], { basePort: 6000 });
    const supervisor = new Supervisor({
      instances,
      env: { PATH: "/usr/bin:/bin" },
      printer: new Printer(sink, instances.map((i) => i.name)),
      canDie: new Set(["ok"]),
      timeout: 1000,
    });
    assert.deepEqual(
      supervisor.processes().map((p) => [p.name, p.state]),
      [["ok.1", "waiting"], ["long.1", "waiting"]],
    );
    const done = supervisor.run();
    const running = supervisor.processes();
    assert.deepEqual(running.map((p) => p.state), ["running", "running"]);
    assert.ok(running.every((p) => typeof p.pid === "number" && p.ready));
    assert.deepEqual(running.map((p) => p.port), [6000, 6100]);
    while (supervisor.processes()[0].state !== "done") {
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(supervisor.processes()[0].lastStatus, 0);
    assert.equal(supervisor.processes()[1].state, "running");
    supervisor.stop("SIGTERM");
    assert.equal(supervisor.processes()[1].state, "stopping");
    assert.equal(await done, 143);
    assert.deepEqual(
      supervisor.processes().map((p) => [p.state, p.lastStatus]),
      [["done", 0], ["done", 143]],
    );
  });
});

describe("Supervisor requests", () => {
  it("restarts one instance with a new pid, stops one and keeps it stopped", async () => {
    const sink = new QueuedSink(() => Promise.resolve());
    const instances = plan([
      { name: "a", command: "sleep 30", line: 1 },
      { name: "b", command: "sleep 30", line: 2 },
    ]);
    const supervisor = new Supervisor({
      instances,
      env: { PATH: "/usr/bin:/bin" },
      printer: new Printer(sink, instances.map((i) => i.name)),
      timeout: 1000,
    });
    const done = supervisor.run();
    const waitFor = async (test: () => boolean) => {
      const deadline = Date.now() + 5000;
      while (!test() && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 10));
      }
      assert.ok(test());
    };
    const [a, b] = supervisor.processes();
    supervisor.restartProcess("a");
    await waitFor(() => {
      const now = supervisor.processes()[0];
      return now.state === "running" && now.pid !== a.pid;
    });
    assert.equal(supervisor.processes()[0].restarts, 1);
    assert.equal(supervisor.processes()[1].pid, b.pid, "b kept its pid");
    supervisor.stopProcess("b.1");
    await waitFor(() => supervisor.processes()[1].state === "stopped");
    assert.equal(supervisor.processes()[0].state, "running", "a runs on");
    assert.throws(() => supervisor.stopProcess("nope"), /no process "nope"/);
    supervisor.startProcess("b");
    assert.equal(supervisor.processes()[1].state, "running");
    supervisor.stop("SIGTERM");
    assert.equal(await done, 143);
  });
});
