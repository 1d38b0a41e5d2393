/**
 * A tiny YAML emitter for the `compose` and `kubernetes` exports.
 *
 * Every string is written double-quoted with JSON escapes, which YAML 1.1
 * and 1.2 read back unchanged, so no value can turn into a number, a boolean
 * (`on`, `no`, `y` in YAML 1.1) or a comment. Characters YAML forbids raw or
 * would fold (C1 controls, DEL, U+2028/2029, BOM) are escaped too.
 *
 * @module
 */

/**
 * A value the emitter can write: JSON data.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { toYaml, type YamlValue } from "./_yaml.ts";
 * const value: YamlValue = { a: [1, "two", { b: null }] };
 * assert.equal(toYaml(value), 'a:\n  - 1\n  - "two"\n  - b: null\n');
 * ```
 */
export type YamlValue =
  | string
  | number
  | boolean
  | null
  | YamlValue[]
  | { [key: string]: YamlValue };

// YAML 1.1 reads these plain scalars as booleans or null; keys matching them
// are quoted. Numbers cannot match the plain-key pattern (it needs a letter).
const _RESERVED = new Set([
  "y",
  "n",
  "yes",
  "no",
  "on",
  "off",
  "true",
  "false",
  "null",
]);
const _PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_.\/-]*$/;

/**
 * Writes a string as a YAML double-quoted scalar.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { yamlString } from "./_yaml.ts";
 * assert.equal(yamlString('a "b"\n'), '"a \\"b\\"\\n"');
 * assert.equal(yamlString("\u2028"), '"\\u2028"');
 * assert.equal(yamlString("no"), '"no"');
 * ```
 */
export function yamlString(value: string): string {
  return JSON.stringify(value).replace(
    // JSON leaves these raw; YAML forbids or folds them. Astral characters
    // stay raw (as valid UTF-8) because YAML's \u takes no surrogate pairs.
    /[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

function _key(key: string): string {
  return _PLAIN_KEY.test(key) && !_RESERVED.has(key.toLowerCase())
    ? key
    : yamlString(key);
}

function _scalar(value: string | number | boolean | null): string {
  if (typeof value === "string") return yamlString(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new RangeError("non-finite number");
    return String(value);
  }
  return String(value);
}

function _isScalar(
  value: YamlValue,
): value is string | number | boolean | null {
  return value === null || typeof value !== "object";
}

// Arrays of scalars and empty collections go inline (flow style, which is
// JSON); everything else in block style.
function _inline(value: YamlValue): string | undefined {
  if (_isScalar(value)) return _scalar(value);
  if (Array.isArray(value)) {
    if (value.every(_isScalar)) {
      return `[${value.map((v) => _scalar(v)).join(", ")}]`;
    }
    return undefined;
  }
  return Object.keys(value).length === 0 ? "{}" : undefined;
}

function _emit(value: YamlValue, indent: number): string {
  const pad = " ".repeat(indent);
  if (Array.isArray(value)) {
    return value.map((item) => {
      const inline = _inline(item);
      if (inline !== undefined) return `${pad}- ${inline}\n`;
      // The item's block starts on the dash line: "- key: ..." with the
      // remaining keys aligned under the first.
      const block = _emit(item, indent + 2);
      return `${pad}- ${block.slice(indent + 2)}`;
    }).join("");
  }
  if (value === null || typeof value !== "object") {
    return `${pad}${_scalar(value)}\n`;
  }
  return Object.entries(value).map(([key, item]) => {
    const inline = _inline(item);
    if (inline !== undefined) return `${pad}${_key(key)}: ${inline}\n`;
    return `${pad}${_key(key)}:\n${_emit(item, indent + 2)}`;
  }).join("");
}

/**
 * Emits a value as a block-style YAML document (no `---`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { toYaml } from "./_yaml.ts";
 * const text = toYaml({ services: { web: { command: ["sh", "-c", "x"] } } });
 * assert.equal(text, 'services:\n  web:\n    command: ["sh", "-c", "x"]\n');
 * ```
 */
export function toYaml(value: YamlValue): string {
  const inline = _inline(value);
  return inline !== undefined ? `${inline}\n` : _emit(value, 0);
}
