/**
 * What `tend logs` reads: each process's recent output in an
 * {@linkcode OutputRing}, tend's recent events, one sequence over both so
 * that they come back in the order the terminal showed them, and the
 * followers of `tend logs --follow`.
 *
 * A {@linkcode Printer} given a history taps every process's output into it
 * (see {@linkcode History.tap}) and tells it every event.
 *
 * @module
 */
import { describeEvent, type TendEvent } from "./events.ts";
import { LineStream, type Splitter } from "./lines.ts";
import { OutputRing, RING_LINES, type RingOptions } from "./ring.ts";
import type { ByteSink } from "./sink.ts";

/** Events kept, over all processes. */
export const HISTORY_EVENTS = 500;

/** One line of a process, or one of tend's events, from a history. */
export type HistoryItem =
  | {
    /** The instance, `web.1`. */
    name: string;
    time: number;
    seq: number;
    /** The line, without its newline; valid only during the call. */
    bytes: Uint8Array;
  }
  | {
    event: TendEvent;
    /** The line a person reads for it. */
    text: string;
    time: number;
    seq: number;
  };

/** A follower's callback: items in the order they happened. */
export type HistoryListener = (items: HistoryItem[]) => void;

interface _Follower {
  names: ReadonlySet<string>;
  listener: HistoryListener;
}

type _Event = Extract<HistoryItem, { event: TendEvent }>;

const _EMPTY = new Uint8Array(0);
const _NO_SINK: ByteSink = {
  write: () => undefined,
  flush: () => Promise.resolve(),
  broken: false,
};

/**
 * Recent output and events of a run.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { History } from "./history.ts";
 * const history = new History(["web.1"]);
 * history.tap("web.1").push(new TextEncoder().encode("hello\nwor"));
 * history.event({ event: "message", text: "hi" });
 * const items = history.snapshot(["web.1"]);
 * assert.equal(items.length, 2);
 * assert.ok("bytes" in items[0] && new TextDecoder().decode(items[0].bytes) === "hello");
 * assert.ok("event" in items[1] && items[1].text === "hi");
 * ```
 */
export class History {
  /** The instance names, in plan order. */
  readonly names: readonly string[];
  readonly #rings = new Map<string, OutputRing>();
  readonly #events: _Event[] = [];
  readonly #followers = new Set<_Follower>();
  readonly #eventListeners = new Set<(event: TendEvent) => void>();
  readonly #now: () => number;
  #seq = 0;

  /**
   * An empty history for instances `names`.
   *
   * @param now the clock, in milliseconds (for tests)
   */
  constructor(
    names: readonly string[],
    options: RingOptions = {},
    now: () => number = Date.now,
  ) {
    this.names = names;
    this.#now = now;
    for (const name of names) this.#rings.set(name, new OutputRing(options));
  }

  /**
   * A stream that records a run of `name` and passes every chunk on to
   * `inner` (what prints it), whose push-back it returns: the ring itself
   * never makes a process wait.
   */
  tap(name: string, inner?: LineStream): LineStream {
    const ring = this.#ring(name);
    const splitter: Splitter = {
      push: (chunk) => {
        ring.push(chunk, this.#now(), ++this.#seq);
        return undefined;
      },
      end: () => {
        ring.end(this.#now(), ++this.#seq);
        return undefined;
      },
    };
    return new LineStream(_NO_SINK, () => _EMPTY, splitter, inner);
  }

  /** Records one of tend's events. */
  event(event: TendEvent): void {
    const item: _Event = {
      event,
      text: describeEvent(event),
      time: this.#now(),
      seq: ++this.#seq,
    };
    if (this.#events.length >= HISTORY_EVENTS) this.#events.shift();
    this.#events.push(item);
    for (const f of this.#followers) {
      if (_about(event, f.names)) _call(f.listener, [item]);
    }
    for (const listener of this.#eventListeners) _call(listener, event);
  }

  /**
   * Calls `listener` with every event from now on, until the returned
   * function is called; lines are not split for it.
   */
  onEvent(listener: (event: TendEvent) => void): () => void {
    const own = (event: TendEvent) => listener(event);
    this.#eventListeners.add(own);
    return () => this.#eventListeners.delete(own);
  }

  /**
   * The last `max` lines of each of `names` and the events about them or
   * about every process, merged in the order they happened.
   */
  snapshot(names: readonly string[], max: number = RING_LINES): HistoryItem[] {
    const wanted = new Set(names);
    const items: HistoryItem[] = this.#events.filter((e) =>
      _about(e.event, wanted)
    );
    for (const name of wanted) {
      for (const line of this.#ring(name).lines(max)) {
        items.push({ name, ...line });
      }
    }
    return items.sort((a, b) => a.seq - b.seq);
  }

  /**
   * Calls `listener` with every line of `names` and every event about them
   * from now on, until the returned function is called. The line a process
   * had begun counts from where its ring has it, so a snapshot then a
   * follow miss and repeat nothing.
   */
  follow(names: readonly string[], listener: HistoryListener): () => void {
    const follower: _Follower = { names: new Set(names), listener };
    this.#followers.add(follower);
    for (const name of follower.names) this.#watch(name);
    return () => {
      if (!this.#followers.delete(follower)) return;
      for (const name of follower.names) this.#watch(name);
    };
  }

  /** Makes `name`'s ring split lines for its followers, or stop if none. */
  #watch(name: string): void {
    const ring = this.#ring(name);
    const followers = [...this.#followers].filter((f) => f.names.has(name));
    if (followers.length === 0) {
      ring.follow(undefined);
      return;
    }
    ring.follow((lines) => {
      const items = lines.map((l) => ({ name, ...l }));
      for (const f of followers) _call(f.listener, items);
    });
  }

  #ring(name: string): OutputRing {
    let ring = this.#rings.get(name);
    if (!ring) {
      ring = new OutputRing();
      this.#rings.set(name, ring);
    }
    return ring;
  }
}

/**
 * Calls a listener on the output path: whatever goes wrong in it must not
 * reach the process's pipe, whose output would stop.
 */
function _call<T>(listener: (value: T) => void, value: T): void {
  try {
    listener(value);
  } catch { /* the listener's own business */ }
}

/** True for an event about one of `names`, or about no process in particular. */
function _about(event: TendEvent, names: ReadonlySet<string>): boolean {
  return !("name" in event) || event.name === undefined ||
    names.has(event.name);
}
