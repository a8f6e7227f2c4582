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

/**
 * Colours span each column's own values across the rows (that is what shows which layer is worst);
 * a column whose values barely differ is widened to a minimum span so noise does not look dramatic.
 */
export function columnScale(report: Report, column: MetricColumn): ColumnScale {
  const values = columnValues(report, column).filter((v): v is number => v !== null);
  const natural = column.range === "auto" ? null : column.range;
  let low = values.length ? Math.min(...values) : natural?.[0] ?? 0;
  let high = values.length ? Math.max(...values) : natural?.[1] ?? 1;
  const minSpan = natural ? (natural[1] - natural[0]) * 0.02 : Math.max(Math.abs(high), Math.abs(low)) * 0.05;
  if (high - low < minSpan) {
    const mid = (high + low) / 2;
    low = mid - minSpan / 2;
    high = mid + minSpan / 2;
    if (natural) {
      if (low < natural[0]) [low, high] = [natural[0], natural[0] + minSpan];
      if (high > natural[1]) [low, high] = [natural[1] - minSpan, natural[1]];
    }
  }
  const span = high - low;
  return {
    low,
    high,
    heat: (v) => {
      const t = span > 0 ? (v - low) / span : 0.5;
      return column.worse === "high" ? t : 1 - t;
    },
  };
}
