/**
 * The template engine behind `tend export -t DIR`: `{{NAME}}` placeholders,
 * built-in templates that a directory can override file by file, and the
 * checks that keep a typo from ending up in a unit file.
 *
 * @module
 */
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { TendError, UsageError } from "../errors.ts";
import type { Instance } from "../formation.ts";

/** A template's text and where it came from (for error messages). */
export interface Template {
  /** The text, with `{{NAME}}` placeholders. */
  readonly text: string;
  /** The file it was read from, or `(built-in NAME)`. */
  readonly path: string;
}

/** Values for a template's `{{NAME}}` placeholders. */
export type TemplateValues = Readonly<Record<string, string>>;

function _load(
  templateDir: string | undefined,
  name: string,
  builtin: string,
): Template {
  if (templateDir !== undefined) {
    const path = join(templateDir, name);
    let text: string | undefined;
    try {
      text = readFileSync(path, "utf8");
    } catch (error) {
      if ((error as { code?: string }).code !== "ENOENT") {
        throw new TendError({
          path,
          message: `cannot read template: ${(error as Error).message}`,
        });
      }
    }
    if (text !== undefined) return { text, path };
  }
  return { text: builtin, path: `(built-in ${name})` };
}

/**
 * Loads a format's templates, by file name: each from `templateDir` when
 * given and the file exists there, else the built-in text. Reads files only
 * when `templateDir` is set.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadTemplates } from "./_template.ts";
 * const { run } = loadTemplates(undefined, { run: "#!/bin/sh\n" });
 * assert.deepEqual(run, { text: "#!/bin/sh\n", path: "(built-in run)" });
 * ```
 */
export function loadTemplates<Name extends string>(
  templateDir: string | undefined,
  builtins: Readonly<Record<Name, string>>,
): Record<Name, Template> {
  const out = {} as Record<Name, Template>;
  for (const name of Object.keys(builtins) as Name[]) {
    out[name] = _load(templateDir, name, builtins[name]);
  }
  return out;
}

/**
 * Checks that `templateDir` exists and holds at least one of the format's
 * template files (`names`), so a mistyped directory or file name is an error
 * rather than a silent fallback to the built-ins. A format without templates
 * rejects any directory with a {@linkcode UsageError}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { UsageError } from "../errors.ts";
 * import { checkTemplateDir } from "./_template.ts";
 * checkTemplateDir("compose", [], undefined); // no directory: nothing to check
 * assert.throws(() => checkTemplateDir("compose", [], "/tmp"), UsageError);
 * ```
 */
export function checkTemplateDir(
  format: string,
  names: readonly string[],
  templateDir: string | undefined,
): void {
  if (templateDir === undefined) return;
  if (names.length === 0) {
    throw new UsageError(`the ${format} format has no templates (-t)`);
  }
  try {
    if (!statSync(templateDir).isDirectory()) throw new Error("not a dir");
  } catch {
    throw new TendError({
      path: templateDir,
      message: "template directory not found",
    });
  }
  const found = names.some((name) => {
    try {
      return statSync(join(templateDir, name)).isFile();
    } catch {
      return false;
    }
  });
  if (!found) {
    throw new TendError({
      path: templateDir,
      message: `no ${format} templates here (expected any of ${
        names.join(", ")
      })`,
    });
  }
}

/**
 * The placeholders every per-instance template has: `{{APP}}`, `{{TYPE}}`,
 * `{{INDEX}}`, `{{PS}}` and `{{PORT}}`, as plain text (a format that must
 * escape one overrides it).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { instanceValues } from "./_template.ts";
 * const web2 = { type: "web", index: 2, name: "web.2", command: "x", port: 5001 };
 * assert.deepEqual(instanceValues("shop", web2), {
 *   APP: "shop", TYPE: "web", INDEX: "2", PS: "web.2", PORT: "5001",
 * });
 * ```
 */
export function instanceValues(
  app: string,
  instance: Instance,
): TemplateValues {
  return {
    APP: app,
    TYPE: instance.type,
    INDEX: String(instance.index),
    PS: instance.name,
    PORT: String(instance.port),
  };
}

/**
 * Fills `{{NAME}}` placeholders. A line that is only a placeholder whose
 * value is empty disappears, so optional settings (`{{USER_LINE}}`) leave no
 * blank line. An unknown placeholder is a {@linkcode TendError} naming the
 * template and line, since a typo would otherwise end up in a unit file.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fillTemplate } from "./_template.ts";
 * const template = { text: "a={{A}}\n{{B}}\nc\n", path: "t" };
 * assert.equal(fillTemplate(template, { A: "1", B: "" }), "a=1\nc\n");
 * assert.throws(() => fillTemplate(template, { A: "1" }), /unknown placeholder \{\{B\}\}/);
 * ```
 */
export function fillTemplate(
  template: Template,
  values: TemplateValues,
): string {
  const lines = template.text.split("\n");
  const out: string[] = [];
  lines.forEach((line, i) => {
    const only = /^\s*\{\{\s*([A-Za-z_]+)\s*\}\}\s*$/.exec(line);
    if (only && values[only[1]] === "") return;
    out.push(line.replace(/\{\{\s*([A-Za-z_]+)\s*\}\}/g, (_m, name: string) => {
      const value = values[name];
      if (value === undefined) {
        throw new TendError({
          path: template.path,
          line: i + 1,
          message: `unknown placeholder {{${name}}} (known: ${
            Object.keys(values).join(", ")
          })`,
        });
      }
      return value;
    }));
  });
  return out.join("\n");
}
