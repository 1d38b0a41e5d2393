/**
 * Statistics and tables: median and min-max of each contender's samples,
 * the ratios to the floor and to tend-deno, as aligned text and as
 * markdown.
 *
 * @module
 */

/** How a table's main number reads. */
export type Unit = "s" | "ms" | "MB" | "cpu";

/** One contender's line in a table. */
export interface Row {
  id: string;
  /** The main metric, one sample per run; empty when none succeeded. */
  samples: number[];
  /** Further columns, by name. */
  extra: Record<string, string>;
  /** Why there are no samples or what went wrong (timeouts). */
  note?: string;
}

/** One scenario's results. */
export interface Table {
  title: string;
  /** One sentence on what was measured. */
  description: string;
  unit: Unit;
  rows: Row[];
  /** Names of the extra columns, in order. */
  extras: string[];
  /** Whether ratio columns make sense (they don't for 0-based metrics). */
  ratios: boolean;
}

/** The median of `xs` (mean of the middle two for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Formats a value of `unit`. */
export function formatValue(value: number, unit: Unit): string {
  switch (unit) {
    case "s":
      return value < 10 ? `${value.toFixed(3)} s` : `${value.toFixed(1)} s`;
    case "ms":
      return value < 10 ? `${value.toFixed(1)} ms` : `${Math.round(value)} ms`;
    case "MB":
      return `${value.toFixed(1)} MB`;
    case "cpu":
      return `${value.toFixed(2)} s`;
  }
}

function _bare(value: number, unit: Unit): string {
  return formatValue(value, unit).replace(/ (s|ms|MB)$/, "");
}

/** `value` over `base`, as `1.23×` (`12×` from ten up); `–` without a base. */
export function formatRatio(value: number, base: number | undefined): string {
  if (base === undefined || base <= 0 || !Number.isFinite(value)) return "–";
  const r = value / base;
  return r >= 10 ? `${r.toFixed(0)}×` : `${r.toFixed(2)}×`;
}

/** The cells of a table: a header row and one row per contender. */
export function cells(table: Table): string[][] {
  const medians = new Map(
    table.rows
      .filter((r) => r.samples.length > 0)
      .map((r) => [r.id, median(r.samples)]),
  );
  const floor = medians.get("floor");
  const tend = medians.get("tend-deno");
  const header = ["contender", "median", "min–max"];
  if (table.ratios) header.push("× floor", "× tend-deno");
  header.push(...table.extras);
  const out = [header];
  for (const row of table.rows) {
    const line: string[] = [row.id];
    if (row.samples.length === 0) {
      line.push(row.note ?? "–", "");
      if (table.ratios) line.push("", "");
    } else {
      const m = medians.get(row.id)!;
      const lo = Math.min(...row.samples);
      const hi = Math.max(...row.samples);
      line.push(
        formatValue(m, table.unit) + (row.note ? ` (${row.note})` : ""),
        row.samples.length > 1
          ? `${_bare(lo, table.unit)}–${formatValue(hi, table.unit)}`
          : "",
      );
      if (table.ratios) {
        line.push(
          row.id === "floor" ? "1.00×" : formatRatio(m, floor),
          formatRatio(m, tend),
        );
      }
    }
    for (const name of table.extras) line.push(row.extra[name] ?? "");
    out.push(line);
  }
  return out;
}

/** The table as aligned plain text. */
export function renderText(table: Table): string {
  const rows = cells(table);
  const widths = rows[0].map((_, i) =>
    Math.max(...rows.map((r) => [...(r[i] ?? "")].length))
  );
  const fmt = (r: string[]) =>
    r.map((c, i) => i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i])).join(
      "  ",
    ).trimEnd();
  const rule = widths.map((w) => "-".repeat(w)).join("  ");
  return [
    `${table.title}`,
    `  ${table.description}`,
    fmt(rows[0]),
    rule,
    ...rows.slice(1).map(fmt),
  ].join("\n");
}

/** The table as markdown. */
export function renderMarkdown(table: Table): string {
  const rows = cells(table);
  const esc = (c: string) => c.replaceAll("|", "\\|");
  const line = (r: string[]) => `| ${r.map(esc).join(" | ")} |`;
  const align = rows[0].map((_, i) => (i === 0 ? "---" : "---:"));
  return [
    `**${table.title}**: ${table.description}`,
    "",
    line(rows[0]),
    line(align),
    ...rows.slice(1).map(line),
  ].join("\n");
}
