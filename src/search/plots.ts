/**
 * SVG plots of a finished search: score against evaluations (every candidate, and the best so far),
 * and for a grid over two dimensions a heat map of the scores.
 */
import { rampColour } from "../inspect/palette.js";
import { formatNumber } from "../language/values.js";

export interface PlotPoint {
  index: number;
  score: number;
}

const esc = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const fmt = (x: number): string => formatNumber(Number(x.toPrecision(4)));

/** Scores in evaluation order as dots, the best so far as a step line. */
export function scorePlot(points: readonly PlotPoint[], goal: "max" | "min", title: string): string {
  const w = 640;
  const h = 360;
  const m = { l: 64, r: 16, t: 36, b: 44 };
  const scores = points.map((p) => p.score);
  let lo = Math.min(...scores);
  let hi = Math.max(...scores);
  if (!(hi > lo)) {
    lo -= 0.5;
    hi += 0.5;
  }
  const n = Math.max(1, points.length);
  const x = (i: number): number => m.l + ((w - m.l - m.r) * (i + 0.5)) / n;
  const y = (s: number): number => m.t + (h - m.t - m.b) * (1 - (s - lo) / (hi - lo));
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="sans-serif" font-size="12">`,
    `<rect width="${w}" height="${h}" fill="#fff"/>`,
    `<text x="${m.l}" y="20" font-size="14">${esc(title)}</text>`,
    `<line x1="${m.l}" y1="${h - m.b}" x2="${w - m.r}" y2="${h - m.b}" stroke="#888"/>`,
    `<line x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${h - m.b}" stroke="#888"/>`,
    `<text x="${(w + m.l) / 2}" y="${h - 10}" text-anchor="middle">evaluations (${points.length})</text>`,
  ];
  for (let k = 0; k <= 4; k++) {
    const s = lo + ((hi - lo) * k) / 4;
    parts.push(`<text x="${m.l - 6}" y="${y(s) + 4}" text-anchor="end">${fmt(s)}</text>`);
    parts.push(`<line x1="${m.l}" y1="${y(s)}" x2="${w - m.r}" y2="${y(s)}" stroke="#eee"/>`);
  }
  let best = -Infinity;
  const steps: string[] = [];
  points.forEach((p, i) => {
    const better = goal === "max" ? p.score > best || i === 0 : p.score < best || i === 0;
    if (better) best = p.score;
    steps.push(`${i === 0 ? "M" : "L"}${x(i).toFixed(1)},${y(best).toFixed(1)}`);
    parts.push(`<circle cx="${x(i).toFixed(1)}" cy="${y(p.score).toFixed(1)}" r="3" fill="#3b82c4" fill-opacity="0.7"><title>#${p.index}: ${fmt(p.score)}</title></circle>`);
  });
  parts.push(`<path d="${steps.join(" ")}" fill="none" stroke="#e0643a" stroke-width="2"/>`);
  parts.push(`<text x="${w - m.r}" y="20" text-anchor="end" fill="#e0643a">best so far: ${fmt(best)}</text>`);
  parts.push("</svg>");
  return parts.join("\n") + "\n";
}

/** A heat map of a two-dimensional grid: rows are the first dimension's values, columns the second's. */
export function gridHeatmap(rows: { name: string; values: number[] }, cols: { name: string; values: number[] }, score: (r: number, c: number) => number | undefined, title: string): string {
  const cell = 48;
  const m = { l: 90, t: 56, r: 16, b: 16 };
  const w = m.l + cell * cols.values.length + m.r;
  const h = m.t + cell * rows.values.length + m.b + 20;
  const all: number[] = [];
  for (let r = 0; r < rows.values.length; r++) for (let c = 0; c < cols.values.length; c++) {
    const s = score(r, c);
    if (s !== undefined) all.push(s);
  }
  const lo = Math.min(...all);
  const hi = Math.max(...all);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="sans-serif" font-size="11">`,
    `<rect width="${w}" height="${h}" fill="#fff"/>`,
    `<text x="8" y="18" font-size="14">${esc(title)}</text>`,
    `<text x="${m.l}" y="${m.t - 22}">${esc(cols.name)} →</text>`,
    `<text x="8" y="${m.t + 12}">${esc(rows.name)} ↓</text>`,
  ];
  cols.values.forEach((v, c) => parts.push(`<text x="${m.l + c * cell + cell / 2}" y="${m.t - 6}" text-anchor="middle">${fmt(v)}</text>`));
  rows.values.forEach((v, r) => {
    parts.push(`<text x="${m.l - 6}" y="${m.t + r * cell + cell / 2 + 4}" text-anchor="end">${fmt(v)}</text>`);
    cols.values.forEach((_, c) => {
      const s = score(r, c);
      const fill = s === undefined ? "#f3f3f3" : rampColour(hi > lo ? (s - lo) / (hi - lo) : 0.5);
      parts.push(`<rect x="${m.l + c * cell}" y="${m.t + r * cell}" width="${cell - 2}" height="${cell - 2}" fill="${fill}"><title>${esc(`${rows.name} ${fmt(rows.values[r]!)}, ${cols.name} ${fmt(cols.values[c]!)}: ${s === undefined ? "not evaluated" : fmt(s)}`)}</title></rect>`);
      if (s !== undefined) parts.push(`<text x="${m.l + c * cell + cell / 2 - 1}" y="${m.t + r * cell + cell / 2 + 3}" text-anchor="middle" fill="#fff">${fmt(s)}</text>`);
    });
  });
  parts.push("</svg>");
  return parts.join("\n") + "\n";
}
