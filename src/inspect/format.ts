/** Number formatting shared by the text, HTML and SVG views. */
import type { Estimate, MetricColumn } from "./report.js";
import { grouped } from "../util/grouped.js";

/** "5.4%", "49%", "0.05%". */
export function percent(x: number): string {
  const p = x * 100;
  const a = Math.abs(p);
  if (a === 0) return "0%";
  if (a >= 0.1) return `${p.toFixed(1)}%`;
  return `${p.toPrecision(1)}%`;
}

/** A plain number with about four significant digits, no exponent for everyday magnitudes. */
export function decimal(x: number): string {
  if (x === 0) return "0";
  const a = Math.abs(x);
  if (a >= 1e6 || a < 1e-4) return x.toExponential(2);
  if (a >= 100) return x.toFixed(1);
  if (a >= 1) return x.toFixed(3);
  return x.toFixed(4);
}

/** The metric's value as a column shows it: shares as percentages, cosine and β as numbers. */
export function formatMetric(column: Pick<MetricColumn, "id">, x: number): string {
  return column.id === "cosine" || column.id === "beta_spread" ? decimal(x) : percent(x);
}

/** "5.4% ±0.3" style: the value and half the interval width, in the value's unit. */
export function formatEstimate(column: Pick<MetricColumn, "id">, e: Estimate | undefined): string {
  if (!e || e.value === null) return "n/a";
  const value = formatMetric(column, e.value);
  if (!e.ci) return value;
  const half = (e.ci[1] - e.ci[0]) / 2;
  const isPercent = !(column.id === "cosine" || column.id === "beta_spread");
  const width = isPercent ? (half * 100).toFixed(half * 100 >= 10 ? 0 : 1) : decimal(half);
  // A sample that read every element has no error: "±0" in every cell would only be noise.
  return Number(width) === 0 ? value : `${value} ±${width}`;
}

/** "95% CI 5.1%–5.8%". */
export function formatInterval(column: Pick<MetricColumn, "id">, e: Estimate, confidence: number | null): string {
  if (!e.ci || e.ci[0] === e.ci[1]) return "";
  const level = confidence === null ? "" : `${Math.round(confidence * 100)}% `;
  return `${level}CI ${formatMetric(column, e.ci[0])} to ${formatMetric(column, e.ci[1])}`;
}

/** 1234567 → "1,234,567". */
export function count(n: number): string {
  return grouped(n);
}

/** Norms: plain numbers, with the interval's half width when sampled. */
export function formatNorm(e: Estimate): string {
  if (e.value === null) return "n/a";
  if (!e.ci || e.ci[1] === e.ci[0]) return decimal(e.value);
  return `${decimal(e.value)} ±${decimal((e.ci[1] - e.ci[0]) / 2)}`;
}
