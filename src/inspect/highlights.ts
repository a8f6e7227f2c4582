/** What the views single out: the worst rows of each column, and each column's colour scale. */
import type { MetricColumn, Report } from "./report.js";

/** Share of rows marked as worst in each column (at least one row, once there are three). */
export const WORST_SHARE = 0.1;

function columnValues(report: Report, column: MetricColumn): (number | null)[] {
  return report.groups.map((g) => column.pick(g.metrics)?.value ?? null);
}

/** Indices of the groups among the worst `WORST_SHARE` of a column (ties at the cut included). */
export function worstRows(report: Report, column: MetricColumn): Set<number> {
  const values = columnValues(report, column);
  const present = values.map((v, i) => [v, i] as const).filter((p): p is readonly [number, number] => p[0] !== null);
  if (present.length < 3) return new Set();
  const sign = column.worse === "high" ? -1 : 1;
  present.sort((a, b) => sign * (a[0] - b[0]));
  const take = Math.max(1, Math.ceil(present.length * WORST_SHARE));
  const cut = present[take - 1]![0];
  return new Set(present.filter(([v]) => (column.worse === "high" ? v >= cut : v <= cut)).map(([, i]) => i));
}

export interface ColumnScale {
  low: number;
  high: number;
  /** 0 at the better end of the column's values, 1 at the worse end. */
  heat(value: number): number;
}

/** The smallest of 1, 2, 5 × 10^k that is at least x (x > 0). */
function niceCeil(x: number): number {
  const step = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 5, 10]) if (m * step >= x * (1 - 1e-9)) return m * step;
  return 10 * step;
}

/**
 * Colours span a round range from zero to past the column's worst value (0–10% for shares up to
 * 7.3%, say), labelled under each column's title: equal values get equal colours in every column
 * and every report, and 4.3% next to 5.6% looks alike rather than blue against red. Cosine spans
 * from its lowest value (rounded out, at least down to 0) to its highest (at least up to 0).
 */
export function columnScale(report: Report, column: MetricColumn): ColumnScale {
  const values = columnValues(report, column).filter((v): v is number => v !== null);
  const natural = column.range === "auto" ? null : column.range;
  const min = values.length ? Math.min(...values) : 0;
  const max = values.length ? Math.max(...values) : 0;
  const round = (x: number): number => (x === 0 ? 0 : Math.sign(x) * niceCeil(Math.abs(x)));
  let low = Math.min(0, min < 0 ? round(min) : 0);
  let high = Math.max(0, max > 0 ? round(max) : 0);
  if (natural) {
    low = Math.max(natural[0], low);
    high = Math.min(natural[1], high);
  }
  if (high - low <= 0) high = low + (natural ? (natural[1] - natural[0]) * 0.01 : 1);
  const span = high - low;
  return {
    low,
    high,
    heat: (v) => {
      const t = Math.min(1, Math.max(0, (v - low) / span));
      return column.worse === "high" ? t : 1 - t;
    },
  };
}
