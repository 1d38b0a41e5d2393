/** The generated parts of the docs match the code they come from. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { flagTables, REFERENCE } from "../../scripts/docs.ts";

describe("docs/reference.md", () => {
  it("lists every flag as src/flags.ts defines it (deno task docs)", () => {
    const { committed, current } = flagTables(readFileSync(REFERENCE, "utf8"));
    assert.equal(committed, current, "run `deno task docs`");
  });
});
